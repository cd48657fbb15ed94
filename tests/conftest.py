import os

import pytest


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    """Keep emails a test sends in its own folder."""
    settings.EMAIL_FILE_PATH = tmp_path / "mail"


@pytest.fixture
def feed_path():
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pacer-court-lookup.json"
    if not path.exists():
        # CI always has shared/ beside the project; a lone clone on a user's machine may not.
        message = f"The real PACER feed copy is not at {path} (shared/ beside the project)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
