"""Hypothesis strategies for the reliability suite: hostile values of every kind."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

HOSTILE_TEXT = [
    "",
    " ",
    "'; DROP TABLE users; --",
    "$(reboot)",
    "\u202eevil",
    "🧙‍♂️",
    "a\x00b",
    "\x00",
    "\ud800",
    "\t\n\r",
    "%s %(x)s :x ?",
    "\\",
    '"',
    "null",
    "NaN",
    "1e309",
    "0",
    "-1",
    "true",
]


def huge_text() -> st.SearchStrategy[str]:
    """Strings far beyond any column limit (built, not drawn character by character: fast)."""
    return st.builds(lambda ch, n: ch * n, st.characters(), st.integers(min_value=200, max_value=300_000))


def nasty_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=10).map(lambda s: s + "\x00"),
        huge_text(),
    )


def scalars() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        nasty_text(),
        st.binary(max_size=8),
        st.just(object()),
        st.builds(uuid.uuid4),
        st.just(datetime(2020, 1, 1)),  # naive: ambiguous, must be refused where times are taken
        st.just(datetime(2020, 1, 1, tzinfo=timezone.utc)),
        st.just(timedelta(seconds=1)),
        st.sets(st.integers(), max_size=2),
    )


def anything() -> st.SearchStrategy[object]:
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.tuples(inner),
            st.dictionaries(
                st.one_of(st.text(max_size=8), st.integers(), st.just("k\x00")), inner, max_size=3
            ),
        ),
        max_leaves=6,
    )


def json_like() -> st.SearchStrategy[object]:
    """What a (possibly malformed) legacy JSON file parses to."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        nasty_text(),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)
        ),
        max_leaves=12,
    )


def record(known: list[str]) -> st.SearchStrategy[object]:
    """A dict with some of the known fields (with hostile values), maybe unknown ones, or not a dict."""
    fields = st.dictionaries(
        st.one_of(st.sampled_from(known), st.text(max_size=8)), anything(), max_size=len(known) + 1
    )
    return st.one_of(fields, fields, anything())


def one_of_or_garbage(valid: list[object]) -> st.SearchStrategy[object]:
    """A valid value half the time, anything else otherwise."""
    return st.one_of(st.sampled_from(valid), anything())
