"""Guard the journal's next-index row, and give each protected table its own refusal.

Found (issue #14): ``UPDATE journal_journalhead SET next_index = next_index + 3`` was accepted
(after which the log had a hole that ``verify`` reported and ``journal sign`` crashed on), and on
PostgreSQL the shared trigger function refused changes to subtree hashes and tree heads for the
wrong reason (``record "old" has no field "pruned_at"``). The head row may now only move forward
by one (what an append does), never be deleted, and no second row may appear; each table's
refusal names that table.
"""

from django.db import migrations

HEAD = "journal_journalhead"
ENTRY = "journal_journalentry"
FROZEN = ["journal_journalnode", "journal_treehead"]
PRUNE_ALLOWED = (
    "OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL AND OLD.retain_until < {now} "
    'AND NEW."index" = OLD."index" AND NEW.leaf_hash = OLD.leaf_hash '
    "AND NEW.recorded_at = OLD.recorded_at AND NEW.retain_until = OLD.retain_until "
    "AND NEW.leaf = ''"
)
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
HEAD_STEP = "NEW.id = OLD.id AND NEW.next_index = OLD.next_index + 1"
HEAD_REFUSED = "next_index only moves up by one, with an entry"


def _sqlite_raise(message: str) -> str:
    return f"SELECT RAISE(ABORT, 'sceau journal is append-only: {message}');"


SQLITE = (
    [
        f"""CREATE TRIGGER journal_head_one_step BEFORE UPDATE ON {HEAD}
        WHEN NOT ({HEAD_STEP})
        BEGIN {_sqlite_raise(f"UPDATE refused on {HEAD}: {HEAD_REFUSED}")} END""",
        f"""CREATE TRIGGER journal_head_no_delete BEFORE DELETE ON {HEAD}
        BEGIN {_sqlite_raise(f"DELETE refused on {HEAD}")} END""",
        f"""CREATE TRIGGER journal_head_one_row BEFORE INSERT ON {HEAD}
        WHEN (SELECT COUNT(*) FROM {HEAD}) > 0
        BEGIN {_sqlite_raise(f"INSERT refused on {HEAD}: there is one head row")} END""",  # noqa: S608
    ]
    + [
        # Migration 0002's refusals did not name the table: the same rules, named.
        stmt
        for table in FROZEN
        for stmt in (
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN {_sqlite_raise(f'UPDATE refused on {table}')} END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN {_sqlite_raise(f'DELETE refused on {table}')} END",
        )
    ]
    + [
        "DROP TRIGGER IF EXISTS journal_entry_no_update",
        "DROP TRIGGER IF EXISTS journal_entry_no_delete",
        f"""CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON {ENTRY}
        WHEN NOT ({PRUNE_ALLOWED.format(now=SQLITE_NOW)})
        BEGIN {_sqlite_raise(f"UPDATE refused on {ENTRY}")} END""",
        f"""CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON {ENTRY}
        BEGIN {_sqlite_raise(f"DELETE refused on {ENTRY}")} END""",
    ]
)
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ["journal_head_one_step", "journal_head_no_delete", "journal_head_one_row"]
]  # the named refusals of the other tables stay: they are the same rules

POSTGRES = (
    [
        # Entries: only pruning after the retention date may change a row.
        f"""CREATE OR REPLACE FUNCTION sceau_journal_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           IF {PRUNE_ALLOWED.format(now="now()")} THEN
             RETURN NEW;
           END IF;
         END IF;
         RAISE EXCEPTION 'sceau journal is append-only: % refused on {ENTRY} '
           '(only pruning after the retention date empties a leaf)', TG_OP
           USING ERRCODE = 'integrity_constraint_violation';
       END $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE FUNCTION sceau_journal_frozen() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'sceau journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME
           USING ERRCODE = 'integrity_constraint_violation';
       END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION sceau_journal_head_guard() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           IF {HEAD_STEP} THEN
             RETURN NEW;
           END IF;
           RAISE EXCEPTION 'sceau journal is append-only: UPDATE refused on {HEAD}: {HEAD_REFUSED}'
             USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         IF TG_OP = 'INSERT' THEN
           IF NOT EXISTS (SELECT 1 FROM {HEAD}) THEN
             RETURN NEW;
           END IF;
           RAISE EXCEPTION 'sceau journal is append-only: INSERT refused on {HEAD}: there is one head row'
             USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RAISE EXCEPTION 'sceau journal is append-only: % refused on {HEAD}', TG_OP
           USING ERRCODE = 'integrity_constraint_violation';
       END $$ LANGUAGE plpgsql""",  # noqa: S608 (fixed table names)
    ]
    + [
        stmt
        for table in FROZEN
        for stmt in (
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION sceau_journal_frozen()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION sceau_journal_frozen()""",
        )
    ]
    + [
        f"""CREATE TRIGGER journal_head_guard BEFORE INSERT OR UPDATE OR DELETE ON {HEAD}
        FOR EACH ROW EXECUTE FUNCTION sceau_journal_head_guard()""",
        f"""CREATE TRIGGER journal_head_no_truncate BEFORE TRUNCATE ON {HEAD}
        FOR EACH STATEMENT EXECUTE FUNCTION sceau_journal_frozen()""",
    ]
)
POSTGRES_DROP = (
    [
        f"DROP TRIGGER IF EXISTS journal_head_guard ON {HEAD}",
        f"DROP TRIGGER IF EXISTS journal_head_no_truncate ON {HEAD}",
        "DROP FUNCTION IF EXISTS sceau_journal_head_guard()",
    ]
    + [
        stmt
        for table in FROZEN
        for stmt in (
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION sceau_journal_append_only()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION sceau_journal_append_only()""",
        )
    ]
    + ["DROP FUNCTION IF EXISTS sceau_journal_frozen()"]
)


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no journal guards for {schema_editor.connection.vendor}: refusing")
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("journal", "0003_case_reference")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
