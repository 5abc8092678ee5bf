"""`symbols resolve` against a small aiohttp server that follows the resolve API contract.

The server is real (a free loopback port, its own thread and loop) but minimal: it
checks the key, the project and the frames the way the API does, answers from a table,
and records every request so the tests can see what the command sent. The end-to-end
test on the real service is in test_resolve_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from symbols.cli import main
from tests.support.cli import run_cli
from tests.support.net import free_port

TOKEN = "phx_good"
PROJECT = "7"


def _error(status: int, type_: str, code: str, detail: str, attr: str | None = None) -> web.Response:
    return web.json_response({"type": type_, "code": code, "detail": detail, "attr": attr}, status=status)


class FakeResolveApi:
    """``table`` maps (chunk_id or filename, lineno, colno) to (source, line, column, name)."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, int, int], tuple[str, int, int, str | None]] = {}
        self.requests: list[dict] = []
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.host = ""

    def start(self) -> FakeResolveApi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        for prefix in ("projects", "environments"):
            app.router.add_post(
                f"/api/{prefix}/{{project}}/error_tracking/stack_frames/resolve/", self.handle
            )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.host = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "authentication_error", "authentication_failed", "Invalid personal API key.")
        if request.match_info["project"] != PROJECT:
            return _error(404, "invalid_request", "not_found", "Not found.")
        body = await request.json()
        self.requests.append(body)
        frames = body.get("frames")
        if not isinstance(frames, list) or not frames:
            return _error(400, "validation_error", "required", "frames must be a non-empty list", "frames")
        if len(frames) > 1000:
            return _error(413, "invalid_request", "too_many_frames", "at most 1000 frames per request")
        context = body.get("context_lines", 0)
        if not isinstance(context, int) or not 0 <= context <= 50:
            return _error(400, "validation_error", "invalid", "context_lines must be 0..50", "context_lines")
        out = []
        for i, frame in enumerate(frames):
            if not isinstance(frame.get("lineno"), int) or frame["lineno"] < 1 or frame["lineno"] > 10**7:
                return _error(400, "validation_error", "invalid", "lineno must be 1..10000000",
                              f"frames.{i}.lineno")
            out.append(self._resolve(frame, context, body.get("explain", False)))
        return web.json_response({"frames": out})

    def _resolve(self, frame: dict, context: int, explain: bool) -> dict:
        key = (frame.get("chunk_id") or frame["filename"], frame["lineno"], frame["colno"])
        hit = self.table.get(key)
        result = {
            "raw_id": f"raw-{key}", "mangled_name": frame.get("function"), "in_app": True, "lang": "javascript",
            "line": frame["lineno"], "column": frame["colno"], "source": frame["filename"],
            "resolved_name": None, "resolved": False, "context": None,
            "resolve_failure": "TokenNotFound" if frame.get("chunk_id") else "NoSourcemapUploaded",
        }
        if hit:
            source, line, column, name = hit
            result.update(source=source, line=line, column=column, resolved_name=name, resolved=True,
                          resolve_failure=None)
            if context:
                result["context"] = {
                    "before": [{"number": n, "line": f"code {n}"} for n in range(max(1, line - context), line)],
                    "line": {"number": line, "line": f"code {line}"},
                    "after": [{"number": n, "line": f"code {n}"} for n in range(line + 1, line + context + 1)],
                }
        if explain:
            result["explain"] = [
                {"step": "symbol_set", "found": bool(hit), "detail": f"looked up {key[0]}"},
                {"step": "token", "found": bool(hit), "detail": None},
            ]
        return result


@pytest.fixture
def api():
    server = FakeResolveApi().start()
    yield server
    server.stop()


def resolve(*args: str, env: dict | None = None, input: str | None = None):
    return run_cli("resolve", *args, env=env, input=input)


def env_for(api: FakeResolveApi, **changes: str) -> dict[str, str]:
    return {"SYMBOLS_HOST": api.host, "SYMBOLS_PROJECT": PROJECT, "SYMBOLS_TOKEN": TOKEN, **changes}


NODE_TRACE = """\
RangeError: negative quantity for pie
    at i (/srv/app/dist/cli.cjs:2:71)
    at e (/srv/app/dist/cli.cjs:2:30)
    at Object.<anonymous> (/srv/app/dist/cli.cjs:2:197)
    at Module._compile (node:internal/modules/cjs/loader:1521:14)
    at Array.map (<anonymous>)

Node.js v20.11.0
"""


def test_text_output_keeps_every_line_and_the_frame_style(api: FakeResolveApi) -> None:
    api.table[("/srv/app/dist/cli.cjs", 2, 71)] = ("../src/math.js", 12, 5, "checkedQuantity")
    api.table[("/srv/app/dist/cli.cjs", 2, 197)] = ("../src/cli.js", 30, 1, None)
    result = resolve(env=env_for(api), input=NODE_TRACE)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "RangeError: negative quantity for pie",
        "    at checkedQuantity (../src/math.js:12:5)",
        "    at e (/srv/app/dist/cli.cjs:2:30) [unresolved: NoSourcemapUploaded]",
        "    at Object.<anonymous> (../src/cli.js:30:1)",
        "    at Module._compile (node:internal/modules/cjs/loader:1521:14)",
        "    at Array.map (<anonymous>)",
        "",
        "Node.js v20.11.0",
    ]
    assert result.stderr == "resolved 2 of 3 frame(s)\n"
    # Only script frames were sent, as the contract shapes them.
    assert api.requests == [{"frames": [
        {"platform": "node:javascript", "filename": "/srv/app/dist/cli.cjs", "lineno": 2, "colno": 71, "function": "i"},
        {"platform": "node:javascript", "filename": "/srv/app/dist/cli.cjs", "lineno": 2, "colno": 30, "function": "e"},
        {"platform": "node:javascript", "filename": "/srv/app/dist/cli.cjs", "lineno": 2, "colno": 197,
         "function": "Object.<anonymous>"},
    ], "context_lines": 0}]


def test_firefox_trace_from_a_file(api: FakeResolveApi, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    trace.write_text(
        "total@https://shop.example/assets/app.js:1:77\n"
        "async*@https://shop.example/assets/app.js:1:605\n"
        "forEach@[native code]\n"
    )
    api.table[("https://shop.example/assets/app.js", 1, 77)] = ("src/cart.js", 12, 5, "ShoppingCart.total")
    api.table[("https://shop.example/assets/app.js", 1, 605)] = ("src/index.js", 40, 1, "main")
    result = resolve(str(trace), env=env_for(api))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ShoppingCart.total@src/cart.js:12:5",
        "async*main@src/index.js:40:1",
        "forEach@[native code]",
    ]
    assert {f["platform"] for f in api.requests[0]["frames"]} == {"web:javascript"}


def test_context_lines(api: FakeResolveApi) -> None:
    api.table[("http://x/a.js", 1, 2)] = ("src/a.js", 10, 3, "run")
    result = resolve("--context", "2", env=env_for(api), input="Error: x\n  at http://x/a.js:1:2\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Error: x",
        "  at run (src/a.js:10:3)",
        "         8 | code 8",
        "         9 | code 9",
        "      > 10 | code 10",
        "        11 | code 11",
        "        12 | code 12",
    ]
    assert api.requests[0]["context_lines"] == 2


def test_json_prints_the_resolved_frames(api: FakeResolveApi) -> None:
    api.table[("http://x/a.js", 1, 2)] = ("src/a.js", 10, 3, "run")
    result = resolve("--json", "--context", "1", env=env_for(api), input="  at f (http://x/a.js:1:2)\n")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [(f["source"], f["line"], f["column"], f["resolved_name"], f["resolved"]) for f in body["frames"]] == [
        ("src/a.js", 10, 3, "run", True)
    ]
    assert body["frames"][0]["context"]["line"] == {"number": 10, "line": "code 10"}
    assert result.stderr == ""


def test_explain(api: FakeResolveApi) -> None:
    result = resolve("--explain", env=env_for(api), input="    at f (http://x/a.js:1:2)\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "    at f (http://x/a.js:1:2) [unresolved: NoSourcemapUploaded]",
        "        explain symbol_set: not found: looked up http://x/a.js",
        "        explain token: not found",
    ]
    assert api.requests[0]["explain"] is True


def test_directory_gives_chunk_ids(api: FakeResolveApi, build_dir: Path) -> None:
    from symbols.buildtools import inject as inj

    assert CliRunner().invoke(main, ["sourcemap", "inject", "-d", str(build_dir)]).exit_code == 0
    ids = {p.script.relative_to(build_dir).as_posix(): p.chunk_id for p in inj.scan(build_dir).pairs}
    (build_dir / "other").mkdir()
    (build_dir / "other" / "esm.mjs").write_bytes((build_dir / "nomap.js").read_bytes())  # no chunk id
    api.table[(ids["assets/app.js"], 2, 77)] = ("../../src/cart.js", 12, 5, "total")
    trace = (
        "RangeError: boom\n"
        "    at i (https://shop.example/static/assets/app.js?v=3:2:77)\n"  # URL path suffix
        f"    at a (file://{build_dir}/cli.cjs:3:30)\n"  # the very file
        "    at b (C:\\build\\dist\\rollup.cjs:12:1)\n"  # Windows path, basename
        "    at c (https://cdn.example/unknown.js:1:1)\n"  # no such script
        "    at d (/srv/esm.mjs:1:1)\n"  # esm.mjs and other/esm.mjs: the injected one
    )
    result = resolve("-d", str(build_dir), env=env_for(api), input=trace)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "    at total (../../src/cart.js:12:5)"
    sent = [f.get("chunk_id") for f in api.requests[0]["frames"]]
    assert sent == [ids["assets/app.js"], ids["cli.cjs"], ids["rollup.cjs"], None, ids["esm.mjs"]]
    assert result.stdout.splitlines()[2].endswith(" [unresolved: TokenNotFound]")


def test_ambiguous_basename_gives_no_chunk_id(api: FakeResolveApi, build_dir: Path) -> None:
    (build_dir / "a").mkdir()
    (build_dir / "b").mkdir()
    (build_dir / "a" / "x.js").write_text("1\n//# chunkId=aaa\n")
    (build_dir / "b" / "x.js").write_text("2\n//# chunkId=bbb\n")
    result = resolve("-d", str(build_dir), env=env_for(api),
                     input="  at f (http://h/x.js:1:1)\n  at g (http://h/b/x.js:1:1)\n")
    assert result.exit_code == 0, result.output
    assert [f.get("chunk_id") for f in api.requests[0]["frames"]] == [None, "bbb"]


def test_frames_that_do_not_fit_the_build_are_warned_about(api: FakeResolveApi, build_dir: Path) -> None:
    (build_dir / "x.js").write_text("function a(){}\n//# chunkId=aaa\n")
    trace = ("  at a (http://h/x.js:1:15)\n"  # just past the last character: fits
             "  at b (http://h/x.js:1:99)\n"  # past the end of line 1
             "  at c (http://h/x.js:40:1)\n"  # no line 40
             "  at d (http://h/other.js:1:1)\n")  # not a script of the folder
    result = resolve("-d", str(build_dir), env=env_for(api), input=trace)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        (f"warning: at b (http://h/x.js:1:99) does not fit {build_dir}: line 1 of x.js has 14 characters, "
        "the frame is at column 99; is the trace from this build?"),
        (f"warning: at c (http://h/x.js:40:1) does not fit {build_dir}: x.js has 3 lines, the frame is at "
        "line 40; is the trace from this build?"),
        (f"warning: at d (http://h/other.js:1:1) does not fit {build_dir}: no injected script in {build_dir} "
        "is /other.js; is the trace from this build?"),
    ]


def test_directory_without_injected_scripts_warns(api: FakeResolveApi, build_dir: Path) -> None:
    result = resolve("-d", str(build_dir), env=env_for(api), input="  at f (http://h/cli.cjs:1:1)\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"warning: no injected scripts in {build_dir} (run `symbols sourcemap inject` first); "
        "frames are sent without chunk ids"
    )
    assert "chunk_id" not in api.requests[0]["frames"][0]


def test_large_traces_go_in_batches_of_1000(api: FakeResolveApi) -> None:
    trace = "Error: deep\n" + "".join(f"    at f{i} (http://x/a.js:{i + 1}:1)\n" for i in range(2500))
    api.table[("http://x/a.js", 2500, 1)] = ("src/a.js", 1, 1, "last")
    result = resolve(env=env_for(api), input=trace)
    assert result.exit_code == 0, result.output
    assert [len(r["frames"]) for r in api.requests] == [1000, 1000, 500]
    lines = result.stdout.splitlines()
    assert len(lines) == 2501 and lines[-1] == "    at last (src/a.js:1:1)"
    assert lines[1] == "    at f0 (http://x/a.js:1:1) [unresolved: NoSourcemapUploaded]"


def test_posthog_variables_and_options(api: FakeResolveApi) -> None:
    env = {"POSTHOG_CLI_HOST": api.host, "POSTHOG_CLI_ENV_ID": PROJECT, "POSTHOG_CLI_TOKEN": TOKEN}
    assert resolve(env=env, input="  at f (http://x/a.js:1:2)\n").exit_code == 0
    opts = ["--host", api.host, "--project", PROJECT, "--token", TOKEN]
    assert resolve(*opts, input="  at f (http://x/a.js:1:2)\n").exit_code == 0
    # Options win over the environment.
    assert resolve(*opts, env={"SYMBOLS_TOKEN": "wrong"}, input="  at f (http://x/a.js:1:2)\n").exit_code == 0


# --- errors: one line, non-zero exit ------------------------------------------------------


def one_line_error(result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_bad_key(api: FakeResolveApi) -> None:
    line = one_line_error(resolve(env=env_for(api, SYMBOLS_TOKEN="phx_bad"), input="  at f (/a.js:1:2)\n"))
    assert line == f"Error: authentication failed: the key was rejected by {api.host} (Invalid personal API key.)"


def test_project_not_visible(api: FakeResolveApi) -> None:
    line = one_line_error(resolve(env=env_for(api, SYMBOLS_PROJECT="99"), input="  at f (/a.js:1:2)\n"))
    assert line == f"Error: project '99' was not found on {api.host}, or this key cannot see it"


def test_wrong_host() -> None:
    port = free_port()
    env = {"SYMBOLS_HOST": f"http://127.0.0.1:{port}", "SYMBOLS_PROJECT": "1", "SYMBOLS_TOKEN": "k"}
    line = one_line_error(resolve(env=env, input="  at f (/a.js:1:2)\n"))
    assert line.startswith(f"Error: cannot reach http://127.0.0.1:{port}: ") and "refused" in line.lower()


def test_host_that_is_not_the_api(api: FakeResolveApi) -> None:
    line = one_line_error(resolve(env=env_for(api, SYMBOLS_HOST=api.host + "/elsewhere"), input="  at f (/a.js:1:2)\n"))
    assert line.startswith(f"Error: {api.host}") and "did not answer like a symbols API" in line


def test_validation_error_shows_the_detail(api: FakeResolveApi) -> None:
    line = one_line_error(resolve(env=env_for(api), input="  at f (/a.js:99999999:2)\n"))
    assert line == "Error: lineno must be 1..10000000 (field frames.0.lineno) [invalid]"


def test_no_frames(api: FakeResolveApi, tmp_path: Path) -> None:
    line = one_line_error(resolve(env=env_for(api), input="Error: nothing here\n\n"))
    assert line == "Error: no stack frames found in standard input"
    empty = tmp_path / "empty.txt"
    empty.write_text("just words\n")
    assert one_line_error(resolve(str(empty), env=env_for(api))) == f"Error: no stack frames found in {empty}"
    line = one_line_error(resolve(env=env_for(api), input="Error\n    at Array.map (<anonymous>)\n"
                                  "    at node:internal/main/run_main_module:28:49\n"))
    assert line == ("Error: no stack frames with a script position in standard input "
                    "(2 frame(s), all native or Node built-ins)")
    assert api.requests == []


def test_missing_project_and_token_are_usage_errors() -> None:
    result = resolve("--token", "k", input="  at f (/a.js:1:2)\n")
    assert result.exit_code == 2 and "no project: pass --project or set SYMBOLS_PROJECT" in result.stderr
    result = resolve(env={"SYMBOLS_PROJECT": "1"}, input="  at f (/a.js:1:2)\n")
    assert result.exit_code == 2 and "no API key: pass --token or set SYMBOLS_TOKEN" in result.stderr
