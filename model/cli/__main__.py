"""`python -m model.cli` runs the CLI (used by tests; the installed script is `summit`)."""

from model.cli import program

if __name__ == "__main__":
    program()
