"""/healthz and /metrics answer whatever Host header their caller sends.

A load balancer probes each backend by its own address (`Host: 10.0.0.5:8000`, or none at all) and
Prometheus scrapes the web machine by its name (`rollout-web-1:8000`, docs/deploy.md): hosts that
ALLOWED_HOSTS does not name, so Django would answer them 400 and mark every backend down. Neither view
builds a URL or a link from the host, the harm ALLOWED_HOSTS guards against, so their requests are
given the site's own host name; every other page still refuses a host not allowed.
"""
from __future__ import annotations

from django.conf import settings

PROBE_PATHS = frozenset({"/healthz", "/metrics"})


def probes_answer_any_host(get_response):
    """Middleware, before anything reads the host (SecurityMiddleware, CommonMiddleware)."""

    def middleware(request):
        if request.path_info in PROBE_PATHS:
            # An entry ".court.example" allows "court.example" itself; with "*" alone any host passes as sent.
            named = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host.lstrip(".") not in ("", "*")]
            if named:
                request.META["HTTP_HOST"] = named[0]
        return get_response(request)

    return middleware
