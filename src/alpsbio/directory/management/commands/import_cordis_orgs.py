from __future__ import annotations

from alpsbio.directory.importers.cordis import import_cordis_orgs
from alpsbio.directory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import CORDIS organisations by PIC, merging those known from ROR."
    importer = staticmethod(import_cordis_orgs)
