"""`symbols resolve`: a stack trace as text in, the same trace with original positions out.

Parsing is in symbols.stacktrace, the HTTP call in symbols.buildtools.client; this module reads the
input, finds chunk ids in a build folder, and prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

import click
import orjson

from symbols.sourcemaps.lines import LINE_BREAK
from symbols.stacktrace import FrameLine, Trace, parse, script_path

_TAIL_BYTES = 16384  # the trailing //# comments are near the end of a script


@dataclass(frozen=True)
class ChunkIds:
    """Chunk ids of the injected scripts under a build folder, by relative path."""

    by_path: dict[tuple[str, ...], str]
    directory: Path | None = None

    @classmethod
    def scan(cls, directory: Path) -> ChunkIds:
        from symbols.buildtools.inject.pairing import scripts, trailing_comments

        found = {}
        for script in scripts(directory):
            try:
                with script.open("rb") as handle:
                    size = handle.seek(0, os.SEEK_END)
                    handle.seek(max(0, size - _TAIL_BYTES))
                    tail = handle.read().decode("utf-8", errors="replace")
            except OSError:
                continue
            chunk_id = trailing_comments(tail).get("chunkId")
            if chunk_id:
                found[script.relative_to(directory).parts] = chunk_id
        return cls(found, directory)

    def match(self, filename: str) -> tuple[str, ...] | None:
        """The path of the script whose path ends like the frame's script path (the
        longest match wins; a tie between different ids gives none)."""
        wanted = PurePosixPath(script_path(filename)).parts
        best, ids, at = 0, set(), None
        for parts, chunk_id in self.by_path.items():
            common = 0
            while common < min(len(parts), len(wanted)) and parts[-1 - common] == wanted[-1 - common]:
                common += 1
            if common > best:
                best, ids, at = common, {chunk_id}, parts
            elif common == best and common:
                ids.add(chunk_id)
        return at if best and len(ids) == 1 else None

    def lookup(self, filename: str) -> str | None:
        """The chunk id of the script ``match`` finds."""
        parts = self.match(filename)
        return None if parts is None else self.by_path[parts]

    def misfit(self, frame: FrameLine, lines: dict) -> str | None:
        """Why ``frame`` does not fit the build (no script of the folder is its script, or
        its position is past the end of the script's line), else None. ``lines`` caches
        the scripts' lines."""
        parts = self.match(frame.filename)
        if parts is None:
            return f"no injected script in {self.directory} is {script_path(frame.filename)}"
        if parts not in lines:
            text = (self.directory.joinpath(*parts)).read_text(encoding="utf-8", errors="replace")
            lines[parts] = LINE_BREAK.split(text)
        script_lines, shown = lines[parts], "/".join(parts)
        if frame.lineno > len(script_lines):
            return f"{shown} has {len(script_lines)} lines, the frame is at line {frame.lineno}"
        length = len(script_lines[frame.lineno - 1].encode("utf-16-le")) // 2
        if frame.colno > length + 1:
            return f"line {frame.lineno} of {shown} has {length} characters, the frame is at column {frame.colno}"
        return None


def request_frame(frame: FrameLine, chunk_id: str | None) -> dict:
    """The API's shape of a parsed frame."""
    item: dict = {"platform": frame.platform, "filename": frame.filename,
                  "lineno": frame.lineno, "colno": frame.colno}
    if frame.function:
        item["function"] = frame.function
    if chunk_id:
        item["chunk_id"] = chunk_id
    return item


def render(trace: Trace, resolved: dict[int, dict], *, context: bool, explain: bool) -> list[str]:
    """The trace's lines again; frame number ``i`` (in ``trace.frames``) replaced by its
    resolved form when ``resolved`` has it."""
    out: list[str] = []
    index = -1
    for line in trace.lines:
        if isinstance(line, str):
            out.append(line)
            continue
        index += 1
        result = resolved.get(index)
        if result is None:
            out.append(line.text)
            continue
        indent = line.text[: len(line.text) - len(line.text.lstrip())] + "    "
        if result.get("resolved"):
            out.append(line.render(
                function=result.get("resolved_name") or None,
                filename=str(result.get("source") or line.filename),
                lineno=int(result.get("line") or line.lineno),
                colno=int(result.get("column") or line.colno),
            ))
            if context and result.get("context"):
                out.extend(_context(result["context"], indent))
        else:
            out.append(f"{line.text} [unresolved: {result.get('resolve_failure') or 'unknown'}]")
        if explain:
            for step in result.get("explain") or []:
                found = "found" if step.get("found") else "not found"
                detail = f": {step['detail']}" if step.get("detail") else ""
                out.append(f"{indent}explain {step.get('step')}: {found}{detail}")
    return out


def _context(context: dict, indent: str) -> list[str]:
    rows = [*(context.get("before") or []), context.get("line"), *(context.get("after") or [])]
    rows = [row for row in rows if isinstance(row, dict)]
    if not rows:
        return []
    focus = (context.get("line") or {}).get("number")
    width = max(len(str(row.get("number", ""))) for row in rows)
    return [
        f"{indent}{'>' if row.get('number') == focus else ' '} {row.get('number', ''):>{width}} | "
        f"{str(row.get('line', '')).rstrip()}"
        for row in rows
    ]


def _warn_misfits(chunk_ids: ChunkIds, frames: list[FrameLine]) -> None:
    """Say which frames do not fit the build folder, rather than answer them confidently."""
    lines: dict = {}
    for frame in frames:
        why = chunk_ids.misfit(frame, lines)
        if why is not None:
            click.echo(f"warning: {frame.text.strip()} does not fit {chunk_ids.directory}: {why}; "
                       "is the trace from this build?", err=True)


@click.command()
@click.argument("trace_file", metavar="[TRACE]", type=click.File("r", encoding="utf-8", errors="replace"),
                default="-")
@click.option("--directory", "-d", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Build output injected with `symbols sourcemap inject`: frames of its scripts "
                   "are sent with their chunk id.")
@click.option("--host", help="Service URL [env SYMBOLS_HOST, POSTHOG_CLI_HOST; default http://127.0.0.1:8000].")
@click.option("--project", help="Project id [env SYMBOLS_PROJECT, POSTHOG_CLI_ENV_ID].")
@click.option("--token", help="Personal API key with error_tracking:read [env SYMBOLS_TOKEN, POSTHOG_CLI_TOKEN].")
@click.option("--context", "context_lines", type=click.IntRange(0, 50), default=0,
              help="Print this many source lines around each resolved frame.")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved frames as JSON.")
@click.option("--explain", is_flag=True, help="Say, under each frame, how it was (or was not) resolved.")
def resolve(trace_file: TextIO, directory: Path | None, host: str | None, project: str | None,
            token: str | None, context_lines: int, as_json: bool, explain: bool) -> None:
    """Resolve a stack trace read from TRACE (default: standard input).

    Understands the traces of Chrome, Edge, Node (`at fn (url:line:col)`), Firefox and
    Safari (`fn@url:line:col`). Prints the trace back with original sources, positions
    and function names; other lines are kept as they are. Frames that could not be
    resolved are printed as they came, with the reason.
    """
    import asyncio

    from symbols.buildtools.client import ClientError, SymbolsClient
    from symbols.config import ClientSettings

    settings = ClientSettings.from_env().with_overrides(host=host, project=project, token=token)
    if not settings.project:
        raise click.UsageError("no project: pass --project or set SYMBOLS_PROJECT (or POSTHOG_CLI_ENV_ID)")
    if not settings.token:
        raise click.UsageError("no API key: pass --token or set SYMBOLS_TOKEN (or POSTHOG_CLI_TOKEN)")

    trace = parse(trace_file.read())
    frames = trace.frames
    sendable = [i for i, frame in enumerate(frames) if frame.resolvable]
    if not sendable:
        name = getattr(trace_file, "name", None)
        where = name if isinstance(name, str) and name not in ("<stdin>", "-") else "standard input"
        if frames:
            raise click.ClickException(
                f"no stack frames with a script position in {where} "
                f"({len(frames)} frame(s), all native or Node built-ins)"
            )
        raise click.ClickException(f"no stack frames found in {where}")
    chunk_ids = ChunkIds.scan(directory) if directory is not None else None
    if chunk_ids is not None and not chunk_ids.by_path:
        click.echo(f"warning: no injected scripts in {directory} (run `symbols sourcemap inject` "
                   "first); frames are sent without chunk ids", err=True)
    if chunk_ids is not None and chunk_ids.by_path:
        _warn_misfits(chunk_ids, [frames[i] for i in sendable])
    request = [
        request_frame(frames[i], chunk_ids.lookup(frames[i].filename) if chunk_ids else None)
        for i in sendable
    ]

    async def run() -> list[dict]:
        async with SymbolsClient(settings.host, settings.project, settings.token) as client:
            return await client.resolve_frames(request, context_lines=context_lines, explain=explain)

    try:
        answer = asyncio.run(run())
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None

    if as_json:
        click.echo(orjson.dumps({"frames": answer}, option=orjson.OPT_INDENT_2).decode())
        return
    resolved = dict(zip(sendable, answer, strict=True))
    for line in render(trace, resolved, context=context_lines > 0, explain=explain):
        click.echo(line)
    done = sum(1 for frame in answer if frame.get("resolved"))
    click.echo(f"resolved {done} of {len(answer)} frame(s)", err=True)
