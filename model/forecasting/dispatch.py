"""One entry point to the bargaining rules: `forecast` runs a rule (with replications for the
stochastic ones), `forecast_all` every rule on one actor table, with optional input noise."""

from __future__ import annotations

import numpy as np

from model.forecasting.bargaining import (
    DEFAULT,
    STOCHASTIC,
    Rule,
    Settings,
    challenge_forecast,
    eu_forecast,
    fj_forecast,
    ktab_forecast,
    median_forecast,
)
from model.sim import rules
from model.sim.rules import Array


def forecast(
    rule: Rule | str,
    pos: Array,
    sal: Array,
    cap: Array,
    rng: np.random.Generator | None = None,
    runs: int = 1,
    settings: Settings = DEFAULT,
) -> Array:
    """Forecast every issue by ``rule``: (runs, ..., K) for any rule (deterministic rules repeat).

    pos, sal: (..., A, K) with positions 0–100 and saliences 0–1; cap: (..., A) ≥ 0. A stochastic
    rule needs ``rng``; its replications are independent draws of the bargaining.
    """
    rule = Rule(rule)
    if rule in STOCHASTIC:
        if rng is None:
            raise ValueError(f"rule {rule.value!r} is stochastic: pass a numpy Generator as rng")
        if rule is Rule.KTAB:
            return ktab_forecast(pos, sal, cap, rng, runs, settings)
        return challenge_forecast(pos, sal, cap, rng, runs, settings)
    if rule is Rule.COMPROMISE:
        out = rules.compromise(pos, sal, cap)
    elif rule is Rule.MEDIAN:
        out = median_forecast(pos, sal, cap)
    elif rule is Rule.EU:
        out = eu_forecast(pos, sal, cap, settings)
    else:
        out = fj_forecast(pos, sal, cap, settings)
    return np.broadcast_to(out, (runs, *out.shape)).copy()


def perturb(
    pos: Array, sal: Array, cap: Array, rng: np.random.Generator, runs: int, noise: float
) -> tuple[Array, Array, Array]:
    """``runs`` copies of the inputs with coding error: each capability and salience multiplied by
    exp(noise · Z), Z standard normal, saliences capped at 1; positions as stated.

    Capabilities and saliences are the softest judgements in an actor table (positions are what
    actors say they want); ``noise`` = 0.1 is a ±10% coding error. Returns (runs, A, K) positions
    and saliences and (runs, A) capabilities.
    """
    z_cap = rng.standard_normal((runs, *cap.shape))
    z_sal = rng.standard_normal((runs, *sal.shape))
    reps = np.broadcast_to(pos, (runs, *pos.shape)).copy()
    return reps, np.minimum(sal * np.exp(noise * z_sal), 1.0), cap * np.exp(noise * z_cap)


BLOCK = 50  # replications computed together when inputs vary: bounds the (R, A, A, A, K) arrays


def forecast_all(
    pos: Array,
    sal: Array,
    cap: Array,
    seed: int,
    runs: int,
    noise: float = 0.0,
    rule_list: tuple[Rule, ...] = tuple(Rule),
    settings: Settings = DEFAULT,
) -> dict[Rule, Array]:
    """Every rule's (runs, K) forecasts of one table, on the same perturbed inputs.

    The input perturbation and each rule draw from their own stream of ``seed`` (keys 0 and
    1 + the rule's place in `Rule`), so adding or dropping a rule changes no other rule's numbers.
    """
    order = list(Rule)

    def stream(key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))

    if noise <= 0:
        return {
            r: forecast(r, pos, sal, cap, stream(1 + order.index(r)), runs, settings)
            for r in rule_list
        }
    p, s, c = perturb(pos, sal, cap, stream(0), runs, noise)
    out: dict[Rule, Array] = {}
    for rule in rule_list:
        rng = stream(1 + order.index(rule))
        blocks = []
        for b in range(0, runs, BLOCK):
            part = slice(b, b + BLOCK)
            blocks.append(forecast(rule, p[part], s[part], c[part], rng, 1, settings)[0])
        out[rule] = np.concatenate(blocks)
    return out
