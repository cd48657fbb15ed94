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
        pytest.fail(f"The real PACER feed copy is missing: {path}")
    return path
