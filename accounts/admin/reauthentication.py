"""`recent_authentication_required`: the admin's actions that reach many filers at once ask for a fresh
password or second factor (django-allauth's re-authentication) when the last one is older than
ACCOUNT_REAUTHENTICATION_TIMEOUT.

One decorator for both shapes of interface: a view `(request, …)` and an admin action
`(self, request, queryset)`. allauth's middleware turns the exception into its re-authentication
page and, once the user has re-authenticated, replays the suspended POST, so the action completes
without being chosen again.
"""
from __future__ import annotations

from functools import wraps

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.http import HttpRequest


def _passed(request):
    return None


_check = reauthentication_required(_passed)  # raises ReauthenticationRequired when the last one is too old


def recent_authentication_required(function=None, *, when=None):
    """Ask for recent authentication before a POST to `function` (and only when `when(request)`)."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            request = next(arg for arg in args if isinstance(arg, HttpRequest))
            if (settings.STAFF_REAUTHENTICATION_REQUIRED and request.method == "POST"
                    and (when is None or when(request))):
                _check(request)
            return view(*args, **kwargs)
        return wrapper

    return decorator(function) if function else decorator
