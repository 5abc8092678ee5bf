"""`symbols sourcemap ...`: source-map commands. Thin: the work is in symbols.sourcemaps."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from symbols.sourcemaps import SourceMapError, parse_source_map


@click.group()
def sourcemap() -> None:
    """Work with JavaScript source maps."""


@sourcemap.command()
@click.argument("map_file", metavar="MAP", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("line", type=click.IntRange(min=1))
@click.argument("column", type=click.IntRange(min=1))
@click.option("--source", "minified", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The minified JavaScript the map belongs to; adds the enclosing function's name.")
def lookup(map_file: Path, line: int, column: int, minified: Path | None) -> None:
    """Print the original position of LINE:COLUMN (1-based, as in stack traces) as JSON.

    The printed `line` and `column` are 1-based too. Exits with status 1 when the
    position maps to nothing.
    """
    try:
        source_map = parse_source_map(
            map_file.read_bytes(), minified_source=minified.read_bytes() if minified else None
        )
    except SourceMapError as error:
        raise click.ClickException(f"{map_file}: {error}") from None
    token = source_map.lookup(line - 1, column - 1)
    if token is None:
        raise click.ClickException(f"{map_file}: nothing maps to line {line}, column {column}")
    result = token.to_dict()
    result.update(line=token.line + 1, column=token.column + 1,
                  generated_line=token.generated_line + 1, generated_column=token.generated_column + 1)
    if minified is not None:
        result["function"] = source_map.function_name(line - 1, column - 1)
    click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


# --- inject and upload: the build-pipeline commands (work in symbols.buildtools) ----


def _shown(directory: Path, path: Path) -> str:
    try:
        return path.relative_to(directory).as_posix()
    except ValueError:
        return str(path)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@sourcemap.command()
@click.option("--directory", "-d", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Build output to inject (searched recursively for .js, .mjs, .cjs).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--verbose", "-v", is_flag=True, help="Also list unchanged scripts and scripts without a map.")
def inject(directory: Path, dry_run: bool, verbose: bool) -> None:
    """Give every script/map pair under DIRECTORY a chunk id.

    Appends `//# chunkId=<id>` and a one-line prologue to the script, adds "chunk_id" to
    the map and shifts its mappings to match. Idempotent; deterministic (a bundler
    debugId is reused, else the id is a UUIDv5 of the script). Exits with status 1 if a
    pair could not be handled (those are reported and left untouched).
    """
    from symbols.buildtools import inject as injection

    try:
        found = injection.scan(directory)
    except injection.InjectError as exc:
        raise click.ClickException(str(exc)) from None
    verb = "would inject" if dry_run else "injected"
    counts = {"injected": 0, "completed": 0, "unchanged": 0}
    errors = [(p.path, p.reason) for p in found.problems]
    for pair in found.pairs:
        shown = _shown(directory, pair.script)
        if pair.state is injection.PairState.INJECTED:
            counts["unchanged"] += 1
            if verbose:
                click.echo(f"unchanged  {pair.chunk_id}  {shown}")
            continue
        try:
            injection.inject(pair, dry_run=dry_run)
        except (OSError, injection.InjectError) as exc:
            errors.append((pair.script, f"cannot write: {exc}"))
            continue
        if pair.state is injection.PairState.NEW:
            counts["injected"] += 1
            click.echo(f"{verb}  {pair.chunk_id}  {shown}  (map {_shown(directory, pair.map)})")
        else:
            counts["completed"] += 1
            click.echo(f"{'would complete' if dry_run else 'completed'} map  {pair.chunk_id}  "
                       f"{_shown(directory, pair.map)}")
    if verbose:
        for skipped in found.skipped:
            click.echo(f"skipped  {_shown(directory, skipped.script)}: {skipped.reason}")
    for path, reason in errors:
        click.echo(f"error  {_shown(directory, path)}: {reason}", err=True)
    parts = [f"{counts['injected']} {verb}"]
    if counts["completed"]:
        parts.append(f"{_plural(counts['completed'], 'map')} completed")
    parts.append(f"{counts['unchanged']} already injected")
    parts.append(f"{len(found.skipped)} without a source map")
    parts.append(_plural(len(errors), "error"))
    click.echo(", ".join(parts))
    if errors:
        raise SystemExit(1)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


class _ProgressBar:
    """Bytes and files on stderr, when stderr is a terminal."""

    def __init__(self) -> None:
        self._bar = None
        self.files = self.size = self.done_files = self.done_size = 0

    def _label(self, _item: object = None) -> str:
        return f"{self.done_files}/{self.files} files, {_size(self.done_size)}/{_size(self.size)}"

    def begin(self, files: int, size: int) -> None:
        import sys

        self.files, self.size = files, size
        if not sys.stderr.isatty():
            return  # CI logs: the closing summary says it all
        self._bar = click.progressbar(length=max(size, 1), label="Uploading", file=sys.stderr,
                                      item_show_func=self._label, show_eta=False)
        self._bar.__enter__()

    def advance(self, files: int, size: int) -> None:
        self.done_files += files
        self.done_size += size
        if self._bar is not None:
            self._bar.update(size, self._label())

    def end(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@sourcemap.command()
@click.option("--directory", "-d", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Build output, injected with `symbols sourcemap inject`.")
@click.option("--host", help="Service URL [env SYMBOLS_HOST, POSTHOG_CLI_HOST; default http://127.0.0.1:8000].")
@click.option("--project", help="Project id [env SYMBOLS_PROJECT, POSTHOG_CLI_ENV_ID].")
@click.option("--token", help="Personal API key with error_tracking:write [env SYMBOLS_TOKEN, POSTHOG_CLI_TOKEN].")
@click.option("--release-name", help="Attach the symbol sets to this release (with --release-version).")
@click.option("--release-version", help="Version of the release (with --release-name).")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Uploads in flight at once.")
@click.option("--batch-size", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="Symbol sets per bulk_start_upload request.")
@click.option("--delete-after", is_flag=True, help="Delete each map once the service has it.")
@click.option("--url-prefix", default="~", show_default=True,
              help="Where DIRECTORY is served, e.g. '~/assets' (~ matches any scheme and host) or "
                   "'https://cdn.example.com/assets': each script's URL is this plus its path under "
                   "DIRECTORY, so traces that name scripts by URL find their set.")
def upload(directory: Path, host: str | None, project: str | None, token: str | None,
           release_name: str | None, release_version: str | None, concurrency: int,
           batch_size: int, delete_after: bool, url_prefix: str) -> None:
    """Upload every injected script/map pair under DIRECTORY as a symbol set.

    Sets the service already has with the same content are skipped. Prints a summary;
    exits with status 1 if any set failed to upload.
    """
    import asyncio

    from symbols.buildtools.client import ClientError, SymbolsClient
    from symbols.buildtools.upload import upload_directory
    from symbols.config import ClientSettings

    settings = ClientSettings.from_env().with_overrides(host=host, project=project, token=token)
    if not settings.project:
        raise click.UsageError("no project: pass --project or set SYMBOLS_PROJECT (or POSTHOG_CLI_ENV_ID)")
    if not settings.token:
        raise click.UsageError("no API key: pass --token or set SYMBOLS_TOKEN (or POSTHOG_CLI_TOKEN)")
    if bool(release_name) != bool(release_version):
        raise click.UsageError("--release-name and --release-version go together")
    release = (release_name, release_version) if release_name else None

    async def run():
        async with SymbolsClient(settings.host, settings.project, settings.token) as client:
            return await upload_directory(
                client, directory, release=release, concurrency=concurrency,
                batch_size=batch_size, delete_after=delete_after, progress=_ProgressBar(),
                url_prefix=url_prefix,
            )

    try:
        summary = asyncio.run(run())
    except ClientError as exc:
        partial = getattr(exc, "summary", None)
        if partial is not None and (partial.uploaded or partial.unchanged or partial.failed):
            _report(directory, partial, release_name, release_version, delete_after=False)
        raise click.ClickException(str(exc)) from None
    _report(directory, summary, release_name, release_version, delete_after=delete_after)
    if summary.failed:
        raise SystemExit(1)


def _report(directory: Path, summary, release_name: str | None, release_version: str | None,
            *, delete_after: bool) -> None:
    for failure in summary.failed:
        click.echo(f"failed  {_shown(directory, failure.script)}: {failure.reason}", err=True)
    for problem in summary.problems:
        click.echo(f"skipped  {_shown(directory, problem.path)}: {problem.reason}", err=True)
    if summary.not_injected:
        click.echo(f"warning: {_plural(len(summary.not_injected), 'script')} with a map not injected, "
                   "not uploaded (run `symbols sourcemap inject` first)", err=True)
    if summary.release_id:
        click.echo(f"release {release_name} {release_version} ({summary.release_id})")
    if delete_after:
        click.echo(f"deleted {_plural(len(summary.deleted_maps), 'map')}")
    click.echo(f"uploaded {len(summary.uploaded)} ({_size(summary.uploaded_bytes)} sent), "
               f"unchanged {len(summary.unchanged)}, failed {len(summary.failed)}")
