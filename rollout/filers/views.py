"""The filer's pages. The signed token in the URL is the only authority: no login, no password.

Every action is a POST (link scanners that open URLs, with GET or HEAD, change nothing) and is
CSRF-protected; every write goes through `accounts.self_service`. A refused token (expired, edited,
made for another purpose, or for an address that has changed since) gets the same plain page that
names no filer and offers to send a new link.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Filer
from accounts.self_service import (
    SelfServiceRefused, cmecf_account_report_linked, filer_change_email, help_request_create,
    pacer_account_report_upgraded,
)
from rollout.client_address import client_address
from rollout.filers import emails
from rollout.filers.forms import AccountForm, EmailForm, HelpForm, form_problems
from rollout.filers.ratelimit import RateLimitUnavailable, rate_allow
from rollout.filers.selectors import filer_status_rows
from rollout.filers.tasks import send_status_link
from rollout.signed_links import (
    TokenRefused, email_change_token_read, email_tag, email_undo_token_read, status_token_read,
)

log = logging.getLogger(__name__)

SAME_ANSWER = ("If that address is on file, a new link to your status page is on its way to it. "
               "It works for {days} days.")
# When the request counter cannot be reached: refused (links are never sent uncounted), and said so.
UNAVAILABLE = "We cannot take this request just now. Please try again in a few minutes."


def _refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
    message = ("This link has expired." if exc.expired else "This link is not valid.")
    return render(request, "filers/refused.html", {"message": message, "form": EmailForm()},
                  status=410 if exc.expired else 404)


# The status page's address once the link was opened: /me/current/. The emailed token is swapped for
# the session on first use, so it does not stay in the address bar, the history or the access log of
# every later request (the first one logs it, as any emailed link is).
SESSION_TOKEN = "current"
_SESSION_KEY = "filers_status_token"


def _token(request: HttpRequest, token: str) -> str:
    """The token in the URL, or the session's for /me/current/. That address is the one the filer
    sees, bookmarks or leaves open: without a session (its cookie expired) it is an expired link."""
    if token != SESSION_TOKEN:
        return token
    stored = request.session.get(_SESSION_KEY, "")
    if not stored:
        raise TokenRefused(expired=True)
    return stored


def _filer_for(token: str) -> Filer:
    """The filer the token names, if their address is still the one it was made for, and has not
    changed since (an undo restores the address, not the links from before); else TokenRefused."""
    filer_id, tag, changes = status_token_read(token)
    filer = Filer.objects.select_related("pacer_account").filter(pk=filer_id).first()
    if filer is None or email_tag(filer.email) != tag or filer.email_changes != changes:
        raise TokenRefused(expired=False)
    return filer


@never_cache
@require_safe
def status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        filer = _filer_for(_token(request, token))
    except TokenRefused as exc:
        return _refused(request, exc)
    if token != SESSION_TOKEN:
        # First use: keep the token in a new session (a fresh key, so no one can plant theirs) and
        # send the browser to the address without it.
        request.session.cycle_key()
        request.session[_SESSION_KEY] = token
        return redirect("filers:status", token=SESSION_TOKEN)
    token = SESSION_TOKEN
    rows = filer_status_rows(filer)
    for row in rows:  # one form per login, with ids of its own (labels must point at one field)
        row.help_form = HelpForm(auto_id=f"help{row.account.pk}_%s", initial={"account": row.account.pk})
    pacer = filer.pacer_account
    return render(request, "filers/status.html", {
        "filer": filer, "rows": rows, "token": token, "pacer": pacer,
        "can_report_upgrade": bool(pacer and pacer.is_legacy and not pacer.upgrade_reported_at),
        "email_form": EmailForm(auto_id="address_%s"),
    })


def _act(request: HttpRequest, token: str, action) -> HttpResponse:
    """Run `action(filer)` for a valid token; its message (or refusal) shows on the status page."""
    try:
        filer = _filer_for(_token(request, token))
    except TokenRefused as exc:
        return _refused(request, exc)
    try:
        text = action(filer)
    except SelfServiceRefused as exc:
        messages.error(request, str(exc))
    else:
        if text:
            messages.success(request, text)
    return redirect("filers:status", token=token)


def _account_id(request: HttpRequest) -> int:
    form = AccountForm(request.POST)
    if not form.is_valid():
        raise SelfServiceRefused("That CM/ECF login is not one of yours.")
    return form.cleaned_data["account"]


@never_cache
@require_POST
def report_linked(request: HttpRequest, token: str) -> HttpResponse:
    def action(filer):
        account = cmecf_account_report_linked(filer, _account_id(request))
        return (f"Thank you: we noted that you linked {account.login} at the {account.court.name}. "
                f"Until the court's records confirm it, no reminders for it for {settings.FILERS_SELF_REPORT_PAUSE_DAYS} days.")
    return _act(request, token, action)


@never_cache
@require_POST
def report_upgraded(request: HttpRequest, token: str) -> HttpResponse:
    def action(filer):
        pacer_account_report_upgraded(filer)
        return "Thank you: we noted that you upgraded your PACER account. The courts will confirm it."
    return _act(request, token, action)


@never_cache
@require_POST
def ask_help(request: HttpRequest, token: str) -> HttpResponse:
    def action(filer):
        form = HelpForm(request.POST)
        if not form.is_valid():
            raise SelfServiceRefused(form_problems(form))
        help_request = help_request_create(filer, form.cleaned_data["account"], form.cleaned_data["reason"],
                                           form.cleaned_data["text"])
        court = help_request.account.court
        return (f"Your request went to the {court.name} help desk"
                + (f" ({court.help_desk_phone})" if court.help_desk_phone else "") + ". They will contact you.")
    return _act(request, token, action)


@never_cache
@require_POST
def change_email(request: HttpRequest, token: str) -> HttpResponse:
    def action(filer):
        form = EmailForm(request.POST)
        if not form.is_valid():
            raise SelfServiceRefused(form_problems(form))
        new_email = form.cleaned_data["email"].strip().lower()
        if new_email == filer.email:
            raise SelfServiceRefused("That is already your address for notices.")
        try:
            allowed = rate_allow("email-change", str(filer.pk), settings.FILERS_LINK_REQUESTS_PER_HOUR)
        except RateLimitUnavailable:
            raise SelfServiceRefused(UNAVAILABLE) from None
        if not allowed:
            raise SelfServiceRefused("Too many requests; try again in an hour.")
        emails.send_email_confirm(filer, new_email)
        return (f"We sent a confirmation link to {new_email}. Your address changes once you open it; "
                "until then notices keep coming here.")
    return _act(request, token, action)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET (or HEAD) shows a button (a mail scanner's prefetch changes nothing); POST makes the change."""
    try:
        filer_id, old_tag, new_email, changes = email_change_token_read(token)
        filer = Filer.objects.filter(pk=filer_id).first()
        if filer is None or email_tag(filer.email) != old_tag or filer.email_changes != changes:
            raise TokenRefused(expired=False)
    except TokenRefused as exc:
        return _refused(request, exc)
    if request.method != "POST":  # GET or HEAD: only the button
        return render(request, "filers/email_confirm.html", {"new_email": new_email})
    old_email = filer.email
    try:
        filer = filer_change_email(filer.pk, old_email, new_email, changes)
    except SelfServiceRefused as exc:
        return render(request, "filers/email_confirm.html", {"new_email": new_email, "error": str(exc)}, status=409)
    emails.send_email_changed(filer, old_email)
    emails.send_status_link(filer)
    return render(request, "filers/email_confirm.html", {"new_email": new_email, "done": True})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def email_undo(request: HttpRequest, token: str) -> HttpResponse:
    """The old address takes its place back (the link in the notice sent to it). GET shows a button;
    POST restores it, only while the address that replaced it is still the one on file."""
    try:
        filer_id, old_email, new_tag, changes = email_undo_token_read(token)
        filer = Filer.objects.filter(pk=filer_id).first()
        if filer is None or email_tag(filer.email) != new_tag or filer.email_changes != changes:
            raise TokenRefused(expired=False)
    except TokenRefused as exc:
        return _refused(request, exc)
    if request.method != "POST":  # GET or HEAD: only the button
        return render(request, "filers/email_confirm.html", {"new_email": old_email, "undo": True})
    try:
        filer = filer_change_email(filer.pk, filer.email, old_email, changes)
    except SelfServiceRefused as exc:
        return render(request, "filers/email_confirm.html", {"new_email": old_email, "undo": True, "error": str(exc)},
                      status=409)
    emails.send_status_link(filer)
    return render(request, "filers/email_confirm.html", {"new_email": old_email, "undo": True, "done": True})


def _client(request: HttpRequest) -> str:
    return client_address(request)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """"Send me a new link": the same answer whether or not the address is known; rate-limited per
    address and per client; a link goes only to a known address."""
    # Bound on every POST: an empty one (no field at all) is then invalid and says what is missing.
    form = EmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        try:
            allowed = (rate_allow("link-client", _client(request), settings.FILERS_LINK_REQUESTS_PER_HOUR_PER_CLIENT)
                       and rate_allow("link-email", email, settings.FILERS_LINK_REQUESTS_PER_HOUR))
        except RateLimitUnavailable:
            log.warning("link request refused: the rate-limit counter cannot be reached")
            return render(request, "filers/request_link.html", {"form": EmailForm(), "error": UNAVAILABLE},
                          status=503)
        if not allowed:
            return render(request, "filers/request_link.html", {
                "form": EmailForm(), "error": "Too many requests. Please try again in an hour."}, status=429)
        # Known or not, the same work here: the worker looks the address up and sends only to a filer.
        try:
            send_status_link.delay(email)
        except Exception as exc:  # broker down: log; the answer stays the same (the filer can ask again)
            log.warning("could not queue a status link: %s", exc)
        return render(request, "filers/request_link.html", {
            "sent": SAME_ANSWER.format(days=settings.FILERS_LINK_MAX_AGE_DAYS)})
    return render(request, "filers/request_link.html", {"form": form}, status=400 if request.method == "POST" else 200)
