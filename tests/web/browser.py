"""Real headless Chromium (Debian's ``chromium``) driven by Playwright, and the build the
browser tests and the screenshot script upload: the fixture bundle injected with chunk ids."""

from __future__ import annotations

import base64
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from symbols.buildtools import inject

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
