"""The admin's answer to parameters it cannot use: 400, never a 500.

Django's admin turns a query parameter into a database lookup (`?court=…`, `?at__year=…`), a posted
`_selected_action` into `pk__in`, and an autocomplete term into a search, without checking that the
value fits the column: "abc" for an id, a year out of the calendar, a number past 64 bits, a NUL byte
(PostgreSQL refuses it in text). Those fail as ValueError, OverflowError, ValidationError or a
DataError from the database, for every model admin alike (Django's own ones included), so they are
answered here, once, for the whole admin site:

- a NUL in the query string or in the posted `_selected_action` / `action` is refused before the view
  runs;
- an autocomplete whose `field_name` is not a relation the model itself declares (a reverse one,
  `filer.cmecf_accounts`, which Django's view reads as a foreign key and fails on) is refused 403,
  as Django refuses a field it does not find;
- the failures above, raised while an admin page reads its parameters or runs the query they make,
  are answered 400 "Bad request" and logged as a warning (the traceback is kept for the logs).
Forms are not concerned: a value typed into a form field is checked by the form and shown beside it.
"""
from __future__ import annotations

import logging

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError
from django.http import HttpRequest
from django.views.defaults import bad_request

log = logging.getLogger(__name__)

BAD_PARAMETER_ERRORS = (ValueError, OverflowError, ValidationError, DataError)


def _is_admin(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.namespaces


def _forward_relation(params) -> bool:
    """Whether the autocomplete's app_label, model_name and field_name name a relation the model
    declares; an unknown model or field is left to Django's view, which refuses it the same way."""
    try:
        field = apps.get_model(params.get("app_label", ""), params.get("model_name", ""))._meta.get_field(
            params.get("field_name", ""))
    except (LookupError, ValueError, FieldDoesNotExist):
        return True
    return not (field.is_relation and field.auto_created and not field.concrete)


class AdminBadParametersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _is_admin(request):
            return None
        values = [v for values in request.GET.lists() for v in values[1]] + [request.META.get("QUERY_STRING", "")]
        if request.method == "POST" and not request.content_type.startswith("multipart/"):
            values += request.POST.getlist("_selected_action") + request.POST.getlist("action")
        if any("\x00" in value or "%00" in value for value in values):
            return bad_request(request, ValidationError("A parameter holds a NUL character."))
        if request.resolver_match.url_name == "autocomplete" and not _forward_relation(request.GET):
            raise PermissionDenied
        return None

    def process_exception(self, request, exception):
        if not _is_admin(request) or not isinstance(exception, BAD_PARAMETER_ERRORS):
            return None
        if request.method == "POST" and "_selected_action" not in request.POST and not request.GET:
            return None  # a form post: a failure there is a bug to see, not a bad parameter
        log.warning("admin: bad parameter answered 400 (%s %s): %s", request.method, request.path, exception,
                    exc_info=True)
        return bad_request(request, exception)
