"""`python -m model.cli_entry` runs the CLI (used by tests; the installed script is `summit`)."""

from model.cli import main

if __name__ == "__main__":
    main()
