"""PostgreSQL: a stored tsvector column for search, so ranking does not re-parse every text."""

from typing import Any

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS directory_organisation_fts_gin",
    "ALTER TABLE directory_organisation ADD COLUMN IF NOT EXISTS search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS directory_organisation_search_vector_gin"
    " ON directory_organisation USING GIN (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS directory_organisation_search_vector_gin",
    "ALTER TABLE directory_organisation DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX IF NOT EXISTS directory_organisation_fts_gin ON directory_organisation"
    " USING GIN (to_tsvector('simple', search_text))",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_search_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
