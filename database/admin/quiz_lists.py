"""list-questions, list-answers, list-cache."""

from __future__ import annotations

import argparse

from database.admin.options import list_command, resolve_user, window
from database.admin.output import col
from database.admin.pages import fetch, show
from database.models import Answer, CacheEntry, Question
from database.repositories import admin_queries as queries

QUESTION_COLUMNS = (
    col("ID", "id"),
    col("CREATED (UTC)", "created_at"),
    col("USER", "username", 20),
    col("TYPE", "question_type", 16),
    col("DIFF", "difficulty", right=True),
    col("ENTITY", "entity", 20),
    col("TEXT", "text", 60),
)

ANSWER_COLUMNS = (
    col("ID", "id"),
    col("CREATED (UTC)", "created_at"),
    col("USER", "username", 20),
    col("CORRECT", "correct"),
    col("SCORE", "quality_score", 8, right=True),
    col("ANSWER", "content", 40),
    col("QUESTION", "question_text", 40),
)

CACHE_COLUMNS = (
    col("ID", "id"),
    col("TYPE", "cache_type", 20),
    col("KEY", "key", 40),
    col("HITS", "access_count", right=True),
    col("LAST ACCESSED (UTC)", "last_accessed"),
    col("EXPIRES (UTC)", "expires_at"),
    col("EXPIRED", "expired"),
    col("VALUE", "value", 40),
)


def cmd_list_questions(args: argparse.Namespace) -> int:
    """List quiz questions, newest first.

    Filters: --user USERNAME, --type QUESTION_TYPE (e.g. multiple_choice), --since/--until
    (creation time). --after takes a question id (the last ID of the previous page).
    """

    def query(conn):  # noqa: ANN001, ANN202
        user = resolve_user(conn, args.user)
        return queries.page(conn, queries.questions_query(window(args), user=user, question_type=args.type))

    rows = fetch(args, query, anchor=Question, noun="question")
    return show(args, rows, QUESTION_COLUMNS, lambda r: r["id"], ("question", "questions"))


def cmd_list_answers(args: argparse.Namespace) -> int:
    """List answers with correctness and score.

    Filters: --user USERNAME, --correct or --incorrect, --since/--until (creation time).
    --after takes an answer id (the last ID of the previous page).
    """

    def query(conn):  # noqa: ANN001, ANN202
        user = resolve_user(conn, args.user)
        return queries.page(conn, queries.answers_query(window(args), user=user, correct=args.correct))

    rows = fetch(args, query, anchor=Answer, noun="answer")
    return show(args, rows, ANSWER_COLUMNS, lambda r: r["id"], ("answer", "answers"))


def cmd_list_cache(args: argparse.Namespace) -> int:
    """List cache entries by type and key (--expired).

    Filters: --type CACHE_TYPE, --expired (only entries past their expiry time; purge them with
    `python -m database.cli purge-cache --expired`), --since/--until (creation time).
    --after takes an entry id (the last ID of the previous page).
    """

    def query(conn):  # noqa: ANN001, ANN202
        stmt = queries.cache_query(window(args), cache_type=args.type, expired=args.expired)
        return queries.page(conn, stmt)

    rows = fetch(args, query, anchor=CacheEntry, noun="cache entry")
    return show(args, rows, CACHE_COLUMNS, lambda r: r["id"], ("cache entry", "cache entries"))


def register(subparsers: argparse._SubParsersAction) -> None:
    questions = list_command(
        subparsers,
        "list-questions",
        cmd_list_questions,
        "./run_admin.sh list-questions --user alice --type multiple_choice",
        key="question id",
        times="questions created",
    )
    questions.add_argument("--user", metavar="USERNAME", help="only questions asked to this user")
    questions.add_argument("--type", metavar="TYPE", help="only this question_type")

    answers = list_command(
        subparsers,
        "list-answers",
        cmd_list_answers,
        "./run_admin.sh list-answers --user alice --incorrect --since 2025-06-01",
        key="answer id",
        times="answers created",
    )
    answers.add_argument("--user", metavar="USERNAME", help="only this user's answers")
    correctness = answers.add_mutually_exclusive_group()
    correctness.add_argument(
        "--correct", dest="correct", action="store_const", const=True, help="only answers marked correct"
    )
    correctness.add_argument(
        "--incorrect", dest="correct", action="store_const", const=False, help="only answers marked incorrect"
    )

    cache = list_command(
        subparsers,
        "list-cache",
        cmd_list_cache,
        "./run_admin.sh list-cache --type question --expired",
        key="cache entry id",
        times="entries created",
    )
    cache.add_argument("--type", metavar="TYPE", help="only this cache_type")
    cache.add_argument("--expired", action="store_true", help="only entries past their expiry time")
