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
