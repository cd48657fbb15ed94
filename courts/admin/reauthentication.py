"""`recent_authentication_required`: the admin's actions that reach many filers at once ask for a
fresh authentication when the last one is older than ACCOUNT_REAUTHENTICATION_TIMEOUT.

- Signed in with a password: django-allauth's re-authentication (the password or the second
  factor). allauth's middleware turns its exception into the re-authentication page and, once the
  user has re-authenticated, replays the suspended POST, so the action completes without being
  chosen again.
- Signed in by single sign-on: a new sign-in at the identity provider (`prompt=login`), then back
  to the page; the action is chosen again (the provider's round trip cannot carry the POST). The
  time that counts is the ID token's `auth_time`, not the round trip's: a browser still signed in
  at the provider does not re-authenticate by coming back.

One decorator for both shapes of interface: a view `(request, …)` and an admin action
`(self, request, queryset)`.
"""
from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

# Session keys written at sign-in (rollout.signin.signals): how the session signed in, and when
# the identity provider last authenticated the user.
SESSION_SIGNIN_METHOD = "signin_method"
SESSION_SSO_AT = "signin_sso_at"
SSO_PROVIDER_ID = "sso"


def _passed(request):
    return None


_check = reauthentication_required(_passed)  # raises ReauthenticationRequired when the last one is too old


def _sso_reauthentication(request) -> HttpResponseRedirect | None:
    """For a single sign-on session, the provider's sign-in again when its last one is too old."""
    if time.time() - request.session.get(SESSION_SSO_AT, 0) < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
        return None
    back = request.get_full_path()
    # prompt=login asks the provider to ask for credentials; max_age=0 obliges it to say when it did
    # (the ID token's auth_time, which is what counts: rollout.signin.signals.sso_authenticated_at).
    query = urlencode({"process": "login", "auth_params": "prompt=login&max_age=0", "next": back})
    return HttpResponseRedirect(f"{reverse('openid_connect_login', kwargs={'provider_id': SSO_PROVIDER_ID})}?{query}")


def recent_authentication_required(function=None, *, when=None):
    """Ask for recent authentication before a POST to `function` (and only when `when(request)`)."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            request = next(arg for arg in args if isinstance(arg, HttpRequest))
            if (settings.STAFF_REAUTHENTICATION_REQUIRED and request.method == "POST"
                    and (when is None or when(request))):
                if request.session.get(SESSION_SIGNIN_METHOD) == "sso":
                    response = _sso_reauthentication(request)
                    if response is not None:
                        return response
                else:
                    _check(request)
            return view(*args, **kwargs)
        return wrapper

    return decorator(function) if function else decorator
