"""The test schedule's list of slowest modules names modules that exist (a misspelt or removed one
would silently fall back to the default order)."""
import importlib.util

import pytest

from tests.conftest import SLOWEST_MODULES


@pytest.mark.parametrize("module", SLOWEST_MODULES)
def test_each_slowest_module_exists(module):
    assert importlib.util.find_spec(module) is not None, f"{module} is in SLOWEST_MODULES but is not a test module"
