"""A change token for the in-memory facet index, kept by database triggers.

Every write that can change a search filter, facet count or sort order (organisations' facet
columns, their sectors, NACE codes and network memberships, regions, and the slugs and codes the
facets show) sets a new random token in ``directory_search_change``. A process compares the token
with the one its index was built from; a random value (not a counter) cannot come back after a
rolled-back transaction, so an index built inside that transaction is never mistaken for current.
Triggers catch every writer, including bulk imports and raw SQL that bypass Django signals.
"""

from typing import Any

from django.db import migrations

TABLE = "directory_search_change"

# table -> columns whose update matters (None: any update)
WATCHED: dict[str, list[str] | None] = {
    "directory_organisation": [
        "is_active",
        "validation_status",
        "country_code",
        "org_type",
        "nuts2_id",
        "nuts3_id",
        "n_projects",
        "legal_name",
        "created_at",
        "search_text",
    ],
    "directory_organisation_sectors": None,
    "directory_organisation_nace_codes": None,
    "directory_networkmembership": ["organisation_id", "network_id"],
    "directory_region": ["code", "is_member", "parent_id"],
    "directory_sector": ["slug"],
    "directory_nacecode": ["code"],
    "directory_network": ["slug"],
}


def _sqlite_forward() -> list[str]:
    statements = [
        f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, token INTEGER NOT NULL)",
        f"INSERT INTO {TABLE} (id, token) VALUES (1, random())",
    ]
    bump = f"UPDATE {TABLE} SET token = random() WHERE id = 1;"
    for table, columns in WATCHED.items():
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        for event in ("INSERT", "DELETE", update):
            name = f"{table}_search_change_{event.split()[0].lower()}"
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {bump} END"
            )
    return statements


def _sqlite_backward() -> list[str]:
    statements = []
    for table in WATCHED:
        for event in ("insert", "delete", "update"):
            statements.append(f"DROP TRIGGER IF EXISTS {table}_search_change_{event}")
    return [*statements, f"DROP TABLE IF EXISTS {TABLE}"]


def _postgres_forward() -> list[str]:
    statements = [
        f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, token bigint NOT NULL)",
        f"INSERT INTO {TABLE} (id, token) VALUES (1, floor(random() * 9e18)::bigint)",
        # Statement-level: one bump per statement, however many rows a bulk import writes.
        "CREATE OR REPLACE FUNCTION directory_search_change_bump() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN"
        f" UPDATE {TABLE} SET token = floor(random() * 9e18)::bigint WHERE id = 1;"
        " RETURN NULL; END $$",
    ]
    for table, columns in WATCHED.items():
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        statements.append(
            f"CREATE TRIGGER {table}_search_change AFTER INSERT OR DELETE OR {update}"
            f" OR TRUNCATE ON {table} FOR EACH STATEMENT"
            " EXECUTE FUNCTION directory_search_change_bump()"
        )
    return statements


def _postgres_backward() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {table}_search_change ON {table}" for table in WATCHED]
    return [
        *statements,
        "DROP FUNCTION IF EXISTS directory_search_change_bump()",
        f"DROP TABLE IF EXISTS {TABLE}",
    ]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_postgres_search_vector")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": _sqlite_forward(), "postgresql": _postgres_forward()}),
            _run({"sqlite": _sqlite_backward(), "postgresql": _postgres_backward()}),
        )
    ]
