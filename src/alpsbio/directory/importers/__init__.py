"""Importers of the directory: one module per source, each a service with a management command.

Order for a full import: NUTS → NACE → ROR → CORDIS organisations → H2020 (see ``import_all``).
"""
