"""The posthog (PyPI) SDK sending real Python exceptions, for tests of capture and the pipeline."""

from __future__ import annotations

import posthog

# The line that raises in ``python_sdk_sends`` (tests find it in the captured frames).
RAISING_LINE = 'raise ValueError("boom from python")'


def python_sdk_sends(url: str, token: str, *, gzip: bool = False, times: int = 1) -> None:
    """``times`` ValueErrors raised in ``checkout`` and captured, then flushed (blocking)."""
    client = posthog.Posthog(token, host=url, sync_mode=True, gzip=gzip)

    def checkout():
        raise ValueError("boom from python")

    for _ in range(times):
        try:
            checkout()
        except ValueError as exc:
            client.capture_exception(exc, distinct_id="py-user", properties={"plan": "pro"})
    client.flush()
    client.shutdown()
