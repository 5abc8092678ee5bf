"""The `symbols` command (console script and `python -m symbols`): `--version` is answered
here, before the command line (click and its commands) loads; the rest goes to
``symbols.cli.main``."""

import sys

from symbols import __version__

# click's version_option text, which `symbols.cli.main --version` prints too.
VERSION_LINE = f"symbols, version {__version__}"


def run() -> None:
    if sys.argv[1:] == ["--version"]:
        print(VERSION_LINE)
        return
    from symbols.cli import main

    main()


if __name__ == "__main__":
    run()
