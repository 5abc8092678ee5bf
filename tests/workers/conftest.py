"""The ``env`` fixture: a migrated database, a local blob store and a project (tests/support/jobs.py)."""

from tests.support.jobs import env  # noqa: F401
