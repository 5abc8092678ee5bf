"""`python -m symbols`: hands over to the command line."""

from symbols.cli import main

if __name__ == "__main__":
    main()
