"""The Django admin of the courts app (courts, go-lives and their history), and the confinement mechanism
every admin of the project uses (`scope.py`): each page stays within the courts the user administers."""
from courts.admin import courts  # noqa: F401  (registration)
