"""set_cache / get_cache and authenticate, API vs psycopg2; bcrypt timed on its own."""

from __future__ import annotations

import base64
import hashlib

import bcrypt
from psycopg2.extras import Json

from bench import seed
from bench.context import Context
from bench.harness import Result, compare, measure
from bench.server import settings_for

RAW_SET_CACHE = """
INSERT INTO cache_entries (cache_type, key, value, created_at, last_accessed, access_count, expires_at)
VALUES (%s, %s, %s, now(), now(), 0, NULL)
ON CONFLICT (cache_type, key) DO UPDATE SET value = EXCLUDED.value, created_at = EXCLUDED.created_at,
    last_accessed = EXCLUDED.last_accessed, access_count = 0, expires_at = EXCLUDED.expires_at
RETURNING cache_type, key, value, created_at, last_accessed, access_count, expires_at
"""

RAW_GET_CACHE = """
UPDATE cache_entries SET access_count = access_count + 1, last_accessed = now()
WHERE cache_type = %s AND key = %s AND (expires_at IS NULL OR expires_at > now())
RETURNING cache_type, key, value, created_at, last_accessed, access_count, expires_at
"""

RAW_CREDENTIALS = "SELECT id, password_hash FROM users WHERE username = %s"
RAW_RECORD_LOGIN = """
UPDATE users SET last_login = now() WHERE id = %s AND password_hash = %s
RETURNING id, username, email, name, role, created_at, updated_at, last_login, metadata
"""
PASSWORD = "correct horse battery staple"


def cache(ctx: Context) -> list[Result]:
    n = 300 if ctx.quick else 2000
    results = []
    for size in ctx.sizes([1_000, 10_000], [1_000, 100_000]):
        cache_type = f"bench{ctx.next_tag()}"
        with ctx.raw.cursor() as cur:
            seed.fill_cache(cur, cache_type, size)
            seed.analyze(cur)
        cur = ctx.raw.cursor()
        value = {"answer": "Rivendell", "sources": ["The Fellowship of the Ring", "ch. 1"], "score": 0.93}

        def api_set(i: int) -> None:
            ctx.api.set_cache(cache_type, f"api-{i}", value)

        def raw_set(i: int) -> None:
            cur.execute(RAW_SET_CACHE, (cache_type, f"raw-{i}", Json(value)))
            cur.fetchone()

        api, raw = compare(api_set, raw_set, n)
        results.append(Result(ctx.label("set_cache (new key)"), f"{size:,} entries", api, raw, target=1.5))

        def api_get(i: int) -> None:
            assert ctx.api.get_cache(cache_type, f"seed-{(2 * i) % size}") is not None

        def raw_get(i: int) -> None:
            cur.execute(RAW_GET_CACHE, (cache_type, f"seed-{(2 * i + 1) % size}"))
            assert cur.fetchone() is not None

        api, raw = compare(api_get, raw_get, n)
        results.append(
            Result(ctx.label("get_cache (hit, counted)"), f"{size:,} entries", api, raw, target=1.5)
        )
    return results


def _prehash(password: str) -> bytes:
    # The stored scheme is bcrypt over base64(sha256(password)) (database/passwords.py).
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def _raw_authenticate(cur, username: str) -> None:  # noqa: ANN001
    cur.execute(RAW_CREDENTIALS, (username,))
    user_id, stored = cur.fetchone()
    digest = stored.split("$", 1)[1].encode("ascii")
    assert bcrypt.checkpw(_prehash(PASSWORD), digest)
    cur.execute(RAW_RECORD_LOGIN, (user_id, stored))
    assert cur.fetchone() is not None


def authenticate(ctx: Context) -> list[Result]:
    from database.api import DatabaseAPI

    url = ctx.settings.url.render_as_string(hide_password=False)
    configured = ctx.settings.bcrypt_rounds
    results = []
    plans = [(configured, 1_000, 10 if ctx.quick else 30)]
    plans += [(4, 1_000, 300 if ctx.quick else 1000)]
    if not ctx.quick:
        plans.append((4, 100_000, 1000))
    for rounds, population, n in plans:
        tag = ctx.next_tag()
        with ctx.raw.cursor() as cur:
            seed.make_users(cur, population - 1, prefix=f"auth{tag}-")
            seed.analyze(cur)
        with DatabaseAPI(settings=settings_for(url, bcrypt_rounds=rounds)) as api:
            username = f"auth{tag}-login"
            api.create_user(username, password=PASSWORD)
            cur = ctx.raw.cursor()
            with ctx.raw.cursor() as c:
                c.execute(RAW_CREDENTIALS, (username,))
                stored = c.fetchone()[1]
            digest = stored.split("$", 1)[1].encode("ascii")
            alone = measure(lambda i: bcrypt.checkpw(_prehash(PASSWORD), digest), n)
            results.append(
                Result(
                    "bcrypt check alone",
                    f"cost {rounds}",
                    None,
                    alone,
                    note="the floor of every login, the same for any implementation"
                    if rounds == configured
                    else "",
                )
            )

            def api_call(i: int) -> None:
                assert api.authenticate(username, PASSWORD) is not None

            api_stats, raw_stats = compare(api_call, lambda i: _raw_authenticate(cur, username), n, warmup=3)
            overhead = api_stats.median_ms - alone.median_ms
            raw_overhead = raw_stats.median_ms - alone.median_ms
            results.append(
                Result(
                    "authenticate",
                    f"cost {rounds}, {population:,} users",
                    api_stats,
                    raw_stats,
                    target=1.5 if rounds != configured else None,
                    note=f"beyond bcrypt: API {overhead:.3f} ms, psycopg2 {raw_overhead:.3f} ms",
                    extra={
                        "bcrypt_median_ms": alone.median_ms,
                        "api_overhead_ms": overhead,
                        "raw_overhead_ms": raw_overhead,
                    },
                )
            )
    return results


WORKLOADS = {"cache": cache, "authenticate": authenticate}
