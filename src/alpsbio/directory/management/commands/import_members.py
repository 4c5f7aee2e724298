from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alpsbio.directory.importers import member_list


class Command(BaseCommand):
    help = (
        "Import a cluster manager's member list (CSV/XLSX). Without --map, shows the columns and a"
        " suggested mapping. Example: --map legal_name=Name --map city=Town --map country_code=Country"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
        parser.add_argument("--guess", action="store_true", help="use the suggested mapping")
        parser.add_argument("--dry-run", action="store_true", help="validate only")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        preview = member_list.preview_file(options["path"])
        mapping = dict(preview.suggested_mapping) if options["guess"] else {}
        for item in options["map"]:
            field, sep, column = item.partition("=")
            if not sep:
                raise CommandError(f"--map takes FIELD=COLUMN, not {item!r}")
            mapping[field.strip()] = column.strip()
        if not mapping:
            self.stdout.write(f"{preview.n_rows} rows; columns: {', '.join(preview.headers)}")
            self.stdout.write(
                "suggested mapping: " + json.dumps(preview.suggested_mapping, ensure_ascii=False)
            )
            self.stdout.write(f"fields: {', '.join(member_list.TARGET_FIELDS)}")
            return
        result = member_list.import_member_list(
            options["path"], mapping, dry_run=options["dry_run"]
        )
        for err in result.errors[:100]:
            self.stderr.write(str(err))
        if not result.ok:
            raise CommandError(f"rejected: {len(result.errors)} problem(s); nothing was written")
        for note in result.warnings[:100]:
            self.stderr.write(f"warning: {note}")
        if not options["quiet"]:
            self.stdout.write(
                self.style.SUCCESS(("valid: " if result.dry_run else "imported: ") + result.summary)
            )
