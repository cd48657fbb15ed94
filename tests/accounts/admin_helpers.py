"""Shared set-up for the admin tests: two courts live, ready accounts, a Montana court administrator."""
from __future__ import annotations

import datetime as dt

from accounts.models import CmecfAccount, Filer, PacerAccount, normalize_name
from courts.models import GoLiveStatus
from tests.factories import GoLiveFactory, court_admin_user, montana_court, utah_court


def live(court, day=dt.date(2021, 9, 27)):
    GoLiveFactory(court=court, go_live_date=day, status=GoLiveStatus.LIVE)
    return court


def bulk_ready_accounts(court, n: int, prefix: str) -> None:
    """n filers with an individual, modern PACER account and one CM/ECF account each at `court` (bulk)."""
    pacers = PacerAccount.objects.bulk_create(
        PacerAccount(username=f"{prefix}p{i}", holder_name=f"Filer {prefix} {i}", name_key=normalize_name(f"Filer {prefix} {i}"),
                     created_on=dt.date(2016, 1, 1)) for i in range(n)
    )
    filers = Filer.objects.bulk_create(
        Filer(name=f"Filer {prefix} {i}", email=f"{prefix}{i}@example.com", pacer_account=p) for i, p in enumerate(pacers)
    )
    CmecfAccount.objects.bulk_create(
        CmecfAccount(filer=f, court=court, login=f"{prefix}{i}", cmecf_name=f.name, name_key=normalize_name(f.name))
        for i, f in enumerate(filers)
    )


def montana_clerk():
    return court_admin_user("mt-clerk", montana_court())


__all__ = ["live", "bulk_ready_accounts", "montana_clerk", "montana_court", "utah_court"]
