"""What error reports (the mails to ADMINS) show of the settings and the request.

Django's filter masks the settings named like a secret (SECRET_KEY, EMAIL_HOST_PASSWORD); the
servers' URLs are named like addresses (CELERY_BROKER_URL, REDIS_URL, CACHES' LOCATION,
NOTICES_BOUNCE_IMAP_URL), so the password inside `amqp://user:password@host` would be mailed in clear
with every error. This filter masks that password too, and keeps the rest of the URL.

The token in a filer's link (their status page, the address change and undo, unsubscribe) opens
that page for weeks: the report's path, URL and request headers show it masked (rollout.logs
`path_without_tokens`), and so do Sentry's events (`sentry_before_send`).
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from rollout.logs import path_without_tokens


class UrlPasswordsFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        if not isinstance(value, str) or "@" not in value:
            return value
        try:
            parts = urlsplit(value)
            password = parts.password
        except ValueError:  # not a URL (a stray "[")
            return value
        if not password:
            return value
        userinfo, _, hostport = parts.netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:{self.cleansed_substitute}@{hostport}"
        return urlunsplit(parts._replace(netloc=netloc))

    def get_safe_request_meta(self, request):
        """PATH_INFO, REQUEST_URI, RAW_URI, HTTP_REFERER ... without a link's token."""
        meta = super().get_safe_request_meta(request)
        return {key: path_without_tokens(value) if isinstance(value, str) else value for key, value in meta.items()}


class _ReportedRequest:
    """The request as the report's templates read it (`request.path_info`), its path's token masked."""

    def __init__(self, request):
        self._request = request
        self.path = path_without_tokens(request.path)
        self.path_info = path_without_tokens(request.path_info)

    def __getattr__(self, name):
        return getattr(self._request, name)


class TokensMaskedReporter(ExceptionReporter):
    """Django's report, with the request's path and URL (its title, "Request URL") without a token."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            data["request"] = _ReportedRequest(self.request)
            data["request_insecure_uri"] = path_without_tokens(data["request_insecure_uri"])
        return data


def sentry_before_send(event, hint):
    """Every text of a Sentry event (the request's URL and headers, log messages and breadcrumbs,
    exception messages) without a link's token."""
    return _masked(event)


def _masked(value):
    if isinstance(value, str):
        return path_without_tokens(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(item) for item in value]
    return value
