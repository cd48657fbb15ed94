"""The Django admin, scoped to each user's courts (see `scope.py`); registers the courts app's models too."""
from accounts.admin import audit, cmecf, courts, help, people  # noqa: F401  (registration)
