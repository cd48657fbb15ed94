"""Filers and PACER accounts in the admin: a filer's name, email and PACER account, and a PACER account's
facts, belong to every court where the filer has a CM/ECF account. They are shown to any administrator
of one of those courts, and may be changed only by one who administers all of them (read-only
otherwise, with the reason). Built on the one confinement mechanism, `courts.admin.scope`.
"""
from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from accounts.admin.history import AuditTrailHistoryAdmin
from accounts.models import CmecfAccount
from accounts.selectors import court_codes_outside
from courts.admin.scope import CourtScopedAdmin, request_court_ids


def exists_at_courts(model_path: str, ids: list[int]):
    """Exists(a CM/ECF account at one of `ids`) for a Filer (model_path "filer") or PACER account."""
    return Exists(CmecfAccount.objects.filter(**{model_path: OuterRef("pk"), "court_id__in": ids}))


class SharedFactsAdmin(AuditTrailHistoryAdmin, CourtScopedAdmin):
    """Filers and PACER accounts: seen through their CM/ECF accounts, changed only with all their courts.

    `accounts_path` is the path from a CM/ECF account to this model ("filer", "filer__pacer_account").
    """

    accounts_path: str = "filer"

    def scope_q(self, ids):
        return Q(exists_at_courts(self.accounts_path, ids))

    def other_courts(self, request, obj) -> list[str]:
        """Codes of the courts of `obj` the user does not administer (read once per request and record)."""
        ids = request_court_ids(request)
        if ids is None or obj is None or obj.pk is None:
            return []
        cache = getattr(request, "rollout_other_courts", None)
        if cache is None:
            cache = request.rollout_other_courts = {}
        key = (type(obj).__name__, obj.pk)
        if key not in cache:
            cache[key] = court_codes_outside(CmecfAccount.objects.filter(**{self.accounts_path: obj}), ids)
        return cache[key]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.other_courts(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.other_courts(request, obj)

    def get_actions(self, request):
        # A bulk delete would reach the CM/ECF accounts of courts the user may not administer.
        actions = super().get_actions(request)
        if request_court_ids(request) is not None:
            actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        others = self.other_courts(request, obj)
        if others:
            extra_context = {**(extra_context or {}), "subtitle": (
                f"Read-only here: also at courts you do not administer. A {self.opts.verbose_name}'s facts are "
                "shared by all their courts, so only an administrator of every one of them (or the help desk) can "
                "change them."
            )}
        return super().change_view(request, object_id, form_url, extra_context)
