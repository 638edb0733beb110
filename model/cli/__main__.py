"""`python -m model.cli` runs the CLI (used by tests; the installed script is `summit`)."""

from model.cli.main import main

if __name__ == "__main__":
    main()
