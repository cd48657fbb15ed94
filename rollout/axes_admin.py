"""django-axes' lists (access attempts, log-ins, failures) in the admin, for superusers only.

Registered here rather than by axes (AXES_ENABLE_ADMIN = False) so that they are closed to every
other staff user whatever permissions a group grants, and without axes' "clean up expired attempts"
action, which fails outside a log-in request. A lock-out is lifted by deleting its access attempts.
"""
from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin


class SuperusersOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessAttempt)
class SuperuserAccessAttemptAdmin(SuperusersOnly, AccessAttemptAdmin):
    actions = ["delete_selected"]


@admin.register(AccessLog)
class SuperuserAccessLogAdmin(SuperusersOnly, AccessLogAdmin):
    actions = ["delete_selected"]


@admin.register(AccessFailureLog)
class SuperuserAccessFailureLogAdmin(SuperusersOnly, AccessFailureLogAdmin):
    actions = ["delete_selected"]
