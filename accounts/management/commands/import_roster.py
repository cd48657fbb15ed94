from accounts.imports.command import ImportCommand
from accounts.imports.roster import roster_import


class Command(ImportCommand):
    help = (
        "Import a court's roster of registered filers from CSV (columns: name, email, cmecf_login, pacer_username, "
        "pacer_created_on, upgraded, shared_account[, cmecf_name]). A dry run unless --apply; all-or-nothing."
    )
    importer = staticmethod(roster_import)
