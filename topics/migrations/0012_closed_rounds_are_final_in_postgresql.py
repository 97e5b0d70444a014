"""On PostgreSQL, the database itself refuses changes to a closed round's ballots and dates.

The model and the admin refuse them too; these triggers make sure that even
a raw SQL slip (an UPDATE or DELETE typed in psql) fails. The only way past
is `SET LOCAL kb.filling_closed_round = 'on'` inside a transaction, which
the ballot importer uses to store a past vote's ballots.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION kb_closed_round_ballots_are_final() RETURNS trigger AS $$
DECLARE
    closes timestamptz;
BEGIN
    IF current_setting('kb.filling_closed_round', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT closes_at INTO closes FROM topics_round WHERE id = OLD.round_id;
        IF closes IS NOT NULL AND closes <= now() THEN
            RAISE EXCEPTION 'ballot % belongs to a closed round: closed results are final', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT closes_at INTO closes FROM topics_round WHERE id = NEW.round_id;
        IF closes IS NOT NULL AND closes <= now() THEN
            RAISE EXCEPTION 'round % is closed: no ballot can be added or moved into it', NEW.round_id
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER kb_closed_round_ballots_are_final
    BEFORE INSERT OR UPDATE OR DELETE ON topics_ballot
    FOR EACH ROW EXECUTE FUNCTION kb_closed_round_ballots_are_final();

CREATE OR REPLACE FUNCTION kb_closed_round_dates_are_final() RETURNS trigger AS $$
BEGIN
    IF current_setting('kb.filling_closed_round', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF OLD.closes_at <= now() AND (
        NEW.closes_at IS DISTINCT FROM OLD.closes_at
        OR NEW.opens_at IS DISTINCT FROM OLD.opens_at
    ) THEN
        RAISE EXCEPTION 'round % is closed: its dates are final', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER kb_closed_round_dates_are_final
    BEFORE UPDATE ON topics_round
    FOR EACH ROW EXECUTE FUNCTION kb_closed_round_dates_are_final();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS kb_closed_round_dates_are_final ON topics_round;

DROP FUNCTION IF EXISTS kb_closed_round_dates_are_final();

DROP TRIGGER IF EXISTS kb_closed_round_ballots_are_final ON topics_ballot;

DROP FUNCTION IF EXISTS kb_closed_round_ballots_are_final();
"""


def _statements(sql: str) -> list[str]:
    """Split on the blank lines between statements (function bodies hold semicolons)."""
    return [part.strip() for part in sql.split("\n\n") if part.strip()]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _statements(FORWARD):
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _statements(BACKWARD):
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("topics", "0011_secret_final_ballots")]

    operations = [migrations.RunPython(forward, backward)]
