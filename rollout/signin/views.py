from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from rollout.signin.services import user_sessions_end


@require_POST
@login_required
def sign_out_everywhere(request):
    """End every session of the user: other browsers and devices, then this one."""
    count = user_sessions_end(request.user, request=request)
    logout(request)
    messages.success(request, f"Signed out everywhere ({count} other session{'s' if count != 1 else ''} ended).")
    return redirect("login")

