"""The client's address, the one every limit is keyed on (log-in lockout, the /me/ link form).

Behind TRUSTED_PROXY_COUNT reverse proxies, REMOTE_ADDR is the nearest proxy, and the client is read
from X-Forwarded-For, counting from the right: each trusted proxy appends the address it received
the request from, so the entry the outermost trusted proxy appended is the client, and anything a
client wrote to the left of it is ignored. With no proxy (the default) the header is never read: a
client could write anything in it. python-ipware does the parsing (lists, ports, IPv6, IPv4-mapped
addresses); its `proxy_count` counts the proxies listed in the header, which is one less than the
proxies in front of the site (the nearest one is REMOTE_ADDR, not in the header).
"""
from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare


@lru_cache(maxsize=4)
def _ipware(proxy_count: int) -> IpWare:
    if proxy_count == 0:
        return IpWare(precedence=("REMOTE_ADDR",))
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"), leftmost=True, proxy_count=proxy_count - 1)


def client_address(request: HttpRequest) -> str:
    """The client's address (django-axes' AXES_CLIENT_IP_CALLABLE, and every other limit)."""
    address, _ = _ipware(settings.TRUSTED_PROXY_COUNT).get_client_ip(request.META, strict=False)
    return str(address) if address is not None else request.META.get("REMOTE_ADDR", "")
