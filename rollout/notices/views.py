"""Unsubscribe from reminders, without login: the signed, expiring token is the authority.

GET (and HEAD) shows a confirmation page (link scanners that prefetch URLs must not unsubscribe anyone);
POST unsubscribes. POST is CSRF-exempt because RFC 8058 one-click unsubscribe comes from the mail
provider without any cookie or form token; the signed token is what protects it.
"""
from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import Filer
from courts.models import Court
from rollout.notices.services import filer_unsubscribe
from rollout.notices.tokens import address_tag_matches, unsubscribe_token_read


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        filer_id, court_id, tag = unsubscribe_token_read(token)
    except signing.SignatureExpired:
        return render(request, "notices/unsubscribe.html", {"error": "This unsubscribe link has expired. "
                      "Use the link in a more recent reminder."}, status=400)
    except signing.BadSignature:
        return render(request, "notices/unsubscribe.html", {"error": "This unsubscribe link is not valid."}, status=400)
    court = Court.objects.filter(id=court_id).first()
    filer = Filer.objects.filter(id=filer_id).first()
    if court is None or filer is None:
        return render(request, "notices/unsubscribe.html", {"error": "This unsubscribe link is not valid."}, status=400)
    if not address_tag_matches(tag, filer.email):
        return render(request, "notices/unsubscribe.html", {"error": "This unsubscribe link was sent to an address "
                      "you no longer use. Use the link in a reminder sent to your current address."}, status=400)
    if request.method == "POST":
        filer_unsubscribe(filer_id, court_id)
        return render(request, "notices/unsubscribe.html", {"done": True, "court": court})
    return render(request, "notices/unsubscribe.html", {"court": court, "token": token})
