"""The first page of the admin's list-messages on conversations of 10^4 .. 10^6 messages.

The API side is the whole command in-process, ``database.admin.main(["list-messages", ID])``:
argument parsing, the read-only connection, the page query, the table rendered to a discarded
stdout. The psycopg2 side is the bare page query.
"""

from __future__ import annotations

import contextlib
import io
import os

from bench import seed
from bench.context import Context
from bench.harness import Result, compare

RAW_FIRST_PAGE = """
SELECT m.id, m.position, m.role, m.content, m.sent_at, m.metadata, q.id, a.id
FROM messages m
LEFT JOIN questions q ON q.message_id = m.id
LEFT JOIN answers a ON a.message_id = m.id
WHERE m.conversation_id = %s
ORDER BY m.position
LIMIT %s
"""
PAGE = 50


def list_messages(ctx: Context) -> list[Result]:
    from database.admin import main as admin_main
    from database.connection import dispose_engine

    # The admin reads its settings from the environment, like the command line does.
    os.environ["DATABASE_URL"] = ctx.settings.url.render_as_string(hide_password=False)
    os.environ.pop("DATABASE_READ_URL", None)
    dispose_engine()
    results = []
    sizes = [10_000, 100_000] if ctx.quick else [10_000, 100_000, 1_000_000]
    n = 200 if ctx.quick else 500
    for size in sizes:
        with ctx.raw.cursor() as cur:
            user = seed.make_users(cur, 1, prefix=f"admin-{ctx.next_tag()}-")[0]
            (cid,) = seed.make_conversations(cur, [user], per_user=1)
            seed.fill_messages(cur, [cid], size, questions=True)
            cur.execute("VACUUM ANALYZE messages")
        cur = ctx.raw.cursor()

        def raw_call(i: int) -> None:
            cur.execute(RAW_FIRST_PAGE, (cid, PAGE + 1))
            assert len(cur.fetchall()) == PAGE + 1

        def command_call(i: int) -> None:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                assert admin_main(["list-messages", str(cid), "--limit", str(PAGE)]) == 0
            assert "next page" in out.getvalue()

        api, raw = compare(command_call, raw_call, n)
        results.append(
            Result(
                "admin list-messages, first page",
                f"conversation of {size:,} messages",
                api,
                raw,
                note="whole command in-process (parse arguments, read-only query, render the "
                "table) vs the bare query in psycopg2; no target in the issue"
                if size == sizes[0]
                else "",
            )
        )
    dispose_engine()
    return results


WORKLOADS = {"list_messages": list_messages}
