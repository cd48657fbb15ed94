"""Django's change log ("History") is not court-aware: a record that several courts share, or that
moved from one court to another, lists every court's staff's edits. A court-scoped user is sent to
the record's audit trail instead, which shows only the entries of the courts they administer."""
from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from courts.admin.scope import request_court_ids


class AuditTrailHistoryAdmin:
    """Mixin for a court-scoped ModelAdmin whose records are audited (`accounts.audit`)."""

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if request_court_ids(request) is None or obj is None or not self.has_view_or_change_permission(request, obj):
            return super().history_view(request, object_id, extra_context)  # its own 404 or 403
        query = {"content_type__id__exact": ContentType.objects.get_for_model(self.model).pk, "object_id": obj.pk}
        return redirect(f"{reverse('admin:accounts_auditentry_changelist')}?{urlencode(query)}")
