from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from requests import RequestException

from rollout.signin.services import user_sessions_end


@require_POST
@login_required
def sign_out_everywhere(request):
    """End every session of the user: other browsers and devices, then this one."""
    count = user_sessions_end(request.user, request=request)
    logout(request)
    messages.success(request, f"Signed out everywhere ({count} other session{'s' if count != 1 else ''} ended).")
    return redirect("login")


def sso_login(request, provider_id):
    """allauth's single sign-on button. Starting the sign-in reads the identity provider's
    configuration, and allauth handles no network error there (it does on the way back): a provider
    that is down, or an SSO_ISSUER that names no server, gets allauth's authentication-error page,
    not a 500."""
    try:
        return oidc_views.login(request, provider_id)
    except RequestException as exc:
        provider = get_adapter(request).get_provider(request, provider_id)
        return render_authentication_error(request, provider, exception=exc)
