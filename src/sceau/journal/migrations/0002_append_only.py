"""Make the journal append-only in the database itself, and create the head row."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'sceau journal is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'sceau journal is append-only: DELETE refused'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS journal_entry_no_update",
    "DROP TRIGGER IF EXISTS journal_entry_no_delete",
]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION sceau_journal_append_only() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'sceau journal is append-only: % refused', TG_OP
           USING ERRCODE = 'integrity_constraint_violation';
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER journal_entry_no_change BEFORE UPDATE OR DELETE ON journal_journalentry
       FOR EACH ROW EXECUTE FUNCTION sceau_journal_append_only()""",
    """CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_journalentry
       FOR EACH STATEMENT EXECUTE FUNCTION sceau_journal_append_only()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS journal_entry_no_truncate ON journal_journalentry",
    "DROP TRIGGER IF EXISTS journal_entry_no_change ON journal_journalentry",
    "DROP FUNCTION IF EXISTS sceau_journal_append_only()",
]


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
