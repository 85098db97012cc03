"""show-conversation: one conversation's facts, then its whole transcript."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping
from typing import Any

from database.admin import output
from database.admin.options import reading, uuid_arg
from database.admin.show_user import fields, utc
from database.cli.runner import add_command
from database.errors import NotFoundError
from database.repositories import admin_details as details


def _split(row: Mapping[str, Any], prefix: str, keys: Iterable[str]) -> dict[str, Any] | None:
    if row[f"{prefix}id"] is None:
        return None
    return {key: row[f"{prefix}{key}"] for key in keys}


QUESTION_KEYS = tuple(
    "id type text difficulty entity tier community_id options correct_answer metadata".split()
)
ANSWER_KEYS = tuple(
    "id question_id question_position content correct quality_score feedback metadata".split()
)


def message_document(row: Mapping[str, Any]) -> dict[str, Any]:
    doc = {key: row[key] for key in ("id", "position", "role", "content", "sent_at", "metadata")}
    doc["question"] = _split(row, "q_", QUESTION_KEYS)
    doc["answer"] = _split(row, "a_", ANSWER_KEYS)
    return doc


def conversation_document(header: Mapping[str, Any]) -> dict[str, Any]:
    keys = "id username user_id session_id conversation_type quiz_id start_time end_time duration_seconds"
    doc = {key: header[key] for key in [*keys.split(), "metadata"]}
    doc["message_count"] = header["messages"]
    doc["parameters"] = (
        {key[2:]: value for key, value in header.items() if key.startswith("p_")}
        if header["has_parameters"]
        else None
    )
    return doc


def _indented(text: str, indent: str = "    ") -> None:
    for line in text.splitlines() or [""]:
        print(f"{indent}{line}")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " / ".join(value)
    return json.dumps(value, ensure_ascii=False)


def _print_message(message: Mapping[str, Any]) -> None:
    question, answer = message["question"], message["answer"]
    tag = ""
    if question is not None:
        facts = [question["type"] or "question"]
        if question["difficulty"] is not None:
            facts.append(f"difficulty {question['difficulty']}")
        if question["entity"] is not None:
            facts.append(f"entity {_text(question['entity'])}")
        tag = f"  [question: {', '.join(facts)}]"
    elif answer is not None:
        verdict = {True: "correct", False: "incorrect", None: "not marked"}[answer["correct"]]
        score = "" if answer["quality_score"] is None else f", score {output.cell(answer['quality_score'])}"
        tag = f"  [answer: {verdict}{score}]"
    print(f"#{message['position']}  {utc(message['sent_at'])}  {message['role']}{tag}")
    _indented(message["content"])
    if question is not None:
        if question["text"] and question["text"] != message["content"]:
            _indented(f"question text: {question['text']}")
        if question["options"]:
            options = question["options"] if isinstance(question["options"], list) else [question["options"]]
            _indented("options:")
            for number, option in enumerate(options, 1):
                _indented(f"{number}. {_text(option)}", "      ")
        if question["correct_answer"] is not None:
            _indented(f"correct answer: {_text(question['correct_answer'])}")
    if answer is not None:
        if answer["question_position"] is not None:
            _indented(f"answers the question at #{answer['question_position']}")
        if answer["content"] is not None and answer["content"] != message["content"]:
            _indented(f"answer: {answer['content']}")
        feedback = answer["feedback"]
        if isinstance(feedback, dict):
            _indented("feedback:")
            for key, value in feedback.items():
                _indented(f"{key}: {_text(value)}", "      ")
        elif feedback is not None:
            _indented(f"feedback: {_text(feedback)}")


def cmd_show_conversation(args: argparse.Namespace) -> int:
    """Show a conversation: its facts and transcript.

    Each message: position, time (UTC), role, content; a question with its options and correct
    answer; an answer with its correctness, score and feedback. --json prints one document with
    every message (nothing shortened).
    """
    with reading() as conn:
        header = details.conversation_header(conn, args.conversation_id)
        if header is None:
            raise NotFoundError(
                f"no conversation with id {args.conversation_id}: list-conversations shows the ids"
            )
        doc = conversation_document(header)
        messages = (message_document(row) for row in details.transcript(conn, args.conversation_id))
        if args.json:
            doc["messages"] = list(messages)
            output.document(doc)
            return 0
        parameters = doc["parameters"] or {}
        ended = utc(doc["end_time"])
        if doc["duration_seconds"] is not None:
            ended += f" ({doc['duration_seconds']:.0f} s)"
        fields(
            f"conversation {doc['id']}",
            [
                ("user", doc["username"]),
                ("type", doc["conversation_type"]),
                ("quiz", doc["quiz_id"] or "-"),
                ("session", doc["session_id"] or "-"),
                ("started", utc(doc["start_time"])),
                ("ended", ended),
                ("messages", doc["message_count"]),
                ("parameters", ", ".join(f"{k}={v}" for k, v in parameters.items() if v is not None) or "-"),
                ("metadata", json.dumps(doc["metadata"], ensure_ascii=False) if doc["metadata"] else "-"),
            ],
        )
        for message in messages:
            print()
            _print_message(message)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    conversation = add_command(
        subparsers,
        "show-conversation",
        cmd_show_conversation,
        "./run_admin.sh show-conversation 2b4474b5-446f-47f6-9788-fc0a0f1234c2",
    )
    conversation.add_argument(
        "conversation_id", metavar="CONVERSATION_ID", type=uuid_arg, help="the conversation"
    )
    conversation.add_argument("--json", action="store_true", help="print one JSON document")
