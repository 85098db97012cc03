"""Property-based: the legacy-file parsers turn ANY bytes into records or a ``Rejected`` with a
reason, never another exception. Inputs: arbitrary bytes, arbitrary JSON, and the real fixture
files with one field deleted or replaced by a value of the wrong type.
"""

from __future__ import annotations

import codecs
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_strategies import json_like, nasty_text

from database.utils.legacy import (
    Rejected,
    classify,
    decode_json,
    parse_cache,
    parse_conversation,
    parse_session,
    parse_student_model,
    split_options,
)

pytestmark = pytest.mark.reliability

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "legacy"
PARSER_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PARSERS: dict[str, Callable[[Any], Any]] = {
    "conversation": parse_conversation,
    "student_model": parse_student_model,
    "session_v1": lambda raw: parse_session(
        raw, "v1", "test_user", "student_models/sessions/test_user/s.json"
    ),
    "session_v2": lambda raw: parse_session(raw, "v2", "test_student", "student_models/session_stats/s.json"),
    "question_cache": lambda raw: parse_cache(raw, "question_cache", "question_cache/question_cache.json"),
    "assessment_cache": lambda raw: parse_cache(
        raw, "assessment_cache", "assessment_cache/assessment_cache.json"
    ),
    "query_cache": lambda raw: parse_cache(raw, "query_cache", "cache/0f1e2d3c4b5a69788796a5b4c3d2e1f0.json"),
}


def _parse_file(kind: str, data: bytes) -> Any:
    """What the importer does with a file's bytes: decode, then parse. Only Rejected may escape."""
    try:
        return PARSERS[kind](decode_json(data))
    except Rejected as exc:
        assert exc.reason
        return exc


def _fixtures_by_kind() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {kind: [] for kind in PARSERS}
    for path in sorted(FIXTURES.rglob("*.json")):
        relpath = path.relative_to(FIXTURES).as_posix().split("/", 1)[-1]  # below the fixture's app/ root
        kind, _ = classify(relpath)
        if kind == "conversation_export":
            kind = "conversation"
        if kind not in found:
            continue
        try:
            value = decode_json(path.read_bytes())
            PARSERS[kind](value)
        except Rejected:
            continue  # the deliberately bad fixtures: mutating them proves nothing more
        found[kind].append(value)
    return found


VALID = _fixtures_by_kind()


def test_fixtures_cover_every_parser() -> None:
    assert {kind for kind, values in VALID.items() if values} == set(PARSERS)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path in a JSON value."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:5]):
            found += _paths(item, (*prefix, index))
    return found


def _mutated(value: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    result = copy.deepcopy(value)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return result


@st.composite
def mutated_fixture(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(sorted(k for k, v in VALID.items() if v)))
    value = draw(st.sampled_from(VALID[kind]))
    paths = _paths(value)
    if paths and draw(st.booleans()):
        path = draw(st.sampled_from(paths))
        value = _mutated(value, path, draw(json_like()), delete=draw(st.booleans()))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if draw(st.booleans()):
        data = codecs.BOM_UTF8 + data
    if draw(st.booleans()):  # truncated mid-file
        data = data[: draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))]
    return kind, data


@PARSER_SETTINGS
@given(mutated_fixture())
def test_mutated_fixture_files_parse_or_are_rejected(case: tuple[str, bytes]) -> None:
    kind, data = case
    _parse_file(kind, data)


@PARSER_SETTINGS
@given(
    st.sampled_from(sorted(PARSERS)),
    st.one_of(
        st.binary(max_size=300), json_like().map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass"))
    ),
)
def test_arbitrary_bytes_and_json_parse_or_are_rejected(kind: str, data: bytes) -> None:
    _parse_file(kind, data)


@PARSER_SETTINGS
@given(json_like())
def test_decoding_accepts_bom_and_crlf_and_keeps_the_value(value: Any) -> None:
    data = codecs.BOM_UTF8 + json.dumps(value, indent=1).replace("\n", "\r\n").encode(
        "utf-8", "surrogatepass"
    )
    try:
        decoded = decode_json(data)
    except Rejected as exc:
        # Only what PostgreSQL cannot store is refused: NUL, a lone surrogate, or +-Infinity.
        assert any(why in exc.reason for why in ("NUL", "surrogate", "not a JSON number")), exc.reason
        return
    assert decoded == value


@PARSER_SETTINGS
@given(
    st.one_of(
        nasty_text(),
        st.lists(
            st.sampled_from(
                [
                    "student_models",
                    "sessions",
                    "cache",
                    "kg_quizzing",
                    "scripts",
                    "x.json",
                    "..",
                    "",
                    "a b",
                    "q.JSON",
                ]
            ),
            max_size=6,
        ).map("/".join),
    )
)
def test_classify_and_split_options_take_any_text(text: str) -> None:
    kind, student = classify(text)
    assert isinstance(kind, str) and (student is None or isinstance(student, str))
    stem, options = split_options(text)
    assert isinstance(stem, str) and (options is None or all(isinstance(o, str) for o in options))


def test_rejection_reasons_stay_on_one_line() -> None:
    """The import's summary prints "path: reason" per rejected file, and the ledger keeps the
    reason: a key or value from the file must not break it over lines."""
    cases = [
        b'{"line\\nbreak": {"x": "\\u0000"}}',
        b'{"conversation_id": "c\\r\\n1", "student_id": "s", "messages": [{"role": "u\\nx"}]}',
    ]
    for data in cases:
        for kind in PARSERS:
            result = _parse_file(kind, data)
            if isinstance(result, Rejected):
                assert "\n" not in result.reason and "\r" not in result.reason, (kind, result.reason)
