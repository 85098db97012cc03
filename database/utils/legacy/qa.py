"""Questions and answers derived from a conversation's messages and its session record.

Pure functions, used both when a conversation is imported and when its session record arrives
later, so the result never depends on the order the files were imported in.

- An answer is the message right after its question (by position), if that is a user message.
- Quiz: questions are flagged ``is_question``. Assessment mode: ``system → user → assistant``
  triples are question, answer and feedback (nothing is flagged there).
- ``question_history[i]`` of the linked session record completes the i-th question: entity,
  tier, options, correct answer, numeric score, feedback, and the text when the message has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from database.utils.legacy.decoding import is_number

_OPTION_LINE = re.compile(r"^(\d+)\. (.*)$", re.S)


class MessageLike(Protocol):
    role: str
    metadata: dict[str, Any]

    @property
    def text(self) -> str: ...


@dataclass(slots=True)
class QuestionDraft:
    position: int
    question_type: str | None
    text: str | None
    difficulty: int | None
    entity: Any
    tier: str | None
    community_id: str | None
    options: Any
    correct_answer: Any
    metadata: dict[str, Any]


@dataclass(slots=True)
class AnswerDraft:
    position: int
    question_position: int
    content: str
    correct: bool | None
    quality_score: float | None
    feedback: Any
    metadata: dict[str, Any]


def split_options(text: str) -> tuple[str, list[str] | None]:
    """Question text and the options appended to it as ``"\\n\\n1. …\\n2. …"`` (if any)."""
    cut = text.rfind("\n\n1. ")
    if cut == -1:
        return text, None
    lines = text[cut + 2:].split("\n")
    options = []
    for number, line in enumerate(lines, start=1):
        match = _OPTION_LINE.match(line)
        if not match or int(match.group(1)) != number:
            return text, None
        options.append(match.group(2))
    return text[:cut], options


def _short(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = value if isinstance(value, str) else str(value) if is_number(value) else None
    return text if text is not None and len(text) <= limit else None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31:
        return value
    return None


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def question_positions(conversation_type: str, messages: list[MessageLike]) -> list[int]:
    if conversation_type == "assessment":
        return [
            i for i in range(len(messages) - 1)
            if messages[i].role == "system" and messages[i + 1].role == "user"
        ]
    return [i for i, m in enumerate(messages) if m.metadata.get("is_question") is True]


def derive(
    conversation_type: str, messages: list[MessageLike], history: list[Any] | None = None
) -> tuple[list[QuestionDraft], list[AnswerDraft]]:
    """The questions and answers of one conversation (positions index ``messages``)."""
    positions = question_positions(conversation_type, messages)
    if not positions:
        return [], []
    assessment = conversation_type == "assessment"
    history = history if isinstance(history, list) and not assessment else []
    questions, answers = [], []
    for index, position in enumerate(positions):
        item = history[index] if index < len(history) and isinstance(history[index], dict) else {}
        asked = item.get("question") if isinstance(item.get("question"), dict) else {}
        questions.append(_question(position, messages[position], asked, bool(item)))
        after = position + 1
        if after < len(messages) and messages[after].role == "user" and after not in positions:
            answers.append(_answer(position, after, messages, item, assessment))
    return questions, answers


def _question(position: int, message: MessageLike, asked: dict[str, Any], linked: bool) -> QuestionDraft:
    meta = message.metadata
    text, options = split_options(message.text)
    if not text.strip():
        text = _first(*(asked.get(k) for k in ("text", "question") if asked.get(k))) or text or None
    if isinstance(asked.get("options"), list):
        options = asked["options"]
    correct = asked.get("correct_answer")
    if correct is None and asked.get("answer") not in (None, ""):
        correct = asked.get("answer")
    metadata: dict[str, Any] = {}
    if meta.get("question_id") is not None:
        metadata["question_id"] = meta["question_id"]
    if linked:
        metadata["session_question"] = asked
    return QuestionDraft(
        position=position,
        question_type=_short(_first(meta.get("question_type"), asked.get("type")), 64),
        text=text if isinstance(text, str) else None,
        difficulty=_first(_int(meta.get("difficulty")), _int(asked.get("difficulty"))),
        entity=asked.get("entity"),
        tier=_short(asked.get("tier"), 32),
        community_id=_short(_first(meta.get("community_id"), asked.get("community_id")), 64),
        options=options,
        correct_answer=correct,
        metadata=metadata,
    )


def _answer(
    question: int, position: int, messages: list[MessageLike], item: dict[str, Any], assessment: bool
) -> AnswerDraft:
    meta = messages[position].metadata
    score = meta.get("quality_score")
    # An old writer bug put the feedback dict into quality_score: it is feedback, not a score.
    feedback = _first(meta.get("feedback"), score if isinstance(score, dict) else None, item.get("feedback"))
    following = position + 1
    if feedback is None and following < len(messages):
        nxt = messages[following]
        if nxt.role == "assistant" and (assessment or nxt.metadata.get("is_feedback") is True):
            feedback = nxt.text
    correct = meta.get("correct")
    if not isinstance(correct, bool):
        correct = item.get("correct") if isinstance(item.get("correct"), bool) else None
    number = score if is_number(score) else item.get("quality_score")
    metadata: dict[str, Any] = {}
    if item and "answer" in item:
        metadata["session_answer"] = item["answer"]
    return AnswerDraft(
        position=position,
        question_position=question,
        content=messages[position].text,
        correct=correct,
        quality_score=float(number) if is_number(number) else None,
        feedback=feedback,
        metadata=metadata,
    )
