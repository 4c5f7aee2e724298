"""Full-text indexes over Organisation.search_text: FTS5 on SQLite, GIN on PostgreSQL."""

from typing import Any

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE directory_organisation_fts USING fts5("
    " search_text, content='directory_organisation', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
    "CREATE TRIGGER directory_organisation_fts_ai AFTER INSERT ON directory_organisation BEGIN"
    " INSERT INTO directory_organisation_fts(rowid, search_text) VALUES (new.id, new.search_text);"
    " END",
    "CREATE TRIGGER directory_organisation_fts_ad AFTER DELETE ON directory_organisation BEGIN"
    " INSERT INTO directory_organisation_fts(directory_organisation_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER directory_organisation_fts_au AFTER UPDATE OF search_text"
    " ON directory_organisation BEGIN"
    " INSERT INTO directory_organisation_fts(directory_organisation_fts, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text);"
    " INSERT INTO directory_organisation_fts(rowid, search_text) VALUES (new.id, new.search_text);"
    " END",
    "INSERT INTO directory_organisation_fts(directory_organisation_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS directory_organisation_fts_au",
    "DROP TRIGGER IF EXISTS directory_organisation_fts_ad",
    "DROP TRIGGER IF EXISTS directory_organisation_fts_ai",
    "DROP TABLE IF EXISTS directory_organisation_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS directory_organisation_fts_gin ON directory_organisation"
    " USING GIN (to_tsvector('simple', search_text))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS directory_organisation_fts_gin"]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
