"""The schema as the live catalog has it: timestamptz, JSONB and native uuid columns, an explicit
ON DELETE on every foreign key, and an index for every lookup the app and the admin tools make."""

from __future__ import annotations

from sqlalchemy import Connection, DateTime, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB

from database.models import Base

CORE_TABLES = (
    "users", "user_profiles", "user_sessions", "conversations", "conversation_parameters",
    "messages", "questions", "answers", "cache_entries",
)



def live_columns(connection: Connection) -> dict[tuple[str, str], str]:
    rows = connection.execute(
        text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
    )
    return {(table, column): data_type for table, column, data_type in rows}


def test_column_types_timestamptz_jsonb_uuid(connection: Connection) -> None:
    live = live_columns(connection)
    expected_kinds = {DateTime: "timestamp with time zone", JSONB: "jsonb", Uuid: "uuid"}
    checked = {kind: 0 for kind in expected_kinds}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            for kind, data_type in expected_kinds.items():
                if isinstance(column.type, kind):
                    assert live[(table.name, column.name)] == data_type, f"{table.name}.{column.name}"
                    checked[kind] += 1
        for column in table.primary_key.columns:
            assert live[(table.name, column.name)] == "uuid", f"{table.name}.{column.name} is not a native uuid"
    assert all(checked.values()), checked
    ours = {key: value for key, value in live.items() if key[0] in Base.metadata.tables}
    naive_or_json = {k: v for k, v in ours.items() if v in ("timestamp without time zone", "json", "time without time zone")}
    assert naive_or_json == {}
    for table in CORE_TABLES:
        for column in ("id", "user_id", "conversation_id", "session_id", "message_id", "question_id"):
            if (table, column) in live:
                assert live[(table, column)] == "uuid", f"{table}.{column}"


EXPECTED_ON_DELETE = {
    "fk_user_profiles_user_id_users": "CASCADE",
    "fk_user_sessions_user_id_users": "CASCADE",
    "fk_conversations_user_id_users": "CASCADE",
    "fk_conversations_session_id_user_sessions": "SET NULL",
    "fk_conversation_parameters_conversation_id_conversations": "CASCADE",
    "fk_messages_conversation_id_conversations": "CASCADE",
    "fk_questions_message_id_messages": "CASCADE",
    "fk_answers_message_id_messages": "CASCADE",
    "fk_answers_question_id_questions": "SET NULL",
}
RULES = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def test_every_foreign_key_states_its_on_delete(connection: Connection) -> None:
    rows = connection.execute(
        text(
            "SELECT conname, confdeltype::text FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
        )
    ).all()
    live = {name: RULES[rule] for name, rule in rows}
    assert {name: live.get(name) for name in EXPECTED_ON_DELETE} == EXPECTED_ON_DELETE
    implicit = sorted(name for name, rule in live.items() if rule == "NO ACTION")
    assert implicit == [], f"foreign keys without an ON DELETE rule: {implicit}"


INDEXES = text(
    """
    SELECT t.relname, i.relname, ix.indisunique, ix.indpred IS NOT NULL,
           array_agg(coalesce(a.attname::text, '(expression)') ORDER BY k.ord)
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
    WHERE t.relnamespace = current_schema()::regnamespace
    GROUP BY t.relname, i.relname, ix.indisunique, ix.indpred IS NOT NULL
    """
)


def live_indexes(connection: Connection) -> dict[str, tuple[str, tuple[str, ...], bool, bool]]:
    return {
        name: (table, tuple(columns), unique, partial)
        for table, name, unique, partial, columns in connection.execute(INDEXES)
    }


def test_indexes_for_every_lookup(connection: Connection) -> None:
    indexes = live_indexes(connection)
    expected = {
        # name: (table, columns, unique, partial)
        "uq_messages_conversation_id_position": ("messages", ("conversation_id", "position"), True, False),
        "ix_conversations_user_id_start_time": ("conversations", ("user_id", "start_time"), False, False),
        "ix_conversations_session_id": ("conversations", ("session_id",), False, False),
        "ix_user_sessions_user_id_start_time": ("user_sessions", ("user_id", "start_time"), False, False),
        "uq_cache_entries_cache_type_key": ("cache_entries", ("cache_type", "key"), True, False),
        "ix_cache_entries_expires_at": ("cache_entries", ("expires_at",), False, True),
        "uq_questions_message_id": ("questions", ("message_id",), True, False),
        "uq_answers_message_id": ("answers", ("message_id",), True, False),
        "ix_answers_question_id": ("answers", ("question_id",), False, False),
        "uq_users_username": ("users", ("username",), True, False),
    }
    assert {name: indexes.get(name) for name in expected} == expected


def test_every_foreign_key_is_indexed(connection: Connection) -> None:
    """Cascades and joins from the parent side must not scan the child table."""
    indexes = live_indexes(connection)
    rows = connection.execute(
        text(
            """
            SELECT co.conname, t.relname, array_agg(a.attname::text ORDER BY k.ord)
            FROM pg_constraint co
            JOIN pg_class t ON t.oid = co.conrelid
            CROSS JOIN LATERAL unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE co.contype = 'f' AND co.connamespace = current_schema()::regnamespace
            GROUP BY co.conname, t.relname
            """
        )
    ).all()
    assert rows
    unindexed = [
        name for name, table, columns in rows
        if not any(
            index_table == table and index_columns[: len(columns)] == tuple(columns)
            for index_table, index_columns, _unique, _partial in indexes.values()
        )
    ]
    assert unindexed == []
