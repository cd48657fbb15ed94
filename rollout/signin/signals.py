"""The sign-in log, fed by Django's and django-allauth's signals (connected in RolloutConfig.ready)."""
from __future__ import annotations

import time

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from courts.admin.reauthentication import SESSION_SSO_AT
from rollout.signin.middleware import LAST_SEEN, METHOD, STARTED
from rollout.signin.models import SignInEvent
from rollout.signin.services import sign_in_event_record


@receiver(auth_signals.user_logged_in, dispatch_uid="signin_session_clock")
def on_logged_in_session_clock(sender, request, user, **kwargs):
    """Every sign-in (a form, single sign-on, the test client) starts the session's clocks."""
    session = getattr(request, "session", None)
    if session is not None:
        session[STARTED] = session[LAST_SEEN] = time.time()


def sso_authenticated_at(sociallogin) -> float:
    """When the identity provider last asked the user for credentials: the ID token's `auth_time`.

    Not the time of this sign-in: a browser still signed in at the provider comes back without being
    asked anything, and that must not count as re-authenticating. No `auth_time` (a provider may leave
    it out unless `max_age` is asked, as the re-authentication redirect does) counts as long ago.
    """
    claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
    auth_time = claims.get("auth_time")
    return float(auth_time) if isinstance(auth_time, (int, float)) and not isinstance(auth_time, bool) else 0.0


@receiver(account_signals.user_logged_in, dispatch_uid="signin_logged_in")
def on_logged_in(sender, request, user, sociallogin=None, **kwargs):
    method = "sso" if sociallogin is not None else "password"
    request.session[METHOD] = method
    if sociallogin is not None:
        request.session[SESSION_SSO_AT] = sso_authenticated_at(sociallogin)
    detail = f"provider {sociallogin.account.provider}" if sociallogin is not None else ""
    sign_in_event_record(SignInEvent.Kind.SIGNED_IN, request=request, user=user, method=method, detail=detail)


@receiver(auth_signals.user_login_failed, dispatch_uid="signin_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    sign_in_event_record(SignInEvent.Kind.SIGN_IN_FAILED, request=request,
                         username=str(credentials.get("username") or credentials.get("login") or ""),
                         method="password")


@receiver(auth_signals.user_logged_out, dispatch_uid="signin_logged_out")
def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        sign_in_event_record(SignInEvent.Kind.SIGNED_OUT, request=request, user=user)


@receiver(mfa_signals.authenticator_used, dispatch_uid="signin_mfa_used")
def on_mfa_used(sender, request, user, authenticator, reauthenticated=False, **kwargs):
    kind = SignInEvent.Kind.REAUTHENTICATED if reauthenticated else SignInEvent.Kind.MFA_USED
    sign_in_event_record(kind, request=request, user=user, method=authenticator.type)


@receiver(mfa_signals.authentication_failed, dispatch_uid="signin_mfa_failed")
def on_mfa_failed(sender, request, user, authenticator=None, reauthentication=False, **kwargs):
    sign_in_event_record(SignInEvent.Kind.MFA_FAILED, request=request, user=user,
                         method=getattr(authenticator, "type", ""),
                         detail="while re-authenticating" if reauthentication else "")


@receiver(mfa_signals.authenticator_added, dispatch_uid="signin_mfa_added")
def on_mfa_added(sender, request, user, authenticator, **kwargs):
    sign_in_event_record(SignInEvent.Kind.MFA_ADDED, request=request, user=user, method=authenticator.type,
                         detail=str(authenticator)[:300])


@receiver(mfa_signals.authenticator_removed, dispatch_uid="signin_mfa_removed")
def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    sign_in_event_record(SignInEvent.Kind.MFA_REMOVED, request=request, user=user, method=authenticator.type,
                         detail=str(authenticator)[:300])


@receiver(mfa_signals.authenticator_reset, dispatch_uid="signin_mfa_reset")
def on_mfa_reset(sender, request, user, authenticator, **kwargs):
    sign_in_event_record(SignInEvent.Kind.MFA_RESET, request=request, user=user, method=authenticator.type)
