"""The plain-HTTP trial of production mode (LOCAL_HTTP_TRIAL=1), before a proxy and a certificate exist.

Production mode redirects to https and marks the session and CSRF cookies Secure, so over plain HTTP
the login silently fails. The trial turns those off, and is refused unless nothing but this machine
can reach the site: every ALLOWED_HOSTS entry is a loopback name or address (settings), and gunicorn
binds only to loopback addresses or a Unix socket (gunicorn_conf). Cookies sent in clear text then
never leave the machine.
"""
from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = {"localhost"}


def is_loopback_host(host: str) -> bool:
    host = host.strip().lower().strip("[]")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts_problem(allowed_hosts: list[str]) -> str:
    """Why the trial is refused for these ALLOWED_HOSTS, or "" when every one is loopback."""
    others = [host for host in allowed_hosts if not is_loopback_host(host)]
    if not allowed_hosts or others:
        return ("LOCAL_HTTP_TRIAL=1 is for a trial on this machine only: ALLOWED_HOSTS must name only loopback "
                f"hosts (localhost, 127.0.0.1, [::1]); it names {', '.join(others) or 'nothing'}. Unset "
                "LOCAL_HTTP_TRIAL once the site is served over HTTPS.")
    return ""


def loopback_bind_problem(address: str) -> str:
    """Why gunicorn may not listen on `address` during the trial, or ""."""
    if address.startswith(("unix:", "fd://")):
        return ""
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 or address.startswith("[") else address
    if is_loopback_host(host):
        return ""
    return (f"LOCAL_HTTP_TRIAL=1 is for a trial on this machine only: GUNICORN_BIND must be a loopback address "
            f"(e.g. 127.0.0.1:8000), not {address}.")
