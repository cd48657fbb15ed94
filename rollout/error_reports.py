"""What error reports (the mails to ADMINS) show of the settings and the request.

Django's filter masks the settings named like a secret (SECRET_KEY, EMAIL_HOST_PASSWORD); the
servers' URLs are named like addresses (CELERY_BROKER_URL, REDIS_URL, CACHES' LOCATION,
NOTICES_BOUNCE_IMAP_URL), so the password inside `amqp://user:password@host` would be mailed in clear
with every error. This filter masks that password too, and keeps the rest of the URL.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.views.debug import SafeExceptionReporterFilter


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
