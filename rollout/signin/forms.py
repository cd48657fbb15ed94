from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_login_failed


class LoginForm(AllauthLoginForm):
    """allauth's log-in form, also taking the field name of Django's form (`username`), so a
    bookmarked or scripted post of the old form still signs in (through allauth, MFA and axes)."""

    def __init__(self, *args, **kwargs):
        data = kwargs.get("data")
        if data is not None and "login" not in data and "username" in data:
            data = data.copy()
            data["login"] = data["username"]
            kwargs["data"] = data
        super().__init__(*args, **kwargs)

    def clean(self):
        if not settings.SSO_ONLY:
            return super().clean()
        # Only superusers use a password. Every refusal reads the same and counts as a failed try,
        # whether the password was right or wrong: otherwise the page would confirm a guessed password.
        refused = forms.ValidationError(
            "The username and/or password you specified are not correct, or the account signs in with "
            f"{settings.SSO_PROVIDER_NAME}: staff use the single sign-on button.")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            raise refused from None
        user = getattr(self, "user", None)
        if user is not None and not user.is_superuser:
            user_login_failed.send(sender=type(self), credentials={"username": self.cleaned_data.get("login", "")},
                                   request=self.request)
            raise refused
        return cleaned


CODES_REFUSED = ("This tracker takes only a security key or passkey as a second factor: use your key. "
                 "Without one, ask a superuser to reset your second factor, then add a key.")


class _KeysOnlyWhenAppsAreOff:
    """allauth's code step (authenticator-app and recovery codes), refusing every code while
    STAFF_MFA_AUTHENTICATOR_APPS is off: an authenticator enrolled before it was turned off must
    not keep signing in with a phishable code. A security key signs in through its own form."""

    def clean_code(self):
        if not settings.STAFF_MFA_AUTHENTICATOR_APPS:
            raise forms.ValidationError(CODES_REFUSED)
        return super().clean_code()


class SecondFactorCodeForm(_KeysOnlyWhenAppsAreOff, AuthenticateForm):
    pass


class SecondFactorCodeReauthenticateForm(_KeysOnlyWhenAppsAreOff, ReauthenticateForm):
    pass
