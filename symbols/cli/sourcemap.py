"""`symbols sourcemap ...`: source-map commands. Thin: the work is in symbols.sourcemaps."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from symbols.cli.sourcemap_upload import ignore_option, plural, run_upload, shown, upload_options


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
    from symbols.sourcemaps import SourceMapError, parse_source_map

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


# --- inject, upload and process: the build-pipeline commands (work in symbols.buildtools) ----


_DIRECTORY = click.option(
    "--directory", "-d", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Build output (searched recursively for .js, .mjs, .cjs; node_modules skipped).",
)


@sourcemap.command()
@_DIRECTORY
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--verbose", "-v", is_flag=True, help="Also list unchanged scripts and scripts without a map.")
@ignore_option
@click.option("--update-sri/--no-update-sri", default=True, show_default=True,
              help="Rewrite integrity= attributes in the build's HTML that pin injected scripts "
                   "(off: such scripts are not injected, and reported).")
def inject(directory: Path, dry_run: bool, verbose: bool, ignore: tuple[str, ...], update_sri: bool) -> None:
    """Give every script/map pair under DIRECTORY a chunk id.

    Appends `//# chunkId=<id>` and a one-line prologue to the script, adds "chunk_id" to
    the map and shifts its mappings to match. Idempotent; deterministic (a bundler
    debugId is reused, else the id is a UUIDv5 of the script). Exits with status 1 if a
    pair could not be handled (those are reported and left untouched).
    """
    if _run_inject(directory, dry_run=dry_run, verbose=verbose, ignore=ignore, update_sri=update_sri):
        raise SystemExit(1)


def _run_inject(directory: Path, *, dry_run: bool, verbose: bool, ignore: tuple[str, ...],
                update_sri: bool = True) -> int:
    """Inject and report; the number of errors."""
    from symbols.buildtools import inject as injection
    from symbols.buildtools.inject import sri

    try:
        found = injection.scan(directory, ignore)
        pins = sri.find_pins(directory, [p.script for p in found.pairs], injection.ignore_spec(ignore))
    except (OSError, injection.InjectError) as exc:
        raise click.ClickException(str(exc)) from None
    verb = "would inject" if dry_run else "injected"
    counts = {"injected": 0, "completed": 0, "unchanged": 0}
    errors = [(p.path, p.reason) for p in found.problems]
    pinned: dict[Path, Path] = {}
    for pin in pins:
        pinned.setdefault(pin.script, pin.html)  # the first HTML file that pins it
    new_bytes: dict[Path, bytes] = {}
    for pair in found.pairs:
        name = shown(directory, pair.script)
        if pair.state is injection.PairState.INJECTED:
            counts["unchanged"] += 1
            if verbose:
                click.echo(f"unchanged  {pair.chunk_id}  {name}")
            continue
        if pair.state is injection.PairState.NEW and not update_sri and pair.script in pinned:
            html = shown(directory, pinned[pair.script])
            reason = f"pinned by an integrity= attribute in {html}; not injected (--update-sri rewrites it)"
            errors.append((pair.script, reason))
            continue
        try:
            outcome = injection.inject(pair, dry_run=dry_run)
        except (OSError, injection.InjectError) as exc:
            errors.append((pair.script, f"cannot write: {exc}"))
            continue
        if outcome.script_bytes is not None:
            new_bytes[pair.script] = outcome.script_bytes
        if pair.state is injection.PairState.NEW:
            counts["injected"] += 1
            click.echo(f"{verb}  {pair.chunk_id}  {name}  (map {shown(directory, pair.map)})")
        else:
            counts["completed"] += 1
            click.echo(f"{'would complete' if dry_run else 'completed'} map  {pair.chunk_id}  "
                       f"{shown(directory, pair.map)}")
    rewritten = []
    if update_sri and pins:
        try:
            rewritten = sri.rewrite(pins, lambda script: new_bytes.get(script) or script.read_bytes(),
                                    dry_run=dry_run, write=injection.write_file)
        except (OSError, injection.InjectError) as exc:
            errors.append((directory, f"integrity: {exc}"))
    for pin in rewritten:
        click.echo(f"{'would update' if dry_run else 'updated'} integrity  {shown(directory, pin.html)}  "
                   f"({shown(directory, pin.script)})")
    if verbose:
        for skipped in found.skipped:
            click.echo(f"skipped  {shown(directory, skipped.script)}: {skipped.reason}")
    for path, reason in errors:
        click.echo(f"error  {shown(directory, path)}: {reason}", err=True)
    parts = [f"{counts['injected']} {verb}"]
    if counts["completed"]:
        parts.append(f"{plural(counts['completed'], 'map')} completed")
    parts.append(f"{counts['unchanged']} already injected")
    parts.append(f"{len(found.skipped)} without a source map")
    if rewritten:
        parts.append(f"{plural(len(rewritten), 'integrity attribute')} updated")
    parts.append(plural(len(errors), "error"))
    click.echo(", ".join(parts))
    return len(errors)


@sourcemap.command()
@_DIRECTORY
@upload_options
@ignore_option
@click.option("--dry-run", is_flag=True, help="List what would be sent; contact nothing.")
@click.option("--verbose", "-v", is_flag=True, help="List each file's outcome.")
def upload(directory: Path, **options) -> None:
    """Upload every injected script/map pair under DIRECTORY as a symbol set.

    Sets the service already has with the same content are skipped. Prints a summary;
    exits with status 1 if any set failed to upload or any map is invalid.
    """
    run_upload(directory, **options)


@sourcemap.command()
@_DIRECTORY
@upload_options
@ignore_option
@click.option("--verbose", "-v", is_flag=True, help="List each file's outcome.")
def process(directory: Path, ignore: tuple[str, ...], verbose: bool, **options) -> None:
    """Inject, then upload, the pairs under DIRECTORY: one step for CI.

    Stops before uploading (status 1) if a pair could not be injected.
    """
    if _run_inject(directory, dry_run=False, verbose=verbose, ignore=ignore):
        raise click.ClickException("not uploaded: fix the errors above and run again")
    run_upload(directory, ignore=ignore, verbose=verbose, **options)
