"""`inject` and Subresource Integrity: the build's HTML pins scripts by hash; after
injection real headless Chromium still runs them (the integrity= values are rewritten),
and without the rewrite it blocks them."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from symbols.buildtools import inject as inj
from tests.support.bundles import snapshot
from tests.support.cli import run_cli
from tests.web.browser import chromium, needs_chromium

SCRIPT = b"window.__ran = (window.__ran || 0) + 1;\n//# sourceMappingURL=app.js.map\n"
MAP = b'{"version":3,"sources":["app.ts"],"names":[],"mappings":"AAAA"}'
VENDOR = b"window.__vendor = true;\n"


def sri(data: bytes, algorithm: str = "sha384") -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def build(root: Path) -> Path:
    """A site: index.html pins app.js (two hashes, a path from the root) and vendor.js (no
    map: never injected); nested/page.html pins app.js by a relative path and preloads it."""
    (root / "assets").mkdir(parents=True)
    (root / "nested").mkdir()
    (root / "assets" / "app.js").write_bytes(SCRIPT)
    (root / "assets" / "app.js.map").write_bytes(MAP)
    (root / "assets" / "vendor.js").write_bytes(VENDOR)
    (root / "index.html").write_text(
        "<!doctype html><html><head>\n"
        f'<script type="module" crossorigin src="/assets/app.js" integrity="{sri(SCRIPT)} {sri(SCRIPT, "sha512")}">'
        "</script>\n"
        f"<script src='assets/vendor.js' integrity='{sri(VENDOR, 'sha256')}'></script>\n"
        "</head><body>shop</body></html>\n"
    )
    (root / "nested" / "page.html").write_text(
        f'<link rel="modulepreload" href="../assets/app.js" integrity="{sri(SCRIPT, "sha256")}">\n'
        f'<SCRIPT SRC="https://cdn.example/assets/app.js?v=1" INTEGRITY={sri(SCRIPT)}></SCRIPT>\n'
    )
    return root


def test_integrity_values_are_rewritten_with_the_same_algorithms(tmp_path: Path) -> None:
    root = build(tmp_path / "site")
    dry = run_cli("sourcemap", "inject", "-d", str(root), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would update integrity  index.html  (assets/app.js)" in dry.stdout.splitlines()
    assert (root / "index.html").read_text().count(sri(SCRIPT)) == 1  # dry run: untouched

    result = run_cli("sourcemap", "inject", "-d", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "1 injected, 0 already injected, 1 without a source map, 3 integrity attributes updated, 0 errors"
    )
    injected = (root / "assets" / "app.js").read_bytes()
    assert injected != SCRIPT
    index = (root / "index.html").read_text()
    assert f'integrity="{sri(injected)} {sri(injected, "sha512")}">' in index
    assert f"integrity='{sri(VENDOR, 'sha256')}'" in index  # not injected: unchanged
    page = (root / "nested" / "page.html").read_text()
    assert f'href="../assets/app.js" integrity="{sri(injected, "sha256")}"' in page
    assert f"INTEGRITY={sri(injected)}></SCRIPT>" in page

    before = snapshot(root)
    again = run_cli("sourcemap", "inject", "-d", str(root))
    assert again.stdout.splitlines()[-1] == "0 injected, 1 already injected, 1 without a source map, 0 errors"
    assert snapshot(root) == before


def test_without_update_sri_pinned_scripts_are_refused(tmp_path: Path) -> None:
    root = build(tmp_path / "site")
    before = snapshot(root)
    result = run_cli("sourcemap", "inject", "-d", str(root), "--no-update-sri")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error  assets/app.js: pinned by an integrity= attribute in index.html; not injected "
        "(--update-sri rewrites it)"
    )
    assert snapshot(root) == before


async def _ran(root: Path) -> dict:
    """What Chromium did with index.html served from ``root`` on 127.0.0.1."""
    app = web.Application()
    app.router.add_static("/", root)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with chromium() as browser:
            page = await browser.new_page()
            errors: list[str] = []  # integrity refusals (not the favicon's 404)
            page.on("console", lambda m: errors.append(m.text) if "integrity" in m.text else None)
            await page.goto(str(server.make_url("/index.html")))
            await page.wait_for_load_state("load")
            state = await page.evaluate("({ran: window.__ran ?? 0, vendor: window.__vendor ?? false})")
            return {**state, "errors": errors}
    finally:
        await server.close()


@needs_chromium
async def test_chromium_runs_the_injected_script_with_rewritten_integrity(tmp_path: Path) -> None:
    rewritten = build(tmp_path / "rewritten")
    assert run_cli("sourcemap", "inject", "-d", str(rewritten)).exit_code == 0
    assert await _ran(rewritten) == {"ran": 1, "vendor": True, "errors": []}

    # The same injection without the rewrite: Chromium refuses the script.
    stale = build(tmp_path / "stale")
    [pair] = inj.scan(stale).pairs
    inj.inject(pair)
    outcome = await _ran(stale)
    assert (outcome["ran"], outcome["vendor"]) == (0, True)
    assert outcome["errors"] and "/assets/app.js" in outcome["errors"][0], outcome["errors"]

