"""No query string, path argument or junk value makes any page outside the admin answer 500.

Generated, not listed: the URLs come from the URL resolver (every pattern of rollout/urls.py and
the apps it includes, the admin aside — the admin has its own generated test — and django-allauth's sign-in pages), each path argument
filled by the argument's name (real court ids of the user's court and another court, junk
tokens); the query parameters are every field name and link parameter found in the pages' own
HTML (filter forms, sort and page links, export links) plus the tables' `sort`, `page`,
`per_page`. Each page gets each junk value in every parameter at once, then (on the route's first
path that is found) in each parameter alone, as a court administrator, a superuser and someone not logged in, with DEBUG off (as in
production).
"""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.counts import court_counts_refresh
from tests.factories import court_with_accounts, montana_administrator, montana_court, superuser, utah_court

pytestmark = pytest.mark.django_db

# Values no form offers: negative, zero, huge, non-numeric, NUL, SQL and HTML, impossible dates,
# very long, non-ASCII; each is URL-encoded except the last two, which are raw bytes that are
# not UTF-8 and a lone percent sign.
JUNK = ["", "-1", "0", "abc", "1000000000", "9" * 30, "1e3", "\x00", "MTDC\x00UTDC", "' OR '1'='1' --",
        "<script>alert(1)</script>", "2026-02-30", "-", "x" * 3000, "José\u202e"]
RAW_JUNK = ["%FF%FE", "%"]
ALONE = ["-1", "abc", "\x00", "9" * 30]
# The tables' parameters (django-tables2): not all of them appear in a page's links.
TABLE_PARAMETERS = {"sort", "page", "per_page", "export"}
# Path arguments by argument name: real court ids as the user would type them, and junk.
JUNK_TOKENS = ["abc", "x" * 500, "a:b:c", "..", "%00"]


def court_ids_to_try() -> list[str]:
    """The administrator's court, another court, an unknown one, and ids no court has the shape of."""
    return ["mtdc", "UTDC", "XXDC", "MTDC\x00UTDC", "MTDC'--", "m" * 300]


FILL = {"court_id": court_ids_to_try, "token": lambda: JUNK_TOKENS, "circuit": lambda: ["09", "10", "DC", "Z\x00Z", "..%2F"],
        # The set-password link's user id (base64 of a primary key): user 1, junk.
        "uidb64": lambda: ["MQ", "abc", "-1", "%00", "x" * 500],
        # The single sign-on button's provider (rollout.signin.views.sso_login): the site's, unknown, junk.
        "provider_id": lambda: ["sso", "nosuch", "%00"]}


def site_patterns(resolvers=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """(route, pattern) of every URL outside the admin, from the resolver itself."""
    found = []
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin":
                continue
            if getattr(entry.urlconf_module, "__name__", "").startswith("allauth."):
                continue  # django-allauth's sign-in pages: a maintained library, tested by its authors
            found += site_patterns(entry.url_patterns, route)
        else:
            found.append((route, entry))
    return found


def fill_route(route: str, pattern: URLPattern) -> list[str]:
    """Every path for `route` with its arguments filled (`FILL` by argument name)."""
    paths = ["/" + route]
    for name in pattern.pattern.converters:
        assert name in FILL, f"{route}: add values for the path argument {name!r} to FILL"
        placeholder = re.compile(rf"<(?:[^<>:]+:)?{name}>")
        paths = [placeholder.sub(quote(value, safe=""), p) for p in paths for value in FILL[name]()]
    assert all("<" not in p for p in paths), paths
    return paths


class _Names(HTMLParser):
    """Form field names and link query keys of a page."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            self.names.add(attrs["name"])
        if tag == "a" and attrs.get("href"):
            self.names.update(k for k, _ in parse_qsl(urlsplit(attrs["href"]).query, keep_blank_values=True))


def page_parameter_names(response) -> set[str]:
    """The parameters a page offers: its form fields and link keys, and the tables' parameters."""
    names = set(TABLE_PARAMETERS)
    if response.get("Content-Type", "").startswith("text/html"):
        parser = _Names()
        parser.feed(response.content.decode())
        names |= parser.names
    return names - {"csrfmiddlewaretoken", "password"}


def parameter_names(client: Client, paths: list[str]) -> set[str]:
    return set().union(*(page_parameter_names(client.get(path)) for path in paths))


@pytest.fixture
def world():
    montana, utah = montana_court(), utah_court()
    court_with_accounts(montana, live_on=dt.date(2021, 9, 27), per_state=2,
                        linked_at=[dt.datetime(2021, 10, 1, 18, tzinfo=dt.timezone.utc)])
    court_with_accounts(utah, live_on=None)
    court_counts_refresh()
    return {"court administrator": montana_administrator(), "superuser": superuser()}


# The junk a path with junk in its own arguments gets in its query string (the full set is tried on
# the route's first paths, whose arguments are real: see FULL_PATHS).
PATH_JUNK_QUERY = ["\x00", "x" * 3000]
FULL_PATHS = 2


def query_strings(names: set[str], alone: set[str] = frozenset(), *, junk: list[str] = JUNK,
                  raw: bool = True) -> list[str]:
    """Each junk value in every parameter at once (a page reads its parameters one by one, so each
    meets each value), then a few kinds of junk in each parameter of `alone` by itself (where one
    parameter being valid changes what another does, e.g. the paginator an unfiltered page uses)."""
    encoded = [quote(v, safe="") for v in junk] + (RAW_JUNK if raw else [])
    together = ["&".join(f"{n}={v}" for n in sorted(names)) for v in encoded]
    repeated = ["&".join(f"{n}=1&{n}=abc" for n in sorted(names))]
    return together + [f"{n}={quote(v, safe='')}" for n in sorted(alone) for v in ALONE] + repeated


def site_routes() -> list[str]:
    return list(dict.fromkeys(route for route, _ in site_patterns()))


_NAMES: dict[str, set[str]] = {}


def every_parameter_name(world) -> set[str]:
    """The parameter names of every page as a superuser sees them (computed once per test process:
    they come from the templates, not from the data)."""
    if "names" not in _NAMES:
        paths = list(dict.fromkeys(p for route, pattern in site_patterns() for p in fill_route(route, pattern)))
        seer = Client()
        seer.force_login(world["superuser"])  # sees every page, so every parameter name
        _NAMES["names"] = parameter_names(seer, paths)
    return _NAMES["names"]


@pytest.mark.parametrize("route", site_routes())
@pytest.mark.parametrize("persona", ["court administrator", "superuser", "anonymous"])
def test_no_page_answers_500_to_junk_in_its_query_string(world, persona, route, settings):
    """The route's first paths (FULL_PATHS: real court ids, as FILL lists them first) get every junk
    value in every parameter of every page, its other paths (junk in the path itself) the plain
    request and a little junk (PATH_JUNK_QUERY); the first path
    that answers 200 also gets each parameter its own page offers (its form fields and link keys, and
    the tables' parameters) alone. The same view reads the parameters whatever the path's arguments;
    a path refused or redirected before its parameters are read needs no more."""
    settings.DEBUG = False
    # /healthz pings the Celery workers; there are none here, so each request would wait out the timeout.
    settings.HEALTHZ_WORKER_PING_TIMEOUT = 0.01
    names = every_parameter_name(world)
    assert {"q", "readiness", "circuit", "sort", "per_page", "months"} <= names  # the collection found the pages' fields
    paths = [p for r, pattern in site_patterns() if r == route for p in fill_route(r, pattern)]
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(world[persona])
    tried = 0
    failures = []
    alone_done = False
    def check(path: str, query: str, response) -> None:
        # /healthz answers 503 by design while beat has not run (no heartbeat in a test), whatever the query.
        if response.status_code >= 500 and not (path == "/healthz" and response.status_code == 503):
            failures.append(f"{path}?{query[:120]} → {response.status_code}")

    for number, path in enumerate(paths):
        plain = client.get(path)
        tried += 1
        check(path, "", plain)
        alone: set[str] = set()
        # Alone only where the view itself answers: a redirect (to sign in) has not read the parameters.
        if not alone_done and plain.status_code == 200:
            alone_done = True
            alone = page_parameter_names(plain)
        full = number < FULL_PATHS
        for query in query_strings(names, alone, junk=JUNK if full else PATH_JUNK_QUERY, raw=full):
            tried += 1
            check(path, query, client.get(path, QUERY_STRING=query))
    assert tried and not failures, f"{len(failures)} of {tried} requests answered 500:\n" + "\n".join(failures[:20])


# --- Reported reproductions, by name ---------------------------------------------------------------

@pytest.fixture
def montana_client(world, client):
    client.force_login(world["court administrator"])
    return client


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", ["/", "/courts/mtdc/"])
@pytest.mark.parametrize("value, expected", [("-1", 50), ("0", 50), ("abc", 50), ("", 50), ("7", 7),
                                             ("1000000000", 500)])
def test_per_page_is_bounded_and_a_bad_value_falls_back_to_the_default(montana_client, settings, debug, path, value,
                                                                       expected):
    settings.DEBUG = debug
    response = montana_client.get(path, {"per_page": value})
    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == expected


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", ["/courts/MTDC%00UTDC/", "/courts/MTDC%00UTDC/accounts.csv", "/courts/mt%20dc/",
                                  "/courts/MTDC'/", "/courts/" + "M" * 17 + "/"])
def test_a_court_id_of_the_wrong_shape_is_not_found(montana_client, settings, debug, path):
    settings.DEBUG = debug
    assert montana_client.get(path).status_code == 404


def test_a_court_id_of_the_wrong_shape_is_not_looked_up():
    from django.http import Http404

    from rollout.dashboard.selectors import court_for_user_or_404

    with pytest.raises(Http404):
        court_for_user_or_404(superuser(), "MTDC\x00UTDC")
