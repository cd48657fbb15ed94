"""What the account tables' schema promises: uniqueness kept, no index that only costs writes."""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Filer, PacerAccount

BULK_TABLES = ("accounts_paceraccount", "accounts_filer", "accounts_cmecfaccount")


@pytest.mark.django_db
def test_a_second_filer_with_the_same_email_is_refused_with_the_usual_message():
    Filer.objects.create(name="Jane Quinn", email="jquinn@example.com")
    with pytest.raises(ValidationError) as refused:
        Filer(name="J. Quinn", email="jquinn@example.com").full_clean()
    assert refused.value.message_dict["email"] == ["Filer with this Email already exists."]


@pytest.mark.django_db
def test_a_second_pacer_account_with_the_same_username_is_refused_with_the_usual_message():
    PacerAccount.objects.create(username="jquinn1")
    with pytest.raises(ValidationError) as refused:
        PacerAccount(username="jquinn1").full_clean()
    assert refused.value.message_dict["username"] == ["PACER account with this Username already exists."]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's LIKE and partial indexes")
def test_bulk_written_tables_have_no_like_index_and_index_only_shared_pacer_accounts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(BULK_TABLES)])
        indexes = dict(cursor.fetchall())
    assert [name for name, sql in indexes.items() if "varchar_pattern_ops" in sql] == []
    assert [name for name, sql in indexes.items() if "(account_type" in sql] == ["pacer_shared"]
    assert "WHERE" in indexes["pacer_shared"]
