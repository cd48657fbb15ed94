from accounts.imports.command import ImportCommand
from accounts.imports.link_report import link_report_import


class Command(ImportCommand):
    help = (
        "Mark CM/ECF accounts linked from a court's link report CSV (columns: cmecf_login, linked_on). "
        "A dry run unless --apply; all-or-nothing."
    )
    importer = staticmethod(link_report_import)
