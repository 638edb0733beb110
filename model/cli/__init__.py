"""The `summit` command: thin verbs over the batch machinery and the analyses."""

from model.cli.main import main, program

__all__ = ["main", "program"]
