"""The admin of filers and accounts, confined to each user's courts by `courts.admin.scope`."""
from accounts.admin import audit, cmecf, help, people  # noqa: F401  (registration)
