"""list-users, list-sessions, list-conversations, list-messages."""

from __future__ import annotations

import argparse

from database.admin.options import list_command, position_arg, resolve_user, uuid_arg, window
from database.admin.output import Column, col
from database.admin.pages import fetch, show
from database.errors import NotFoundError
from database.models import Conversation, UserSession
from database.repositories import admin_queries as queries

USER_COLUMNS = (
    col("USERNAME", "username", 30),
    col("NAME", "name", 24),
    col("EMAIL", "email", 30),
    col("ROLE", "role"),
    col("CREATED (UTC)", "created_at"),
    col("LAST LOGIN (UTC)", "last_login"),
    col("SESSIONS", "sessions", right=True),
    col("CONVERSATIONS", "conversations", right=True),
)

SESSION_COLUMNS = (
    col("ID", "id"),
    col("USER", "username", 20),
    col("TYPE", "session_type", 12),
    col("STARTED (UTC)", "start_time"),
    col("ENDED (UTC)", "end_time"),
    col("ASKED", "questions_asked", right=True),
    col("CORRECT", "correct_answers", right=True),
    col("ACCURACY", "accuracy", right=True),
    col("STRATEGY", "strategy", 16),
)

CONVERSATION_COLUMNS = (
    col("ID", "id"),
    col("USER", "username", 20),
    col("TYPE", "conversation_type", 12),
    col("STARTED (UTC)", "start_time"),
    col("ENDED (UTC)", "end_time"),
    col("MESSAGES", "messages", right=True),
    col("QUIZ", "quiz_id", 24),
)

MESSAGE_COLUMNS = (
    col("POS", "position", right=True),
    col("TIME (UTC)", "sent_at"),
    col("ROLE", "role", 10),
    Column("Q/A", lambda r: "question" if r["question_id"] else "answer" if r["answer_id"] else ""),
    col("CONTENT", "content", 70),
)


def cmd_list_users(args: argparse.Namespace) -> int:
    """List users: account, sessions, conversations.

    Never shows a password or its hash (JSON has "password_set": true/false instead).
    --since/--until filter on the account's creation time. --after takes a username.
    """
    rows = fetch(args, lambda conn: queries.page(conn, queries.users_query(window(args))))
    return show(args, rows, USER_COLUMNS, lambda r: r["username"], ("user", "users"))


def cmd_list_sessions(args: argparse.Namespace) -> int:
    """List quiz sessions, newest first, with their scores.

    Filters: --user USERNAME, --type SESSION_TYPE, --since/--until (start time).
    --after takes a session id (the last ID of the previous page).
    """

    def query(conn):  # noqa: ANN001, ANN202
        user = resolve_user(conn, args.user)
        return queries.page(conn, queries.sessions_query(window(args), user=user, session_type=args.type))

    rows = fetch(args, query, anchor=UserSession, noun="session")
    return show(args, rows, SESSION_COLUMNS, lambda r: r["id"], ("session", "sessions"))


def cmd_list_conversations(args: argparse.Namespace) -> int:
    """List conversations, newest first.

    Filters: --user USERNAME, --type chat|quiz|assessment|..., --since/--until (start time),
    --search TEXT (conversations with a message whose content matches TEXT: all its words, or
    "a quoted phrase", `or`, -excluded; whole words, case-insensitive).
    --after takes a conversation id (the last ID of the previous page).
    """

    def query(conn):  # noqa: ANN001, ANN202
        user = resolve_user(conn, args.user)
        stmt = queries.conversations_query(
            window(args), user=user, conversation_type=args.type, search=args.search
        )
        return queries.page(conn, stmt)

    rows = fetch(args, query, anchor=Conversation, noun="conversation")
    return show(args, rows, CONVERSATION_COLUMNS, lambda r: r["id"], ("conversation", "conversations"))


def cmd_list_messages(args: argparse.Namespace) -> int:
    """List one conversation's messages in order.

    Filters: --role ROLE, --since/--until (message time), --search TEXT (same syntax as
    list-conversations). --after takes a position (the last POS of the previous page).
    The Q/A column marks messages that carry a quiz question or an answer.
    """
    conversation_id = args.conversation_id

    def query(conn):  # noqa: ANN001, ANN202
        stmt = queries.messages_query(conversation_id, window(args), role=args.role, search=args.search)
        rows = queries.page(conn, stmt)
        if not rows and not queries.row_exists(conn, Conversation, conversation_id):
            raise NotFoundError(
                f"no conversation with id {conversation_id}: list-conversations shows the ids"
            )
        return rows

    rows = fetch(args, query)
    return show(args, rows, MESSAGE_COLUMNS, lambda r: r["position"], ("message", "messages"))


def register(subparsers: argparse._SubParsersAction) -> None:
    add_list_users(subparsers, "./run_admin.sh list-users --limit 20 --after alice")

    sessions = list_command(
        subparsers,
        "list-sessions",
        cmd_list_sessions,
        "./run_admin.sh list-sessions --user alice --since 2025-06-01 --limit 20",
        key="session id",
        times="sessions started",
    )
    sessions.add_argument("--user", metavar="USERNAME", help="only this user's sessions")
    sessions.add_argument("--type", metavar="TYPE", help="only sessions of this session_type (e.g. quiz)")

    conversations = list_command(
        subparsers,
        "list-conversations",
        cmd_list_conversations,
        './run_admin.sh list-conversations --type quiz --search "Lothlórien" --json',
        key="conversation id",
        times="conversations started",
    )
    conversations.add_argument("--user", metavar="USERNAME", help="only this user's conversations")
    conversations.add_argument("--type", metavar="TYPE", help="only this conversation_type (chat, quiz, ...)")
    conversations.add_argument(
        "--search", metavar="TEXT", help="only conversations with a message matching TEXT"
    )

    messages = list_command(
        subparsers,
        "list-messages",
        cmd_list_messages,
        "./run_admin.sh list-messages 2b4474b5-446f-47f6-9788-fc0a0f1234c2 --limit 100",
        key="position",
        key_type=position_arg,
        times="messages sent",
    )
    messages.add_argument(
        "conversation_id", metavar="CONVERSATION_ID", type=uuid_arg, help="the conversation"
    )
    messages.add_argument(
        "--role", metavar="ROLE", help="only messages of this role (system, user, assistant)"
    )
    messages.add_argument("--search", metavar="TEXT", help="only messages whose content matches TEXT")


def add_list_users(subparsers: argparse._SubParsersAction, example: str) -> argparse.ArgumentParser:
    """Also used by ``python -m database.cli list-users`` (same command, same output)."""
    return list_command(
        subparsers, "list-users", cmd_list_users, example, key="username", key_type=str, times="users created"
    )
