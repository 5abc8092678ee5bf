"""Real PostHog SDKs sending exceptions, for tests of capture and the pipeline: posthog (PyPI)
in-process, posthog-node (npm) through a script template."""

from __future__ import annotations

import posthog

# posthog-node's version and a script that throws, captures and shuts down; format() it
# with the JSON-quoted key and host.
POSTHOG_NODE = "5.74.0"
NODE_APP = """
const {{ PostHog }} = require('posthog-node');
const client = new PostHog({key}, {{ host: {host}, flushAt: 1, flushInterval: 0 }});
function failingFunction() {{
  throw new Error('boom from node');
}}
async function main() {{
  try {{
    failingFunction();
  }} catch (e) {{
    client.captureException(e, 'user-42', {{ extra: 'x' }});
  }}
  await client.shutdown();
}}
main().catch((e) => {{ console.error(e); process.exit(1); }});
"""

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
