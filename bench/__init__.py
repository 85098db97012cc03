"""Benchmarks: DatabaseAPI next to hand-written psycopg2 on the same server (docs/BENCHMARKS.md)."""
