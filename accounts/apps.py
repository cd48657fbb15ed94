from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Filers and accounts"

    def ready(self) -> None:
        from accounts.permissions import ACCOUNTS_AND_COURTS, grant_after_migrate

        grant_after_migrate(self, ACCOUNTS_AND_COURTS)
