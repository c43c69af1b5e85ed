"""Make the journal append-only in the database itself, and create the head row.

Entries, subtree hashes and tree heads refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
The single exception is pruning an entry whose retention date has passed: its leaf hash, index,
time and retention date stay as they were, its text is emptied (arrete 2022 art. 6: journal
data are kept for the availability periods, no longer than needed).
"""

from django.db import migrations

PRUNE_ALLOWED = (
    "OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL AND OLD.retain_until < {now} "
    'AND NEW."index" = OLD."index" AND NEW.leaf_hash = OLD.leaf_hash '
    "AND NEW.recorded_at = OLD.recorded_at AND NEW.retain_until = OLD.retain_until "
    "AND NEW.leaf = ''"
)
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
FROZEN = ["journal_journalnode", "journal_treehead"]


def _sqlite_raise(what: str) -> str:
    return f"SELECT RAISE(ABORT, 'sceau journal is append-only: {what} refused');"


SQLITE = [
    f"""CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_journalentry
        WHEN NOT ({PRUNE_ALLOWED.format(now=SQLITE_NOW)})
        BEGIN {_sqlite_raise("UPDATE")} END""",
    f"""CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_journalentry
        BEGIN {_sqlite_raise("DELETE")} END""",
] + [
    stmt
    for table in FROZEN
    for stmt in (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN {_sqlite_raise('UPDATE')} END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN {_sqlite_raise('DELETE')} END",
    )
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ["journal_entry_no_update", "journal_entry_no_delete"]
    + [f"{t}_{op}" for t in FROZEN for op in ("no_update", "no_delete")]
]

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION sceau_journal_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'journal_journalentry'
            AND {PRUNE_ALLOWED.format(now="now()")} THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'sceau journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME
           USING ERRCODE = 'integrity_constraint_violation';
       END $$ LANGUAGE plpgsql""",
] + [
    stmt
    for table in ["journal_journalentry", *FROZEN]
    for stmt in (
        f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION sceau_journal_append_only()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION sceau_journal_append_only()""",
    )
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {t}_{op} ON {t}"
    for t in ["journal_journalentry", *FROZEN]
    for op in ("no_change", "no_truncate")
] + ["DROP FUNCTION IF EXISTS sceau_journal_append_only()"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"no append-only triggers for {schema_editor.connection.vendor}: refusing"
            )
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


def create_head(apps, schema_editor):
    apps.get_model("journal", "JournalHead").objects.get_or_create(pk=1, defaults={"next_index": 0})


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
