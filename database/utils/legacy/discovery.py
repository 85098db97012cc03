"""Where legacy files are and what each one is (see docs/IMPORT.md, "What is read").

Classification uses the path relative to the import root only, never the file's content, so
the same file always gets the same kind. The external indexer's cache (``cache/<stage>/``) is
never listed: it is not app data and not part of the archived tree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Walked with every subfolder.
TREE_ROOTS = (
    "conversation_history",
    "assessment_conversations",
    "kg_quizzing/scripts/conversation_history",
    "kg_quizzing/scripts/assessment_conversations",
    "student_models",
    "kg_quizzing/scripts/student_models",
    "question_cache",
    "kg_quizzing/scripts/question_cache",
    "assessment_cache",
    "kg_quizzing/scripts/assessment_cache",
)
# Only the files directly inside: subfolders are the indexer's stage caches.
FLAT_ROOTS = ("cache", "kg_queries/scripts/cache")

# Import passes, in order: users and sessions exist before the conversations that link to
# them, primary conversation files before their export copies (which then become duplicates).
PASSES: tuple[tuple[str, ...], ...] = (
    ("student_model",),
    ("session_v1", "session_v2"),
    ("conversation",),
    ("conversation_export",),
    ("question_cache", "assessment_cache", "query_cache"),
    ("derived_export", "stray_text", "unknown"),
)

_STRAY = re.compile(r"^assessment_[^/]*\.txt$")
_MD5_JSON = re.compile(r"^[0-9a-f]{32}\.json$")
_SESSION_V1 = re.compile(r"^session_\d{8}_\d{6}\.json$")
_SESSION_V2 = re.compile(r"^(?P<student>.+)_\d{8}_\d{6}\.json$")
_CONVERSATION_DIRS = ("conversation_history", "assessment_conversations")


@dataclass(frozen=True, slots=True)
class LegacyFile:
    path: Path  # absolute
    relpath: str  # relative to the import root, POSIX separators (the ledger's key)
    kind: str
    student_id: str | None = None  # sessions: from the folder or file name


def classify(relpath: str) -> tuple[str, str | None]:
    """(kind, student id for session records) of a path relative to the import root."""
    parts = tuple(relpath.split("/"))
    name = parts[-1]
    if len(parts) == 1:
        return ("stray_text" if _STRAY.match(name) else "unknown"), None
    if parts[:2] == ("kg_quizzing", "scripts"):
        parts = parts[2:]
    elif parts[:3] == ("kg_queries", "scripts", "cache"):
        parts = parts[2:]
    if len(parts) < 2:
        return "unknown", None
    top, suffix = parts[0], name[name.rfind("."):].lower() if "." in name.lstrip(".") else ""
    if top in _CONVERSATION_DIRS:
        if _STRAY.match(name):
            return "stray_text", None
        export = top == "conversation_history" and (parts[1] == "test_exports" or "exports" in parts[1:-1])
        if suffix == ".json":
            return ("conversation_export" if export else "conversation"), None
        if suffix in (".txt", ".csv"):
            return "derived_export", None
        return "unknown", None
    if top == "student_models":
        if len(parts) == 2 and suffix == ".json":
            return "student_model", None
        if len(parts) == 4 and parts[1] == "sessions" and _SESSION_V1.match(name):
            return "session_v1", parts[2]
        match = _SESSION_V2.match(name)
        if len(parts) == 3 and parts[1] == "session_stats" and match:
            return "session_v2", match.group("student")
        return "unknown", None
    if top == "question_cache" and len(parts) == 2 and suffix == ".json":
        return "question_cache", None
    if top == "assessment_cache" and len(parts) == 2 and suffix == ".json":
        return "assessment_cache", None
    if top == "cache" and len(parts) == 2:
        return ("query_cache" if _MD5_JSON.match(name) else "unknown"), None
    return "unknown", None


def is_indexer_cache(relpath: str) -> bool:
    """True for anything inside ``cache/<stage>/`` (either query-cache root): never read."""
    parts = relpath.split("/")
    return (len(parts) > 2 and parts[0] == "cache") or (len(parts) > 4 and parts[:3] == ["kg_queries", "scripts", "cache"])


class OutsideRoot(ValueError):
    """A path to import is not inside the import root (ledger paths are relative to it)."""


def _walk(directory: Path, root: Path) -> Iterator[Path]:
    """Every non-directory entry below ``directory``, sorted; symlinked dirs listed, not entered."""
    for dirpath, dirnames, filenames in os.walk(directory):
        current = Path(dirpath)
        links = [d for d in dirnames if (current / d).is_symlink()]
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in links and not is_indexer_cache((current / d / "x").relative_to(root).as_posix())
        )
        for name in sorted([*filenames, *links]):
            yield current / name


def _root_candidates(root: Path) -> Iterator[Path]:
    try:
        top = sorted(e.name for e in os.scandir(root) if not e.is_dir(follow_symlinks=False))
    except FileNotFoundError:
        return
    yield from (root / name for name in top if _STRAY.match(name))
    for flat in FLAT_ROOTS:
        directory = root / flat
        if directory.is_dir():
            yield from sorted(p for p in directory.iterdir() if not p.is_dir() or p.is_symlink())
    for tree in TREE_ROOTS:
        if (root / tree).is_dir():
            yield from _walk(root / tree, root)


def _candidates(root: Path, targets: Iterable[Path]) -> Iterator[Path]:
    for target in targets:
        if target == root:
            yield from _root_candidates(root)
        elif target.is_dir() and not target.is_symlink():
            yield from _walk(target, root)
        else:
            yield target


def resolve_targets(root: Path, paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Absolute import targets; each must exist and lie inside ``root``. No paths: the root."""
    root = root.resolve()
    targets = []
    for raw in paths:
        candidate = Path(raw)
        target = (candidate if candidate.is_absolute() else Path.cwd() / candidate).absolute()
        target = Path(os.path.normpath(target))
        resolved_parent = target.parent.resolve()
        target = resolved_parent / target.name if target != root else root
        if not target.exists() and not target.is_symlink():
            raise FileNotFoundError(f"{raw}: no such file or directory")
        if target != root and root not in target.parents:
            raise OutsideRoot(f"{raw} is not inside the import root {root} (set --root)")
        targets.append(target)
    return targets or [root]


def discover(root: Path, targets: list[Path], kinds: Iterable[str] | None = None) -> Iterator[LegacyFile]:
    """The legacy files under ``targets``, classified, each once, in a stable order."""
    root = root.resolve()
    wanted = set(kinds) if kinds is not None else None
    # Only overlapping targets can repeat a file; one target needs no memory of what it saw.
    seen: set[str] | None = set() if len(targets) > 1 else None
    for path in _candidates(root, targets):
        relpath = path.relative_to(root).as_posix()
        if is_indexer_cache(relpath) or (seen is not None and relpath in seen):
            continue
        if seen is not None:
            seen.add(relpath)
        kind, student = classify(relpath)
        if wanted is None or kind in wanted:
            yield LegacyFile(path=path, relpath=relpath, kind=kind, student_id=student)
