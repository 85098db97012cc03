"""Moving one file so that it can never be lost: no overwrite, verified copies across filesystems.

The rule every function here keeps: a source file is removed only after its bytes are in place
under the target name. Any failure leaves the source where it was.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

_CHUNK = 1 << 20

# Filesystems without hard links say so with one of these; they fall back to check-then-rename.
_NO_HARD_LINKS = {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


class MoveClash(Exception):
    """The target name is already taken; nothing was changed."""


class MoveError(Exception):
    """A move could not be completed; the source file is untouched."""


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in chunks (memory stays flat for any size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once its directory is synced; not every platform can open one.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rename_no_clobber(src: Path, dest: Path) -> None:
    """Give ``src`` the name ``dest`` on the same filesystem, never replacing an existing ``dest``.

    os.rename silently replaces its target; a hard link fails with EEXIST instead, so linking
    and then unlinking the old name is the race-free no-overwrite rename POSIX offers.
    """
    try:
        os.link(src, dest)
    except FileExistsError:
        raise MoveClash(str(dest)) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise  # EXDEV included: the caller copies across
        if os.path.lexists(dest):
            raise MoveClash(str(dest)) from None
        os.rename(src, dest)
        return
    # Both names now hold the bytes: losing the old one is the only step left.
    os.unlink(src)


def copy_then_remove(src: Path, dest: Path, expected_sha256: str) -> None:
    """Move across filesystems: copy to a temp name beside ``dest``, fsync, verify, rename, unlink.

    The source is removed only after the copy's sha256 equals ``expected_sha256`` and the copy
    holds its final name. On any failure the temp file is removed and the source is untouched.
    """
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".moving")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, _CHUNK)
            out.flush()
            shutil.copystat(src, tmp)
            os.fsync(out.fileno())
        actual = sha256_of(tmp)
        if actual != expected_sha256:
            raise MoveError(
                f"the copy of {src} does not match the expected sha256 ({actual[:12]}... != "
                f"{expected_sha256[:12]}...): the source changed during the move or the copy is damaged"
            )
        _rename_no_clobber(tmp, dest)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(dest.parent)
    os.unlink(src)
    _fsync_dir(src.parent)


def move_file(src: Path, dest: Path, expected_sha256: str) -> None:
    """Move ``src`` to ``dest`` (parents created). Raises MoveClash if ``dest`` exists, else OSError/MoveError.

    Same filesystem: a rename (no copy, no overwrite). Across filesystems: ``copy_then_remove``.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(dest):
        raise MoveClash(str(dest))
    try:
        _rename_no_clobber(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        copy_then_remove(src, dest, expected_sha256)
        return
    _fsync_dir(dest.parent)
    _fsync_dir(src.parent)


def prune_empty_dirs(start_dirs: Iterable[Path], stop_at: Path, keep: Iterable[Path] = ()) -> list[Path]:
    """Remove each of ``start_dirs`` that is empty, then its parents while they become empty.

    Never removes ``stop_at`` or anything outside it, nor a directory in ``keep``. os.rmdir
    refuses a non-empty directory, so nothing but empty directories can go.
    Returns the removed directories, deepest first.
    """
    kept = set(keep)
    removed: list[Path] = []
    for start in sorted(set(start_dirs), key=lambda p: len(p.parts), reverse=True):
        current = start
        while current != stop_at and stop_at in current.parents and current not in kept:
            try:
                os.rmdir(current)
            except OSError:
                break
            removed.append(current)
            current = current.parent
    return removed
