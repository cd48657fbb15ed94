"""django-allauth adapters: nobody signs up, single sign-on only finds existing staff.

Single sign-on (the OpenID Connect provider of allauth.socialaccount) never creates an account:
a court administrator is made by a rollout coordinator in the tracker, with the courts they
administer. A first sign-in through the identity provider is matched to that account by an email
address the provider says it has VERIFIED, within SSO_ALLOWED_EMAIL_DOMAINS, and only among active
staff users. Filers are `accounts.Filer` records, never users, so no path links one.
"""
from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.shortcuts import render
from requests import RequestException

from rollout.signin.models import SignInEvent
from rollout.signin.services import sign_in_event_record, staff_user_for_sso_email


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_authenticate(self, request, **credentials) -> None:
        """Password attempts are django-axes' to count (settings: ACCOUNT_RATE_LIMITS); allauth's
        "login_failed" limit is left to second-factor codes."""

    def reauthenticate(self, user, password: str) -> bool:
        ok = super().reauthenticate(user, password)
        if ok:
            from allauth.core import context

            sign_in_event_record(SignInEvent.Kind.REAUTHENTICATED, request=context.request, user=user,
                                 method="password")
        return ok


def _refuse(request, reason: str, *, email: str = ""):
    sign_in_event_record(SignInEvent.Kind.SSO_REFUSED, request=request, username=email, method="sso", detail=reason)
    raise ImmediateHttpResponse(render(request, "signin/sso_refused.html", {"reason": reason}, status=403))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return False

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        """A token that fails its checks (signature, issuer, audience, expiry), a cancelled or failed
        sign-in: logged, then allauth's error page; 503 "unavailable" when the provider could not be reached."""
        cause = getattr(exception, "__cause__", None)  # e.g. the token library's "signature has expired"
        sign_in_event_record(SignInEvent.Kind.SSO_REFUSED, request=request, method="sso",
                             detail=f"{error or 'error'}: {exception or ''}{f' ({cause})' if cause else ''}"[:300])
        if isinstance(exception, RequestException):
            # The identity provider could not be reached: a wait, not a refusal (allauth's page says 401).
            raise ImmediateHttpResponse(render(request, "socialaccount/authentication_error.html",
                                               {"unavailable": True}, status=503))

    def pre_social_login(self, request, sociallogin) -> None:
        """Let in a linked staff account; link a first sign-in to the one staff user with its verified email.

        Steps:
        1. already linked: the account must still be active staff;
        2. otherwise take the addresses the provider marks verified, in an allowed domain;
        3. the one active staff user with such an address is linked (`sociallogin.connect`);
           none, or an unverified address, is refused with a page that says what to do.
        """
        if sociallogin.is_existing:
            user = sociallogin.user
            if not (user.is_active and user.is_staff):
                _refuse(request, "This account is not an active staff account of the tracker.",
                        email=user.email)
            return
        domains = {d.lower().lstrip("@") for d in settings.SSO_ALLOWED_EMAIL_DOMAINS}
        addresses = [a for a in sociallogin.email_addresses if a.email]
        verified = [a.email for a in addresses if a.verified]
        shown = addresses[0].email if addresses else ""
        if not verified:
            _refuse(request, "Your identity provider did not confirm that your email address is verified.",
                    email=shown)
        allowed = [e for e in verified if not domains or e.rsplit("@", 1)[-1].lower() in domains]
        if not allowed:
            _refuse(request, "Your email address is not in a domain this tracker accepts for single sign-on.",
                    email=verified[0])
        for email in allowed:
            user = staff_user_for_sso_email(email)
            if user is not None:
                sociallogin.connect(request, user)
                return
        _refuse(request, "No staff account of the tracker has your email address. Ask your rollout coordinator "
                         "to add you (single sign-on does not create accounts).", email=allowed[0])
