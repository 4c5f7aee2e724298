from __future__ import annotations

from alpsbio.directory.importers.nuts import import_nuts
from alpsbio.directory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import NUTS 2021 regions, boundaries and older-code aliases (folder nuts/)."
    importer = staticmethod(import_nuts)
