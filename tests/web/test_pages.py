"""The pages over HTTP: sign in and out, the session cookie, CSRF, project isolation,
scopes, search and pages of symbol sets, failure reasons, delete, resolve a trace."""

from __future__ import annotations

import html
import io
import re

import aiohttp

from symbols.db.access import revoke_api_key
from symbols.db.releases import create_release
from symbols.db.symbol_sets import insert_symbol_set

MAP = (b'{"version":3,"sources":["src/app.ts"],"sourcesContent":["export function hello() {\\n'
       b'  return 1;\\n}\\n"],"names":["hello"],"mappings":"AAAA,SAASA"}')
BROKEN_MAP = b'{"version":3,"sources":["a.js"],"names":[],"mappings":"!!!"}'


async def upload(site, ref: str, data: bytes) -> str:
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(data), filename="x.map", content_type="application/octet-stream")
    status, body = await site.api("POST", "symbol_sets/", params={"chunk_id": ref}, data=form)
    assert status == 201, body
    return body["symbol_set_id"]


async def test_sign_in_sets_an_encrypted_secure_cookie_and_sign_out_ends_it(site):
    visitor = site.visitor()
    status, headers, _ = await visitor.get("/")
    assert (status, headers["Location"]) == (303, "/sign-in")
    status, headers, _ = await visitor.get("/sign-in")
    cookie = headers["Set-Cookie"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    status, headers, _ = await visitor.post("/sign-in", {"key": site.key})
    assert (status, headers["Location"]) == (303, "/")
    assert site.key not in visitor.cookie and site.key[4:20] not in visitor.cookie
    status, headers, _ = await visitor.get("/")
    assert (status, headers["Location"]) == (303, f"/projects/{site.project_id}/issues")
    status, _, body = await visitor.get(headers["Location"])
    assert status == 200 and "<h1>Issues</h1>" in body and "Shop" in body

    status, headers, _ = await visitor.post("/sign-out")
    assert (status, headers["Location"]) == (303, "/sign-in")
    status, headers, _ = await visitor.get(f"/projects/{site.project_id}/symbol-sets")
    assert status == 303 and headers["Location"].startswith("/sign-in?next=")


async def test_a_wrong_key_is_refused_and_next_never_leaves_the_site(site):
    visitor = site.visitor()
    await visitor.get("/sign-in")
    status, _, body = await visitor.post("/sign-in", {"key": "phx_not-a-key"})
    assert status == 401 and "This key is not valid" in body
    status, headers, _ = await visitor.post("/sign-in", {"key": site.key, "next": "//evil.example/x"})
    assert (status, headers["Location"]) == (303, "/")
    await visitor.post("/sign-out")
    await visitor.get("/sign-in")
    status, headers, _ = await visitor.post(
        "/sign-in", {"key": site.key, "next": f"/projects/{site.project_id}/resolve"})
    assert headers["Location"] == f"/projects/{site.project_id}/resolve"


async def test_a_revoked_key_is_signed_out_at_once(site):
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    async with site.db.begin() as conn:
        await revoke_api_key(conn, 1)
    status, headers, _ = await visitor.get(f"/projects/{site.project_id}/symbol-sets")
    assert status == 303 and headers["Location"].startswith("/sign-in")


async def test_posts_without_the_session_csrf_token_are_refused(site):
    set_id = await upload(site, "chunk-a", MAP)
    visitor = site.visitor()
    await visitor.get("/sign-in")
    status, _, body = await visitor.post("/sign-in", {"key": site.key}, csrf=False)
    assert status == 403 and "Form expired" in body
    await visitor.sign_in(site.key)
    base = f"/projects/{site.project_id}/symbol-sets"
    for path in (f"{base}/{set_id}/delete", "/sign-out", f"/projects/{site.project_id}/resolve"):
        status, _, _ = await visitor.post(path, {"csrf_token": "forged"}, csrf=False)
        assert status == 403, path
    status, _, _ = await visitor.request("POST", f"{base}/upload/start", json={"symbol_sets": []})
    assert status == 403
    status, _, _ = await visitor.get(f"{base}/{set_id}")
    assert status == 200  # still there, still signed in


async def test_a_key_of_project_2_never_sees_project_1(site):
    set_id = await upload(site, "chunk-secret", MAP)
    visitor = site.visitor()
    await visitor.sign_in(site.other_key)
    assert "Blog" in visitor.last and "Shop" not in visitor.last
    one, two = site.project_id, site.other_project_id
    for path in (f"/projects/{one}/symbol-sets", f"/projects/{one}/symbol-sets/{set_id}",
                 f"/projects/{one}/symbol-sets/{set_id}/download", f"/projects/{one}/resolve",
                 f"/projects/{two}/symbol-sets/{set_id}", f"/projects/{two}/symbol-sets/{set_id}/delete",
                 f"/projects/{two}/symbol-sets/{set_id}/download", "/projects/999/symbol-sets"):
        status, _, body = await visitor.get(path)
        assert status == 404 and "chunk-secret" not in body, path
    status, _, _ = await visitor.post(f"/projects/{two}/symbol-sets/{set_id}/delete")
    assert status == 404
    status, _, body = await visitor.get(f"/projects/{two}/symbol-sets?q=chunk")
    assert status == 200 and "chunk-secret" not in body and "No symbol set matches" in body
    status, _ = await site.api("GET", f"symbol_sets/{set_id}/")
    assert status == 200  # not deleted


async def test_a_read_key_looks_but_cannot_change(site):
    set_id = await upload(site, "chunk-r", MAP)
    visitor = site.visitor()
    await visitor.sign_in(site.read_key)
    base = f"/projects/{site.project_id}/symbol-sets"
    _, _, body = await visitor.get(base)
    assert "chunk-r" in body and 'id="dropzone"' not in body and "read-only" in body
    status, _, body = await visitor.get(f"{base}/{set_id}/delete")
    assert status == 403 and "read scope only" in body
    status, _, _ = await visitor.post(f"{base}/{set_id}/delete")
    assert status == 403
    status, _, _ = await visitor.request("POST", f"{base}/upload/start", json={"symbol_sets": []},
                                         headers={"X-CSRF-Token": visitor.csrf})
    assert status == 403


async def test_empty_state_shows_the_commands_with_host_and_project(site):
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    _, _, body = await visitor.get(f"/projects/{site.project_id}/symbol-sets")
    body = html.unescape(body)
    assert "No symbol sets yet" in body
    assert f"export SYMBOLS_HOST={site.base_url}" in body
    assert f"export SYMBOLS_PROJECT={site.project_id}" in body
    assert "symbols sourcemap upload --directory dist" in body


async def test_status_words_failure_reason_download_and_delete(site):
    good = await upload(site, "chunk-good", MAP)
    bad = await upload(site, "chunk-bad", BROKEN_MAP)
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    base = f"/projects/{site.project_id}/symbol-sets"
    body = await visitor.until(f"{base}/{bad}", "Why it failed")
    assert "The file is not a valid source map" in body and "InvalidSourceMap" in body
    assert "the mappings string is damaged" in body
    body = await visitor.until(f"{base}/{good}", "Ready")
    assert f"{len(MAP)} bytes" in body
    _, _, body = await visitor.get(f"{base}?status=failed")
    assert "chunk-bad" in body and "chunk-good" not in body and "1 symbol set match" in body

    status, headers, _ = await visitor.get(f"{base}/{good}/download")
    assert status == 303
    async with site.client.session.get(headers["Location"]) as resp:
        assert resp.status == 200 and await resp.read() == MAP

    status, _, body = await visitor.get(f"{base}/{good}/delete")
    assert status == 200 and "Delete this symbol set?" in body
    status, headers, _ = await visitor.post(f"{base}/{good}/delete")
    assert status == 303 and "deleted=chunk-good" in headers["Location"]
    status, _ = await site.api("GET", f"symbol_sets/{good}/")
    assert status == 404


async def test_search_by_ref_and_release_and_keyset_pages_cover_every_set_once(site):
    async with site.db.begin() as conn:
        release = await create_release(conn, site.project_id, version="4.2.0", project="shop")
        for n in range(120):
            await insert_symbol_set(conn, project_id=site.project_id, ref=f"https://cdn/app-{n:03}.js",
                                    storage_ptr=None, release_id=release.id if n < 7 else None)
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    base = f"/projects/{site.project_id}/symbol-sets"
    seen, path = [], base
    while path:
        _, _, body = await visitor.get(path)
        seen += re.findall(r"https://cdn/app-(\d{3})\.js</a>", body)
        nxt = re.search(r'rel="next" href="\?([^"]+)"', body)
        path = f"{base}?{html.unescape(nxt.group(1))}" if nxt else None
    assert sorted(seen) == [f"{n:03}" for n in range(120)] and len(seen) == 120
    assert "120 symbol sets" in body and "Missing" in body

    _, _, body = await visitor.get(f"{base}?q=APP-11")
    assert sorted(re.findall(r"app-(\d{3})\.js</a>", body)) == [f"11{n}" for n in range(10)]
    _, _, body = await visitor.get(f"{base}?q=4.2.0")
    assert len(re.findall(r"app-\d{3}\.js</a>", body)) == 7 and "7 symbol sets match" in body
    _, _, body = await visitor.get(f"{base}?q=%25")  # LIKE wildcards are literal
    assert "No symbol set matches" in body
    status, _, _ = await visitor.get(f"{base}?after=not-a-cursor&status=bogus")
    assert status == 200


async def test_resolve_a_pasted_trace_by_url_with_context_and_reasons(site):
    await upload(site, "https://shop.example/app.js", MAP)
    visitor = site.visitor()
    await visitor.sign_in(site.key)
    path = f"/projects/{site.project_id}/resolve"
    trace = ("TypeError: boom\n"
             "    at hello (https://shop.example/app.js?v=3:1:10)\n"
             "    at other (https://shop.example/vendor.js:1:1)\n"
             "    at Array.map (<anonymous>)\n"
             "hello@https://shop.example/app.js:1:10")  # Firefox and Safari print this
    status, _, body = await visitor.post(path, {"trace": trace})
    assert status == 200
    body = html.unescape(body)
    assert "Resolved 2 of 3 frames." in body and body.count("src/app.ts:1:10") == 2
    assert "export function hello() {" in body
    assert "No symbol set of this project matches this script" in body
    # The command in the reason is shown as code, not with Markdown's backticks.
    assert "<code>symbols sourcemap upload --url-prefix '~/<served path>'</code>" in body and "`" not in body
    assert "no symbol set of this project has ref or URL 'https://shop.example/vendor.js'" in body
    assert "Not a script position" in body and "TypeError: boom" in body

    status, _, body = await visitor.post(path, {"trace": "nothing here"})
    assert status == 400 and "No stack frame with a script position" in body
    status, _, body = await visitor.post(path, {"trace": "x" * (64 * 1024 + 1)})
    assert status == 400 and "longer than 64 KB" in body
