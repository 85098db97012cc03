"""What a workload gets: the settings, a DatabaseAPI, a plain psycopg2 connection, the size mode."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from database.config import Settings


@dataclass
class Context:
    settings: Settings
    api: Any  # DatabaseAPI (imported lazily: the API may not be importable in a partial checkout)
    raw: Any  # psycopg2 connection, autocommit
    quick: bool
    # "" for the shipped DatabaseAPI as configured; else the variant under test (e.g. without pre-ping).
    variant: str = ""
    _tags: itertools.count = field(default_factory=itertools.count)

    def next_tag(self) -> int:
        """A number unique within this run, for usernames and keys that must not collide."""
        return next(self._tags)

    def label(self, workload: str) -> str:
        return f"{workload} [{self.variant}]" if self.variant else workload

    def sizes(self, quick: list, full: list, primary: int = 0) -> list:
        """The sizes to run, ascending; a prototype variant runs only ``full[primary]`` (or
        ``quick[primary]``), the size the issue names: it shows the fix, not the growth."""
        chosen = quick if self.quick else full
        return [chosen[min(primary, len(chosen) - 1)]] if self.variant else chosen
