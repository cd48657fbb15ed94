"""Writes of the sign-in log and the sign-out of every session of a user."""
from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model

from rollout.client_address import client_address
from rollout.signin.models import SignInEvent


def lockout_username(request, credentials: dict | None = None) -> str | None:
    """The username django-axes counts failures under (AXES_USERNAME_CALLABLE): the one sign-in
    looks up, stripped and in lower case, from the credentials or else the posted form."""
    name = (credentials or {}).get("username")
    if name is None and request is not None:
        data = getattr(request, "POST", None) or {}
        name = data.get("login") or data.get("username")
    return name.strip().lower() if isinstance(name, str) else None


def _address(request) -> str | None:
    if getattr(request, "META", None) is None:
        return None  # not from a request
    # The client's, read as axes reads it (TRUSTED_PROXY_COUNT): behind a proxy REMOTE_ADDR is the proxy.
    return client_address(request) or None


def sign_in_event_record(kind: str, *, request=None, user=None, username: str = "", method: str = "",
                         detail: str = "") -> SignInEvent:
    """One row of the sign-in log. `user` may be None (a failed try for an unknown name)."""
    if user is not None and not getattr(user, "pk", None):
        user = None
    if not username and user is not None:
        username = user.get_username()
    return SignInEvent.objects.create(
        kind=kind, user=user, username=(username or "")[:150], method=method[:40],
        address=_address(request), detail=detail[:300],
    )


def user_sessions_end(user, *, request=None) -> int:
    """End every other session of `user` (allauth's record of sessions, kept at each sign-in);
    the caller signs the current one out. Returns how many ended."""
    current = getattr(getattr(request, "session", None), "session_key", None)
    ended = 0
    for session in UserSession.objects.purge_and_list(user):
        if session.session_key != current:
            session.end()
            ended += 1
    sign_in_event_record(SignInEvent.Kind.SIGNED_OUT_EVERYWHERE, request=request, user=user,
                         detail=f"{ended} other session(s) ended")
    return ended


def staff_user_for_sso_email(email: str):
    """The one active staff user whose email is `email` (case-insensitive), or None.

    Only staff accounts are candidates: filers are `accounts.Filer` records, never users, and a
    non-staff user is no court administrator. Two staff users sharing an address match neither.
    """
    matches = list(get_user_model().objects.filter(email__iexact=email, is_active=True, is_staff=True)[:2])
    return matches[0] if len(matches) == 1 else None
