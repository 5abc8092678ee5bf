"""Screenshots of every page for docs/screenshots/: ``python -m tests.web.screenshots``.

Starts the service on a free loopback port (SQLite and blobs in a temporary folder, the
embedded worker on), fills it through the pages themselves in headless Chromium (drop
upload, a failed map, a release, a pasted trace, exceptions sent to the capture endpoint
over two weeks) and saves laptop and phone views.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from symbols.app import create_app
from symbols.config import Settings
from symbols.db import migrate, open_database
from symbols.db.access import KNOWN_SCOPES, create_api_key, create_project
from symbols.db.releases import create_release
from symbols.db.symbol_sets import insert_symbol_set, update_symbol_set
from symbols.db.users import create_role, create_user
from tests.support.capture import project_tokens
from tests.web.browser import (
    BROKEN_MAP,
    NODE_TRACE,
    capture,
    chromium,
    drop_files,
    exception_event,
    injected_build,
)

OUT = Path(__file__).parents[2] / "docs" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def _serve(work: Path):
    settings = Settings(data_dir=work / "data", index_processes=0, job_poll_seconds=0.05)
    db = open_database(settings.database_url)
    await migrate(db)
    async with db.begin() as conn:
        shop = await create_project(conn, "Shop")
        await create_project(conn, "Blog")
        _, key = await create_api_key(conn, label="alice", scopes=list(KNOWN_SCOPES), project_ids=[1, 2])
    runner = web.AppRunner(create_app(settings, db=db, embedded_worker=True))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, db, shop.id, key, f"http://127.0.0.1:{port}"


async def _issues(page, db, base: str, project_id: int, chunk_id: str) -> None:
    """Exceptions of the uploaded build over two weeks, and a second issue from a script
    whose map is missing; the list, then the first issue, assigned."""
    token = (await project_tokens(db))[project_id]
    async with db.begin() as conn:
        await create_user(conn, "ann@shop.example", "Ann Lee")
        await create_role(conn, "Frontend")
    other = exception_event(token, "0190a7c3-checkout-chunk", distinct_id="dan")
    thrown = other["properties"]["$exception_list"][0]
    thrown.update(type="TypeError", value="cart.items is undefined")
    for frame in thrown["stacktrace"]["frames"][1:]:  # another script than the uploaded one
        frame["filename"] = "https://shop.example/assets/checkout.js"
    day = 86_400_000
    events = [exception_event(token, chunk_id, distinct_id=f"user-{i % 5}") | {"offset": ago}
              for i, ago in enumerate([12 * day, 9 * day, 6 * day, 5 * day, 3 * day, 3 * day + 5,
                                       2 * day, day, day + 7, day + 9, 60_000, 120_000])]
    events += [other | {"uuid": str(uuid.uuid4()), "offset": ago} for ago in (4 * day, 30_000)]
    async with aiohttp.ClientSession(base) as client:
        for event in events:
            await capture(client, event)
    issues = f"{base}/projects/{project_id}/issues"
    for _ in range(200):  # the embedded pipeline stores them in the background
        await page.goto(issues)
        if await page.locator(".occurrences", has_text="12").count() and await page.locator(
                ".occurrences", has_text="2").count():
            break
        await page.wait_for_timeout(100)
    await page.screenshot(path=OUT / "issues.png", full_page=True)
    await page.get_by_role("link", name="RangeError").click()
    await page.get_by_label("Assignee").select_option(label="Ann Lee <ann@shop.example>")
    await page.get_by_role("button", name="Assign").click()
    await page.locator(".notice").wait_for()
    await page.screenshot(path=OUT / "issue.png", full_page=True)


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runner, db, project_id, key, base = await _serve(work)
        files, chunk_id = injected_build(work / "build")
        sets = f"{base}/projects/{project_id}/symbol-sets"
        try:
            async with chromium() as browser:
                page = await browser.new_page(viewport=LAPTOP)
                await page.goto(base + "/")
                await page.screenshot(path=OUT / "sign-in.png")
                await page.get_by_label("Personal API key").fill(key)
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url("**/issues")
                await page.screenshot(path=OUT / "issues-empty.png", full_page=True)
                await page.goto(sets)
                await page.screenshot(path=OUT / "symbol-sets-empty.png", full_page=True)

                await drop_files(page, "#dropzone", files)
                await page.locator("tr", has_text=chunk_id).locator(".badge.ok").wait_for()
                await drop_files(page, "#dropzone", {"broken.js.map": BROKEN_MAP})
                await page.locator(".badge.failed").wait_for()
                async with db.begin() as conn:
                    release = await create_release(conn, project_id, version="2.3.0", project="shop")
                    set_id = (await page.locator("tr", has_text=chunk_id).get_by_role("link")
                              .get_attribute("href")).rsplit("/", 1)[1]
                    await update_symbol_set(conn, set_id, release_id=release.id)
                    await insert_symbol_set(conn, project_id=project_id, storage_ptr=None,
                                            ref="https://shop.example/assets/vendor.js")
                await page.goto(sets)
                await page.screenshot(path=OUT / "symbol-sets.png", full_page=True)

                await page.locator("tr", has_text="broken").get_by_role("link").click()
                await page.screenshot(path=OUT / "symbol-set-failed.png", full_page=True)
                await page.get_by_role("link", name="Delete…").click()
                await page.screenshot(path=OUT / "delete-confirm.png")

                await page.goto(f"{base}/projects/{project_id}/resolve")
                await page.get_by_label("Stack trace").fill(NODE_TRACE)
                await page.get_by_label("Maps").select_option(label="Release 2.3.0 (shop)")
                await page.get_by_role("button", name="Resolve").click()
                await page.locator(".summary").wait_for()
                await page.screenshot(path=OUT / "resolve.png", full_page=True)

                await _issues(page, db, base, project_id, chunk_id)

                await page.set_viewport_size(PHONE)
                await page.screenshot(path=OUT / "issue-phone.png")
                await page.goto(f"{base}/projects/{project_id}/resolve")
                await page.get_by_label("Stack trace").fill(NODE_TRACE)
                await page.get_by_label("Maps").select_option(label="Release 2.3.0 (shop)")
                await page.get_by_role("button", name="Resolve").click()
                await page.screenshot(path=OUT / "resolve-phone.png")
                await page.goto(sets)
                await page.screenshot(path=OUT / "symbol-sets-phone.png", full_page=True)
        finally:
            await runner.cleanup()
            await db.close()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('*.png')))} to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
