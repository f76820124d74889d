"""The variables that name the servers of the PostgreSQL and Redis runs."""

from __future__ import annotations

PG_ENV = "SESSIOND_TEST_DATABASE_URL"
REDIS_ENV = "SESSIOND_TEST_REDIS_URL"
