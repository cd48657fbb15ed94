"""Path converters for ids in URLs: anything not of the id's shape matches no URL, so it is a 404
before any query runs (`MTDC%00UTDC`, a quote, a slash — and PostgreSQL refuses NUL in text)."""
from django.urls import register_converter

from courts.input_checks import CIRCUIT, COURT_ID


class CourtIdConverter:
    """A PACER court id (any case): letters and digits, at most 16."""

    regex = COURT_ID.pattern.removesuffix(r"\Z")

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CircuitConverter(CourtIdConverter):
    """A circuit as the PACER feed writes it ("09", "DC", "FED"): letters and digits, at most 8."""

    regex = CIRCUIT.pattern.removesuffix(r"\Z")


register_converter(CourtIdConverter, "court_id")
register_converter(CircuitConverter, "circuit")
