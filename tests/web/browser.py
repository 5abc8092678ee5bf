"""Real headless Chromium (Debian's ``chromium``) driven by Playwright, and the build the
browser tests and the screenshot script upload: the fixture bundle injected with chunk ids,
and a PostHog-shaped exception thrown in it, sent to the capture endpoint."""

from __future__ import annotations

import base64
import contextlib
import io
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from symbols.buildtools import inject
from symbols.symbol_sets.container import pack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUILD = Path(__file__).parents[1] / "fixtures" / "build" / "dist" / "assets"

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="browser tests need Debian's chromium: apt-get install -y chromium (.ci/run does)",
)

# What `node assets/app.js` prints for the injected fixture bundle (a real Node 18 run;
# the bundle is deterministic, so are the positions). Node frames are not resolvable.
NODE_TRACE = """RangeError: negative quantity for cake
    at i (/srv/shop/assets/app.js:2:77)
    at a (/srv/shop/assets/app.js:2:36)
    at r (/srv/shop/assets/app.js:2:185)
    at c (/srv/shop/assets/app.js:2:398)
    at /srv/shop/assets/app.js:2:605
    at Module._compile (node:internal/modules/cjs/loader:1521:14)"""

# NODE_TRACE's bundle frames (name, line, column) and the functions they resolve to.
INJECTED_FRAMES = [("i", 2, 77, "checkedQuantity"), ("a", 2, 36, "lineTotal"),
                   ("r", 2, 185, "orderTotal"), ("c", 2, 398, "main")]
SCRIPT_URL = "https://shop.example/assets/app.js"
# A vendor script whose map was never uploaded: its frame stays minified.
MISSING_CHUNK = "0190a7c3-vendor-not-uploaded"

BROKEN_MAP = b'{"version":3,"chunk_id":"0190a7c3-broken-map","sources":["a.js"],"names":[],"mappings":"!!!"}'


def injected_build(work: Path) -> tuple[dict[str, bytes], str]:
    """``{file name: bytes}`` of the injected app.js and app.js.map, and its chunk id."""
    shutil.copytree(BUILD, work / "assets")
    scan = inject.scan(work)
    assert not scan.problems, scan.problems
    [pair] = [p for p in scan.pairs if p.script.name == "app.js"]
    inject.inject(pair)
    files = {name: (work / "assets" / name).read_bytes() for name in ("app.js", "app.js.map")}
    return files, pair.chunk_id


async def upload_build(client, project_id: int, key: str, files: dict[str, bytes], chunk_id: str) -> None:
    """The injected map and its script, as one container, through the symbol sets API."""
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(pack(files["app.js.map"], files["app.js"])), filename="app.js.map")
    async with client.post(f"/api/projects/{project_id}/error_tracking/symbol_sets/",
                           params={"chunk_id": chunk_id}, data=form,
                           headers={"Authorization": f"Bearer {key}"}) as resp:
        assert resp.status == 201, await resp.text()


def exception_event(token: str, chunk_id: str, *, distinct_id: str = "u1") -> dict:
    """A ``$exception`` as posthog-js sends it from the injected bundle (frames innermost
    last), called from a vendor script whose map is missing."""
    frames = [{"platform": "web:javascript", "filename": "https://shop.example/assets/vendor.js",
               "function": "n", "lineno": 1, "colno": 4242, "chunk_id": MISSING_CHUNK, "in_app": True}]
    frames += [{"platform": "web:javascript", "filename": SCRIPT_URL, "function": fn, "lineno": line,
                "colno": col, "chunk_id": chunk_id, "in_app": True}
               for fn, line, col, _ in reversed(INJECTED_FRAMES)]
    return {"token": token, "event": "$exception", "uuid": str(uuid.uuid4()), "distinct_id": distinct_id,
            "properties": {"$current_url": "https://shop.example/cart", "$exception_list": [{
                "type": "RangeError", "value": "negative quantity for cake",
                "mechanism": {"handled": False, "type": "onerror"},
                "stacktrace": {"type": "raw", "frames": frames}}]}}


async def capture(client, event: dict) -> None:
    async with client.post("/i/v0/e/", json=event) as resp:
        assert resp.status == 200, await resp.text()


async def drop_files(page, selector: str, files: dict[str, bytes]) -> None:
    """Dispatch real dragover and drop events carrying these files in a DataTransfer."""
    encoded = {name: base64.b64encode(data).decode() for name, data in files.items()}
    await page.evaluate(
        """([selector, files]) => {
            const transfer = new DataTransfer();
            for (const [name, data] of Object.entries(files)) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name));
            }
            const zone = document.querySelector(selector);
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        [selector, encoded],
    )


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
