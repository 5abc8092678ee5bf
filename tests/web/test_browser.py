"""The pages in real headless Chromium: sign in, upload by drag and drop, watch the set
get processed, read a failed set's reason, paste a trace and read it resolved, sign out;
a key of project 2 never sees project 1; a form without its CSRF token is refused; an
exception captured from the page's bundle becomes an issue whose resolved frames are read
and whose status is changed, and project 2's key never sees it."""

from __future__ import annotations

import pytest

from tests.support.capture import project_tokens
from tests.web.browser import (
    BROKEN_MAP,
    INJECTED_FRAMES,
    NODE_TRACE,
    chromium,
    drop_files,
    exception_event,
    injected_build,
    needs_chromium,
)

pytestmark = [needs_chromium, pytest.mark.parametrize("site", ["sqlite"], indirect=True)]

WAIT_MS = 20_000  # how long to wait for the worker; no assertion on time


async def sign_in(page, site, key: str) -> None:
    await page.goto(site.base_url + "/")
    await page.get_by_label("Personal API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/issues")


async def open_symbol_sets(page) -> None:
    await page.get_by_role("navigation").get_by_role("link", name="Symbol sets").click()
    await page.wait_for_url("**/symbol-sets")


async def test_sign_in_drop_upload_processed_failed_reason_resolve_and_sign_out(site, tmp_path):
    from playwright.async_api import expect

    files, chunk_id = injected_build(tmp_path)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, site, site.key)
        await open_symbol_sets(page)
        await expect(page.get_by_role("heading", name="No symbol sets yet")).to_be_visible()

        await drop_files(page, "#dropzone", files)
        row = page.locator("tr", has_text=chunk_id)
        await expect(row.locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
        await expect(page.locator("#upload-status")).to_contain_text("Uploaded 1 map(s)")

        await drop_files(page, "#dropzone", {"broken.js.map": BROKEN_MAP})
        failed = page.locator("tr", has_text="0190a7c3-broken-map")
        await expect(failed.locator(".badge")).to_have_text("Failed", timeout=WAIT_MS)
        await expect(failed).to_contain_text("The file is not a valid source map")
        await page.get_by_label("Search by chunk id, file name or release").fill("broken")
        await expect(row).to_have_count(0)  # htmx swapped the results in, no reload
        await page.wait_for_url("**/symbol-sets?q=broken*")
        await failed.get_by_role("link").click()
        await expect(page.get_by_role("heading", name="Why it failed")).to_be_visible()
        await expect(page.locator(".failure")).to_contain_text("the mappings string is damaged")

        # The pasted trace has no chunk ids: the set's release picks the map.
        status, release = await site.api("POST", "releases/", json={"version": "1.0.0", "project": "shop"})
        assert status == 201
        status, sets = await site.api("GET", "symbol_sets/", params={"ref": chunk_id})
        set_id = sets["results"][0]["id"]
        status, _ = await site.api("PATCH", f"symbol_sets/{set_id}/", json={"release_id": release["id"]})
        assert status == 200

        await page.get_by_role("link", name="Resolve a trace").click()
        await page.get_by_label("Stack trace").fill(NODE_TRACE)
        await page.get_by_label("Maps").select_option(label="Release 1.0.0 (shop)")
        await page.get_by_role("button", name="Resolve").click()
        await expect(page.locator(".summary")).to_have_text("Resolved 5 of 5 frames.")
        first = page.locator("li.frame").first
        await expect(first.locator(".fn")).to_have_text("checkedQuantity")
        await expect(first.locator(".loc")).to_contain_text("src/math.js:")
        await expect(first.locator("mark")).to_contain_text("throw new RangeError")
        await expect(page.locator("li.frame.unresolved")).to_contain_text("Not a script position")

        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.goto(f"{site.base_url}/projects/{site.project_id}/symbol-sets")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_a_key_of_project_2_never_sees_project_1_and_csrf_is_checked(site, tmp_path):
    from playwright.async_api import expect

    files, chunk_id = injected_build(tmp_path)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, site, site.key)
        await open_symbol_sets(page)
        await drop_files(page, "#dropzone", files)
        row = page.locator("tr", has_text=chunk_id)
        await expect(row.locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
        await row.get_by_role("link").click()
        set_url = page.url

        # A delete form whose CSRF token was removed is refused, and nothing is deleted.
        await page.get_by_role("link", name="Delete…").click()
        await page.locator('form.actions input[name="csrf_token"]').evaluate("e => e.remove()")
        await page.get_by_role("button", name="Delete").click()
        await expect(page.get_by_role("heading", name="Form expired")).to_be_visible()
        await page.goto(set_url)
        await expect(page.get_by_role("heading", name=chunk_id)).to_be_visible()

        page2 = await browser.new_page()  # a page of its own context: no shared cookies
        await sign_in(page2, site, site.other_key)
        await expect(page2.locator(".project-name")).to_contain_text("Blog")
        for url in (set_url, f"{site.base_url}/projects/{site.project_id}/symbol-sets",
                    set_url.replace(f"/projects/{site.project_id}/", f"/projects/{site.other_project_id}/")):
            response = await page2.goto(url)
            assert response.status == 404
            await expect(page2.get_by_role("heading", name="Not found")).to_be_visible()
            assert chunk_id not in await page2.content()
        await page2.goto(f"{site.base_url}/projects/{site.other_project_id}/symbol-sets")
        await expect(page2.get_by_role("heading", name="No symbol sets yet")).to_be_visible()


async def test_captured_exception_becomes_an_issue_read_resolved_and_resolved(site, tmp_path):
    from playwright.async_api import expect

    files, chunk_id = injected_build(tmp_path)
    token = (await project_tokens(site.db))[site.project_id]
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, site, site.key)
        await page.get_by_role("link", name="Issues").click()
        await expect(page.get_by_role("heading", name="No issues yet")).to_be_visible()
        await expect(page.locator("pre.commands").first).to_contain_text(token)

        await open_symbol_sets(page)
        await drop_files(page, "#dropzone", files)
        await expect(page.locator("tr", has_text=chunk_id).locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
        # The exception as posthog-js posts it, from the page, to the capture endpoint.
        status = await page.evaluate(
            "event => fetch('/i/v0/e/', {method: 'POST', body: JSON.stringify(event)}).then(r => r.status)",
            exception_event(token, chunk_id, distinct_id="carol"),
        )
        assert status == 200

        await page.get_by_role("navigation").get_by_role("link", name="Issues").click()
        row = page.locator("tbody tr", has_text="RangeError")
        for _ in range(WAIT_MS // 100):  # the embedded pipeline stores it in the background
            if await row.count():
                break
            await page.wait_for_timeout(100)
            await page.reload()
        await expect(row.locator(".occurrences")).to_have_text("1")
        await expect(row.locator("svg.sparkline")).to_have_attribute(
            "aria-label", "1 occurrence in the last 14 days")
        await row.get_by_role("link", name="RangeError").click()
        issue_url = page.url

        await expect(page.locator("li.frame.ok.in-app .fn")).to_have_text([fn for *_, fn in INJECTED_FRAMES])
        await expect(page.locator("li.frame.ok .loc").first).to_have_text("../../src/math.js:9:11")
        await expect(page.locator("li.frame.ok").first.locator("mark")).to_contain_text("throw new RangeError")
        await expect(page.locator("li.frame.unresolved .why")).to_contain_text("its map was not uploaded")
        await expect(page.locator(".upload-help pre.commands")).to_contain_text(
            f"export SYMBOLS_PROJECT={site.project_id}")

        await page.get_by_label("Status", exact=True).select_option(label="Resolved")
        await page.get_by_role("button", name="Change status").click()
        await expect(page.locator("#issue-status")).to_have_text("Resolved")
        await expect(page.get_by_role("status")).to_have_text("Status changed.")
        status, issue = await site.api("GET", f"issues/{issue_url.rsplit('/', 1)[1]}/")
        assert (status, issue["status"]) == (200, "resolved")

        page2 = await browser.new_page()
        await sign_in(page2, site, site.other_key)
        for url in (issue_url, issue_url.replace(f"/projects/{site.project_id}/",
                                                 f"/projects/{site.other_project_id}/"),
                    f"{site.base_url}/projects/{site.project_id}/issues"):
            response = await page2.goto(url)
            assert response.status == 404
            assert "RangeError" not in await page2.content()
        await page2.goto(f"{site.base_url}/projects/{site.other_project_id}/issues")
        await expect(page2.get_by_role("heading", name="No issues yet")).to_be_visible()
