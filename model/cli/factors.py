"""`--factor` flags of `summit sweep`: PATH=LO:HI[:STEPS] or PATH=V1,V2 as factor tables."""

from __future__ import annotations

from typing import Any

import click


def parse_factor(text: str) -> dict[str, Any]:
    """PATH=LO:HI[:STEPS] (a range) or PATH=V1,V2,... (listed values) → a factor table."""
    if "=" not in text:
        raise click.BadParameter(f"expected PATH=LO:HI[:STEPS] or PATH=V1,V2; got {text!r}")
    path, spec = text.split("=", 1)
    try:
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) not in (2, 3):
                raise click.BadParameter(f"expected PATH=LO:HI or PATH=LO:HI:STEPS; got {text!r}")
            factor: dict[str, Any] = {"path": path, "range": [float(x) for x in parts[:2]]}
            if len(parts) == 3:
                factor["steps"] = int(parts[2])  # a whole number, or ValueError below
            return factor
        values: list[Any] = []
        for x in spec.split(","):
            try:
                values.append(float(x))
            except ValueError:
                values.append(x)
        return {"path": path, "values": values}
    except (ValueError, IndexError):
        raise click.BadParameter(f"expected numbers in {text!r}") from None


def as_int_factor(exp: Any, path: str) -> Any:
    factors = [f.model_copy(update={"kind": "int"}) if f.path == path else f for f in exp.factors]
    return exp.model_copy(update={"factors": factors})
