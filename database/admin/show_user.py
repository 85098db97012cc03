"""show-user: one user's account, profile summary and activity."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from database.admin import output
from database.admin.options import reading
from database.cli.runner import add_command
from database.errors import NotFoundError
from database.repositories import admin_details as details

EXTREMES = 3  # communities shown as strongest / weakest


def utc(value: datetime | None) -> str:
    return f"{output.when(value)} UTC" if value is not None else "-"


def fields(title: str, pairs: Iterable[tuple[str, Any]]) -> None:
    pairs = list(pairs)
    width = max(len(label) for label, _ in pairs)
    print(output.bold(title, sys.stdout))
    for label, value in pairs:
        print(f"  {label.ljust(width)}  {value}")


def _community_extremes(
    mastery: Mapping[str, Any] | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    numeric = sorted(
        (
            (key, value)
            for key, value in (mastery or {}).items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
        ),
        key=lambda item: (item[1], item[0]),
    )
    as_dicts = [{"community": key, "mastery": value} for key, value in numeric]
    return list(reversed(as_dicts[-EXTREMES:])), as_dicts[:EXTREMES]


def user_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """show-user's JSON: account, profile summary, activity counts and the last activity."""
    account = {
        key: row[key]
        for key in (
            "id",
            "username",
            "name",
            "email",
            "role",
            "created_at",
            "updated_at",
            "last_login",
            "password_set",
            "metadata",
        )
    }
    profile = None
    if row["has_profile"]:
        strongest, weakest = _community_extremes(row["community_mastery"])
        profile = {
            "overall_mastery": row["overall_mastery"],
            "communities": len(row["community_mastery"] or {}),
            "strongest_communities": strongest,
            "weakest_communities": weakest,
            "current_objective": row["current_objective"],
            "mastered_objectives": row["mastered_objectives"],
            "last_updated": row["profile_updated"],
        }
    moments = [
        row[key]
        for key in (
            "last_login",
            "last_session",
            "last_session_end",
            "last_conversation",
            "last_conversation_end",
            "last_message",
        )
        if row[key] is not None
    ]
    return {
        "user": account,
        "profile": profile,
        "sessions": row["sessions"],
        "conversations": row["conversations"],
        "last_activity": max(moments) if moments else None,
    }


def _masteries(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{item['community']} ({output.cell(item['mastery'])})" for item in items) or "-"


def cmd_show_user(args: argparse.Namespace) -> int:
    """Show one user: account, profile summary, activity.

    Never shows the password hash (only whether a password is set).
    The profile summary gives the overall mastery and the strongest and weakest communities
    (by community mastery). Last activity is the latest of: last login, session start/end,
    conversation start/end, and the last message of the latest conversation.
    """
    with reading() as conn:
        row = details.user_summary(conn, args.username)
    if row is None:
        raise NotFoundError(
            f"no user named {args.username!r}: check the spelling (list-users shows every user)"
        )
    doc = user_document(row)
    if args.json:
        output.document(doc)
        return 0
    user, profile = doc["user"], doc["profile"]
    fields(
        f"user {user['username']}",
        [
            ("id", user["id"]),
            ("name", user["name"] or "-"),
            ("email", user["email"] or "-"),
            ("role", user["role"]),
            ("password", "set" if user["password_set"] else "not set (cannot log in)"),
            ("created", utc(user["created_at"])),
            ("last login", utc(user["last_login"])),
        ],
    )
    if profile is None:
        print(output.bold("profile", sys.stdout) + ": none")
    else:
        fields(
            "profile",
            [
                ("overall mastery", output.cell(profile["overall_mastery"])),
                ("strongest communities", _masteries(profile["strongest_communities"])),
                ("weakest communities", _masteries(profile["weakest_communities"])),
                ("communities with mastery", profile["communities"]),
                ("current objective", profile["current_objective"] or "-"),
                ("mastered objectives", output.cell(profile["mastered_objectives"])),
                ("updated", utc(profile["last_updated"])),
            ],
        )
    fields(
        "activity",
        [
            ("sessions", doc["sessions"]),
            ("conversations", doc["conversations"]),
            ("last activity", utc(doc["last_activity"])),
        ],
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    user = add_command(subparsers, "show-user", cmd_show_user, "./run_admin.sh show-user alice --json")
    user.add_argument("username", metavar="USERNAME", help="the user (exactly as stored)")
    user.add_argument("--json", action="store_true", help="print one JSON document")
