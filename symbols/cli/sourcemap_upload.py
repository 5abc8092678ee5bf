"""`symbols sourcemap upload` (and the upload half of `process`): options, the run, the
report. The work is in symbols.buildtools.upload."""

from __future__ import annotations

import functools
from pathlib import Path

import click


def shown(directory: Path, path: Path) -> str:
    try:
        return path.relative_to(directory).as_posix()
    except ValueError:
        return str(path)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def ignore_option(command):
    return click.option(
        "--ignore", "ignore", multiple=True, metavar="GLOB",
        help="Skip files matching this gitignore-style pattern (repeatable); node_modules is always skipped.",
    )(command)


_UPLOAD_OPTIONS = [
    click.option("--host", help="Service URL [env SYMBOLS_HOST, POSTHOG_CLI_HOST; default http://127.0.0.1:8000]."),
    click.option("--project", help="Project id [env SYMBOLS_PROJECT, POSTHOG_CLI_ENV_ID]."),
    click.option("--token", help="Personal API key with error_tracking:write [env SYMBOLS_TOKEN, POSTHOG_CLI_TOKEN]."),
    click.option("--release-name", help="Attach the symbol sets to this release (with --release-version). "
                 "Without both, inside a git work tree: the repository's name and the commit id."),
    click.option("--release-version", help="Version of the release (with --release-name)."),
    click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64),
                 help="Uploads in flight at once."),
    click.option("--batch-size", default=50, show_default=True, type=click.IntRange(1, 1000),
                 help="Symbol sets per bulk_start_upload request."),
    click.option("--delete-after", is_flag=True, help="Delete each map once the service has it."),
    click.option("--url-prefix", default="~", show_default=True,
                 help="Where DIRECTORY is served, e.g. '~/assets' (~ matches any scheme and host) or "
                      "'https://cdn.example.com/assets': each script's URL is this plus its path under "
                      "DIRECTORY, so traces that name scripts by URL find their set."),
]


def upload_options(command):
    """The options `upload` and `process` share (applied in order, so --help lists them so)."""
    return functools.reduce(lambda cmd, option: option(cmd), reversed(_UPLOAD_OPTIONS), command)


class _ProgressBar:
    """Bytes and files on stderr, when stderr is a terminal."""

    def __init__(self) -> None:
        self._bar = None
        self.files = self.size = self.done_files = self.done_size = 0

    def _label(self, _item: object = None) -> str:
        return f"{self.done_files}/{self.files} files, {size(self.done_size)}/{size(self.size)}"

    def begin(self, files: int, total: int) -> None:
        import sys

        self.files, self.size = files, total
        if not sys.stderr.isatty():
            return  # CI logs: the closing summary says it all
        self._bar = click.progressbar(length=max(total, 1), label="Uploading", file=sys.stderr,
                                      item_show_func=self._label, show_eta=False)
        self._bar.__enter__()

    def advance(self, files: int, done: int) -> None:
        self.done_files += files
        self.done_size += done
        if self._bar is not None:
            self._bar.update(done, self._label())

    def end(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _release(directory: Path, name: str | None, version: str | None):
    """(name, version, metadata) from the flags, else from git; None: no release."""
    if bool(name) != bool(version):
        raise click.UsageError("--release-name and --release-version go together")
    if name:
        return name, version, None
    from symbols.buildtools.git import infer_release

    found = infer_release(directory)
    return (found.name, found.version, found.metadata) if found else None


def run_upload(directory: Path, *, host: str | None, project: str | None, token: str | None,
               release_name: str | None, release_version: str | None, concurrency: int,
               batch_size: int, delete_after: bool, url_prefix: str = "~", ignore: tuple[str, ...] = (),
               dry_run: bool = False, verbose: bool = False) -> None:
    """Upload (or, with ``dry_run``, list) the injected pairs; exit 1 on any failure."""
    import asyncio

    from symbols.buildtools.client import ClientError, SymbolsClient
    from symbols.buildtools.upload import dry_run as plan_dry_run
    from symbols.buildtools.upload import upload_directory
    from symbols.config import ClientSettings

    if dry_run:
        try:
            planned, summary = plan_dry_run(directory, ignore)
        except ClientError as exc:
            raise click.ClickException(str(exc)) from None
        _report_dry_run(directory, planned, summary)
        return
    settings = ClientSettings.from_env().with_overrides(host=host, project=project, token=token)
    if not settings.project:
        raise click.UsageError("no project: pass --project or set SYMBOLS_PROJECT (or POSTHOG_CLI_ENV_ID)")
    if not settings.token:
        raise click.UsageError("no API key: pass --token or set SYMBOLS_TOKEN (or POSTHOG_CLI_TOKEN)")
    release = _release(directory, release_name, release_version)

    async def run():
        async with SymbolsClient(settings.host, settings.project, settings.token) as client:
            return await upload_directory(
                client, directory, release=release[:2] if release else None, concurrency=concurrency,
                batch_size=batch_size, delete_after=delete_after, progress=_ProgressBar(),
                ignore=ignore, release_metadata=release[2] if release else None, url_prefix=url_prefix,
            )

    try:
        summary = asyncio.run(run())
    except ClientError as exc:
        partial = getattr(exc, "summary", None)
        if partial is not None and (partial.uploaded or partial.unchanged or partial.failed):
            _report(directory, partial, release, delete_after=False, verbose=verbose)
        raise click.ClickException(str(exc)) from None
    _report(directory, summary, release, delete_after=delete_after, verbose=verbose)
    if summary.failed:
        raise SystemExit(1)


def _report_dry_run(directory: Path, planned, summary) -> None:
    for pair, packed in planned:
        click.echo(f"would upload  {pair.chunk_id}  {shown(directory, pair.script)}  "
                   f"(map {shown(directory, pair.map)}, {size(packed)})")
    _warnings(directory, summary)
    click.echo(f"would upload {len(planned)} ({size(summary.total_bytes)} of scripts and maps, "
               f"{size(sum(p for _, p in planned))} compressed), failed {len(summary.failed)}")
    if summary.failed:
        raise SystemExit(1)


def _warnings(directory: Path, summary) -> None:
    for failure in summary.failed:
        click.echo(f"failed  {shown(directory, failure.script)}: {failure.reason}", err=True)
    if summary.not_injected:
        click.echo(f"warning: {plural(len(summary.not_injected), 'script')} with a map not injected, "
                   "not uploaded (run `symbols sourcemap inject` first)", err=True)
    if summary.already_deleted:
        click.echo(f"{plural(len(summary.already_deleted), 'injected script')} without a map: "
                   "already uploaded and deleted (--delete-after)")


def _report(directory: Path, summary, release, *, delete_after: bool, verbose: bool) -> None:
    if verbose:
        for outcome, scripts in (("uploaded", summary.uploaded), ("unchanged", summary.unchanged)):
            for script in scripts:
                click.echo(f"{outcome}  {shown(directory, script)}")
        for script in summary.already_deleted:
            click.echo(f"already uploaded and deleted  {shown(directory, script)}")
    _warnings(directory, summary)
    if summary.release_id:
        click.echo(f"release {release[0]} {release[1]} ({summary.release_id})")
    if delete_after:
        click.echo(f"deleted {plural(len(summary.deleted_maps), 'map')}")
    click.echo(f"uploaded {len(summary.uploaded)}, unchanged {len(summary.unchanged)}, "
               f"failed {len(summary.failed)}: {size(summary.total_bytes)} of scripts and maps "
               f"({size(summary.uploaded_bytes)} compressed sent)")
