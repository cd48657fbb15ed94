"""Sessions that end, and staff who must have a second factor.

`StaffSignInMiddleware` (after allauth's AccountMiddleware) on each request of a signed-in user:
1. ends the session when it has been idle longer than STAFF_SESSION_IDLE_SECONDS or began more than
   STAFF_SESSION_MAX_AGE_SECONDS ago (the sign-in log says so; the user is sent to sign in again);
2. notes the time of this request (at most once a minute, so a page does not always write the session);
3. when STAFF_MFA_REQUIRED is on, sends a staff user with no security key (or authenticator app,
   where STAFF_MFA_AUTHENTICATOR_APPS allows them) to
   the two-factor page before anything else answers: only the sign-in, sign-out and enrolment
   pages, static files and the health check are open to them. A session signed in by single
   sign-on is not asked: the identity provider's own MFA policy covers it.
"""
from __future__ import annotations

import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect

from courts.admin.reauthentication import SESSION_SIGNIN_METHOD as METHOD
from rollout.signin.models import SignInEvent
from rollout.signin.services import sign_in_event_record

STARTED = "signin_started"
LAST_SEEN = "signin_last_seen"
# What counts as a second factor: a security key, and an authenticator app only where
# STAFF_MFA_AUTHENTICATOR_APPS allows codes (recovery codes alone never do).
KEYS = (Authenticator.Type.WEBAUTHN,)
KEYS_AND_APPS = (Authenticator.Type.WEBAUTHN, Authenticator.Type.TOTP)
# Paths a staff user without a second factor may still open: signing in and out, enrolling.
ENROLMENT_OPEN = ("/accounts/", "/static/", "/healthz")


def has_second_factor(user) -> bool:
    factors = KEYS_AND_APPS if settings.STAFF_MFA_AUTHENTICATOR_APPS else KEYS
    return Authenticator.objects.filter(user=user, type__in=factors).exists()


class StaffSignInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ended = self._expired(request)
            if ended:
                sign_in_event_record(SignInEvent.Kind.SESSION_EXPIRED, request=request, user=user, detail=ended)
                logout(request)
                messages.info(request, f"Your session ended ({ended}): sign in again.")
                return redirect_to_login(request.get_full_path())
            now = time.time()
            if now - request.session.get(LAST_SEEN, 0) > 60:
                request.session[LAST_SEEN] = now
            if self._needs_enrolment(request):
                messages.warning(request, (
                    "Staff accounts need a second factor: add a security key (or, failing that, an "
                    "authenticator app) before you continue." if settings.STAFF_MFA_AUTHENTICATOR_APPS else
                    "Staff accounts need a security key or passkey: add one before you continue."))
                return redirect("mfa_index")
        return self.get_response(request)

    @staticmethod
    def _expired(request) -> str:
        now = time.time()
        started = request.session.get(STARTED)
        last_seen = request.session.get(LAST_SEEN)
        if started is None:
            # A session from before this middleware: its clock starts now.
            request.session[STARTED] = request.session[LAST_SEEN] = now
            return ""
        if now - started > settings.STAFF_SESSION_MAX_AGE_SECONDS:
            return "the longest a session may last has passed"
        if last_seen is not None and now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS:
            return "no activity for too long"
        return ""

    @staticmethod
    def _needs_enrolment(request) -> bool:
        user = request.user
        if not settings.STAFF_MFA_REQUIRED or not (user.is_staff or user.is_superuser):
            return False
        if request.session.get(METHOD) == "sso" or request.path.startswith(ENROLMENT_OPEN):
            return False
        return not has_second_factor(user)
