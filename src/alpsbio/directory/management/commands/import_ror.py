from __future__ import annotations

from alpsbio.directory.importers.ror import import_ror
from alpsbio.directory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import ROR organisations (FR/IT/CH/AT/DE), merging those known from CORDIS."
    importer = staticmethod(import_ror)
