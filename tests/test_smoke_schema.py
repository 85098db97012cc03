from sqlalchemy import inspect


def test_schema_has_the_nine_tables(connection):
    tables = set(inspect(connection).get_table_names())
    assert {
        "users", "user_profiles", "user_sessions", "conversations", "conversation_parameters",
        "messages", "questions", "answers", "cache_entries",
    } <= tables
