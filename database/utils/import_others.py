"""The student-model and cache passes, and the files that are recorded but hold no data.

Student models: one user per student id; the profile keeps every model file read for that
student in ``metadata.models`` (keyed by path), and its columns and users.name come from the
primary one (the app's own root before kg_quizzing/scripts/, then by path), whatever the order
the files were imported in.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from database.repositories import legacy_import as repo
from database.repositories import legacy_records as records_repo
from database.utils.import_common import Context, Item, Outcome, credit_new_users
from database.utils.legacy import (
    CacheFile,
    Rejected,
    StudentModel,
    decode_json,
    parse_cache,
    parse_student_model,
    profile_values,
)

EMPTY_PROFILE = profile_values({})


def parse_model(item: Item) -> StudentModel:
    return parse_student_model(decode_json(item.data or b""))


def _model_priority(path: str) -> tuple[bool, str]:
    return path.startswith("kg_quizzing/"), path


def write_models(conn: Connection, items: list[Item], ctx: Context) -> list[Outcome]:
    outcomes: list[Outcome] = [Outcome(it, "rejected", it.error) for it in items if it.error]
    ready = [it for it in items if not it.error]
    created = repo.ensure_users(conn, {it.record.student_id for it in ready}, ctx.users)
    owners = records_repo.profiles_with_model(conn, [it.path for it in ready if it.prev])
    profiles = records_repo.profiles_of(conn, {ctx.users[it.record.student_id] for it in ready} | set(owners.values()))
    touched: set[uuid.UUID] = set()
    for it in ready:
        model: StudentModel = it.record
        uid = ctx.users[model.student_id]
        owner = owners.get(it.path)
        if owner is not None and owner != uid:  # the file now names another student
            profiles[owner].get("models", {}).pop(it.path, None)
            profiles[owner].get("model_sha256", {}).pop(it.path, None)
            touched.add(owner)
        meta = profiles[uid]
        models, digests = meta.setdefault("models", {}), meta.setdefault("model_sha256", {})
        same = next((p for p, d in sorted(digests.items()) if d == model.content_sha256 and p != it.path), None)
        models[it.path], digests[it.path] = model.record, model.content_sha256
        touched.add(uid)
        if same:
            outcomes.append(Outcome(it, "duplicate", f"same student model as {same}"))
        else:
            outcomes.append(Outcome(it, "imported"))  # fills a profile row; counts only rows it added
    rows, names = [], {}
    for uid in sorted(touched, key=str):
        meta = profiles[uid]
        primary = min(meta.get("models") or {"": None}, key=_model_priority)
        record: dict[str, Any] = meta["models"][primary] if primary else {}
        meta["primary"] = primary or None
        rows.append({"user_id": uid, **(profile_values(record) if record else EMPTY_PROFILE), "metadata": meta})
        names[uid] = record.get("name")
    records_repo.update_profiles(conn, rows)
    repo.set_user_names(conn, names)
    credit_new_users([o for o in outcomes if o.result == "imported"], created, lambda o: o.item.record.student_id)
    return outcomes


def parse_cache_item(item: Item) -> CacheFile:
    return parse_cache(decode_json(item.data or b""), item.file.kind, item.path)


def write_caches(conn: Connection, items: list[Item], ctx: Context) -> list[Outcome]:
    outcomes: list[Outcome] = []
    namespaces, keyed, rows = [], [], []
    for it in items:
        if it.error:
            outcomes.append(Outcome(it, "rejected", it.error))
            continue
        cache: CacheFile = it.record
        if cache.whole_namespace:
            namespaces.append(cache.namespace)
        else:
            keyed += [(cache.namespace, key) for key, _ in cache.entries]
        rows += [{"id": uuid.uuid4(), "cache_type": cache.namespace, "key": key, "value": value}
                 for key, value in cache.entries]
        outcomes.append(Outcome(it, "imported", counts={"cache_entries": len(cache.entries)}))
    records_repo.replace_cache_entries(conn, namespaces, keyed, rows)
    return outcomes


def parse_plain(item: Item) -> str:
    """Files kept in the archive but holding nothing to import: why each is skipped."""
    kind = item.file.kind
    if kind == "stray_text":
        return "stray text file (e.g. an HTTP error body), not data"
    if kind == "derived_export":
        twin = Path(item.file.path).with_suffix(".json")
        if not twin.is_file():
            raise Rejected(f"text export without its JSON twin ({twin.name} not found): its conversation "
                           "is in no importable file")
        return f"text export of {twin.name}"
    raise Rejected("unknown file: not a legacy format the importer knows")


def write_plain(conn: Connection, items: list[Item], ctx: Context) -> list[Outcome]:
    return [Outcome(it, "rejected", it.error) if it.error else Outcome(it, "derived", it.record) for it in items]
