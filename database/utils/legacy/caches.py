"""Question, assessment and query-result caches → (namespace, key, value) entries.

Different cache files reuse keys with different values, so each file (each directory, for the
one-file-per-entry query cache) gets its own ``cache_type`` namespace: nothing collides, nothing
is dropped. The namespace is readable and fits cache_entries.cache_type (64 characters):

    question_cache/question_cache_backup.json                 -> question_cache:question_cache_backup.json
    kg_quizzing/scripts/question_cache/question_cache.json    -> question_cache:kg_quizzing/question_cache.json
    assessment_cache/assessment_cache.json                     -> assessment_cache:assessment_cache.json
    cache/<md5>.json                                           -> query_cache:cache            (key = <md5>)
    kg_queries/scripts/cache/<md5>.json                        -> query_cache:kg_queries/cache (key = <md5>)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from database.utils.legacy.decoding import expect

MAX_CACHE_TYPE = 64


@dataclass(slots=True)
class CacheFile:
    namespace: str
    entries: list[tuple[str, Any]]
    whole_namespace: bool  # True: the file is the whole namespace (replace all of it on re-import)


def namespace(kind: str, relpath: str) -> str:
    """The cache_type of a cache file (query cache: of its directory), ≤ 64 characters."""
    parts = list(PurePosixPath(relpath).parts)
    if kind == "query_cache":
        parts = parts[:-1]  # one namespace per directory; the key is the file's md5 name
    prefix = []
    if parts[:2] in (["kg_quizzing", "scripts"], ["kg_queries", "scripts"]):
        prefix, parts = [parts[0]], parts[2:]
    folder = {"question_cache": "question_cache", "assessment_cache": "assessment_cache", "query_cache": "cache"}[kind]
    if kind != "query_cache" and parts and parts[0] == folder:
        parts = parts[1:]
    source = "/".join(prefix + parts) if kind != "query_cache" else "/".join(prefix + ["cache"])
    name = f"{kind}:{source}"
    if len(name) <= MAX_CACHE_TYPE:
        return name
    # Unusually long paths: a digest keeps it unique, the tail keeps it recognisable.
    digest = hashlib.sha256(relpath.encode()).hexdigest()[:12]
    room = MAX_CACHE_TYPE - len(kind) - len(digest) - 3
    return f"{kind}:{digest}:{source[-room:]}"


def _entries(raw: Any, kind: str) -> Iterator[tuple[str, Any]]:
    expect(raw, dict, "the top level")
    for key, value in raw.items():
        if kind == "question_cache":
            expect(value, dict, f"entry {key[:60]!r}")
        else:
            expect(value, list, f"entry {key[:60]!r}")
        yield key, value


def parse_cache(raw: Any, kind: str, relpath: str) -> CacheFile:
    """Entries of one cache file; a wrongly typed entry rejects the whole file."""
    ns = namespace(kind, relpath)
    if kind == "query_cache":
        expect(raw, dict, "the top level")
        return CacheFile(ns, [(PurePosixPath(relpath).stem, raw)], whole_namespace=False)
    return CacheFile(ns, list(_entries(raw, kind)), whole_namespace=True)
