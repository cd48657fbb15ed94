"""Cells a spreadsheet would run as a formula are neutralised, look-alike leaders included."""
from __future__ import annotations

import pytest

from accounts.spreadsheets import safe_cell


@pytest.mark.parametrize("value", [
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1",
    "＝HYPERLINK(\"http://evil\")", "＋1", "－1", "＠SUM(A1)",  # fullwidth
    "﹦1", "﹢1", "﹣1", "﹫A1",  # small forms
    "−1",  # minus sign
    " =1", "\u3000＝1", "\u00a0+1",  # behind spaces
])
def test_a_formula_leader_or_its_look_alike_is_quoted(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Jane Q. Lawyer", "jane@example.com", "2026-01-15", "", "Ｊａｎｅ", 42, None])
def test_other_values_are_left_as_they_are(value):
    assert safe_cell(value) == value
