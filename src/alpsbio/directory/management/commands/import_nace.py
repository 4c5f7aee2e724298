from __future__ import annotations

from alpsbio.directory.importers.nace import import_nace
from alpsbio.directory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import the NOGA 2008 / NACE Rev.2 taxonomy with EN/FR/DE/IT labels."
    importer = staticmethod(import_nace)
