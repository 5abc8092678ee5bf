"""Issue pages over HTTP on SQLite and PostgreSQL: exceptions captured through the capture
endpoint and processed by the embedded pipeline, the list with its chart, the issue with
its resolved stack trace, fingerprints and events, status and assignee forms (scopes,
CSRF, bad values), the SDK set-up empty state, and project isolation."""

from __future__ import annotations

import html
import re
import uuid

from symbols.db.events import EventRow, insert_events
from symbols.db.users import create_role, create_user
from tests.support.capture import project_tokens
from tests.support.issues import T0, seed_issue
from tests.web.browser import (
    INJECTED_FRAMES,
    MISSING_CHUNK,
    capture,
    exception_event,
    injected_build,
    upload_build,
)


async def _captured_issue(site, tmp_path, visitor) -> str:
    """Upload the injected build, capture two users' exceptions, wait for the issue; its id."""
    files, chunk_id = injected_build(tmp_path)
    await upload_build(site.client, site.project_id, site.key, files, chunk_id)
    token = (await project_tokens(site.db))[site.project_id]
    for user in ("alice", "bob"):
        await capture(site.client, exception_event(token, chunk_id, distinct_id=user))
    body = await visitor.until(f"/projects/{site.project_id}/issues", '<td data-label="Occurrences" class="num occurrences">2</td>')
    return re.search(rf'/projects/{site.project_id}/issues/([0-9a-f-]{{36}})"', body).group(1)


async def test_empty_state_points_the_sdks_at_this_service_with_the_token(site):
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    status, _, body = await visitor.get(f"/projects/{site.project_id}/issues")
    token = (await project_tokens(site.db))[site.project_id]
    assert status == 200 and "No issues yet" in body and token.startswith("phc_")
    text = html.unescape(body)
    assert f"posthog.init('{token}', {{\n  api_host: '{site.base_url}'," in text
    assert f"new PostHog('{token}', {{\n  host: '{site.base_url}'," in text
    assert f"Posthog('{token}', host='{site.base_url}'," in text
    assert 'aria-current="page">Issues</a>' in body


async def test_captured_exception_listed_with_chart_and_shown_resolved(site, tmp_path):
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    issue_id = await _captured_issue(site, tmp_path, visitor)

    _, _, listing = await visitor.get(f"/projects/{site.project_id}/issues")
    assert ">RangeError</a>" in listing and "negative quantity for cake" in listing
    assert '<td data-label="Users" class="num users">2</td>' in listing
    assert 'aria-label="2 occurrences in the last 14 days"' in listing
    bars = re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)">', listing)
    assert len(bars) == 14 and bars[-1] == ("0.0", "28.0") and all(h == "0.0" for _, h in bars[:-1])
    assert '<span class="badge status-active">Active</span>' in listing

    status, _, page = await visitor.get(f"/projects/{site.project_id}/issues/{issue_id}")
    assert status == 200
    resolved = re.findall(r'<li class="frame ok in-app">\s*<div class="where"><span class="fn">(\w+)</span>\s*'
                          r'<span class="loc">([^<]+)</span>', page)
    assert [fn for fn, _ in resolved] == [fn for *_, fn in INJECTED_FRAMES]
    assert resolved[0][1] == "../../src/math.js:9:11"
    mark = re.search(r"<mark>(.*?)</mark>", page, re.DOTALL).group(1)
    assert "throw new RangeError" in html.unescape(mark)
    unresolved = page[page.index('<li class="frame unresolved">'):]
    assert "No symbol set of this project matches this script" in unresolved
    assert f"Needs the map of <code>{MISSING_CHUNK}</code>" in unresolved
    commands = html.unescape(page[page.index("Maps to upload"):])
    assert f"export SYMBOLS_HOST={site.base_url}\nexport SYMBOLS_PROJECT={site.project_id}" in commands
    assert "symbols sourcemap upload --directory dist" in commands
    status, fps = await site.api("GET", "fingerprints/", params={"issue_id": issue_id})
    assert fps["count"] == 1 and f"<code>{html.escape(fps['results'][0]['fingerprint'])}</code>" in page
    events = re.findall(r'<td data-label="User" class="ref">(\w+)</td>', page)
    assert sorted(events) == ["alice", "bob"] and "https://shop.example/cart" in page


async def test_status_and_assignee_forms_call_the_domain_with_csrf_and_scopes(site, tmp_path):
    async with site.db.begin() as conn:
        issue_id = await seed_issue(conn, site.project_id, "fp-1", name="TypeError", description="x is undefined")
        user = await create_user(conn, "ann@example.com", "Ann")
        role = await create_role(conn, "Frontend")
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    path = f"/projects/{site.project_id}/issues/{issue_id}"
    await visitor.get(path)

    status, headers, _ = await visitor.post(f"{path}/status", {"status": "resolved"})
    assert (status, headers["Location"]) == (303, f"{path}?changed=status")
    _, _, body = await visitor.get(headers["Location"])
    assert "Status changed." in body and '<span class="badge status-resolved" id="issue-status">Resolved</span>' in body
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["status"] == "resolved"

    status, _, _ = await visitor.post(f"{path}/assignee", {"assignee": f"user:{user.id}"})
    assert status == 303
    _, _, body = await visitor.get(path)
    assert '<dd id="issue-assignee">Ann &lt;ann@example.com&gt;</dd>' in body
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["assignee"] == {"type": "user", "id": user.id}
    await visitor.post(f"{path}/assignee", {"assignee": f"role:{role.id}"})
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["assignee"] == {"type": "role", "id": role.id}

    for form, message in (({"status": "archived"}, "is not a valid choice"),
                          ({"assignee": "user:99999"}, "Assignee user does not belong"),
                          ({"assignee": "team:1"}, "is not a valid choice")):
        what = next(iter(form))
        status, _, body = await visitor.post(f"{path}/{what}", form)
        assert status == 400 and message in html.unescape(body), body
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["status"] == "resolved"

    await visitor.post(f"{path}/assignee", {"assignee": ""})
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["assignee"] is None
    status, _, body = await visitor.post(f"{path}/status", {"status": "active"}, csrf=False)
    assert status == 403 and "Form expired" in body
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["status"] == "resolved"

    reader = site.visitor()
    await reader.sign_in(site.read_key)
    _, _, body = await reader.get(path)
    assert "Change status" not in body and "TypeError" in body
    status, _, _ = await reader.post(f"{path}/status", {"status": "active"})
    assert status == 403
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["status"] == "resolved"


async def test_filter_by_status_search_and_pages(site):
    async with site.db.begin() as conn:
        for i in range(27):
            await seed_issue(conn, site.project_id, f"fp-{i}", name=f"Error{i:02d}", description=f"message {i}")
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    base = f"/projects/{site.project_id}/issues"
    _, _, body = await visitor.get(base)
    assert "27 issues" in body and body.count('<td data-label="Issue"') == 25 and "?q=&amp;status=&amp;page=2" in body
    _, _, body = await visitor.get(base + "?page=2")
    assert body.count('<td data-label="Issue"') == 2 and "« Previous page" in body and "Next page" not in body
    _, _, body = await visitor.get(base + "?q=Error07")
    assert "1 issue match" in body and ">Error07</a>" in body
    _, _, body = await visitor.get(base + "?status=resolved")
    assert "No issue matches" in body
    _, _, body = await visitor.get(base + "?status=nonsense&q=%00" + "x" * 5000 + "&page=-3")
    assert "No issue matches" in body


async def test_a_key_of_project_2_never_sees_project_1s_issues(site):
    async with site.db.begin() as conn:
        issue_id = await seed_issue(conn, site.project_id, "fp-secret", name="SecretError")
    other = site.visitor()
    await other.sign_in(site.other_key)
    for path in (f"/projects/{site.project_id}/issues", f"/projects/{site.project_id}/issues/{issue_id}",
                 f"/projects/{site.other_project_id}/issues/{issue_id}",
                 f"/projects/{site.other_project_id}/issues/not-a-uuid"):
        status, _, body = await other.get(path)
        assert status == 404 and "SecretError" not in body, path
    _, _, body = await other.get(f"/projects/{site.other_project_id}/issues")
    assert "No issues yet" in body and "SecretError" not in body
    for path in (f"/projects/{site.other_project_id}/issues/{issue_id}/status",
                 f"/projects/{site.project_id}/issues/{issue_id}/status"):
        status, _, _ = await other.post(path, {"status": "resolved"})
        assert status == 404
    assert (await site.api("GET", f"issues/{issue_id}/"))[1]["status"] == "active"


async def test_an_event_with_odd_stored_frames_still_shows(site):
    async with site.db.begin() as conn:
        issue_id = await seed_issue(conn, site.project_id, "fp-odd", name="Odd", distinct_ids=())
        await insert_events(conn, [EventRow(
            project_id=site.project_id, uuid=str(uuid.uuid4()), event="$exception", distinct_id="u9",
            timestamp=T0, issue_id=issue_id, properties={"$exception_list": [
                "junk", {"type": 5, "value": None, "stacktrace": {"frames": ["x", {"raw_id": 7, "line": 3}, {"raw_id": [1]}]}},
                {"type": "Empty", "stacktrace": None}]})])
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    status, _, body = await visitor.get(f"/projects/{site.project_id}/issues/{issue_id}")
    assert status == 200 and '<span class="type">Error</span>' in body and '<span class="type">Empty</span>' in body
    assert body.count('<li class="frame unresolved">') == 2 and "(anonymous)" in body
