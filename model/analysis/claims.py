"""The seed article's claims, each measured on the outcome a reader of the article would check.

The article ("Is Kim Jong Un's opening to Japan a trap for the US alliance in East Asia?",
Tomorrow's Affairs, March 2024) makes claims a–g (README, "Scenarios"); each shipped variant of
the baseline changes what one claim is about. A claim is read here as a difference, variant minus
reference, in an outcome a reader would look at (P(summit), its timing, P(agreement | summit),
strain or the wedge), or as a level of the baseline. Both scenarios run with the same root seed
and replication indices, so replication j of one is paired with replication j of the other
(common random numbers, model/sim/seeding.py) and every difference gets a paired 95% interval.

`summit claims` prints the table (README); tests/test_claims.py asserts each row on two seeds.
Where the model does not tell the article's story (claim d on the summit itself), the table
says so and docs/MODEL.md §3.1 gives the reasons.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.results.stats import conditional_mean_diff, mean_diff, newcombe_paired, wilson
from model.results.tables import markdown_table
from model.sim.seeding import blocks_for
from model.sim.summit import SummitModel

Runs = dict[str, np.ndarray]
IMMINENT = 12  # weeks: "an imminent meeting" seen from mid-March 2024 = by early June


@dataclass(frozen=True)
class Outcome:
    label: str
    column: str  # a run column, or one `simulate` adds
    share: bool  # a proportion (Newcombe / Wilson) rather than a mean
    given: str | None = None  # condition each scenario's mean on this run column


OUTCOMES: dict[str, Outcome] = {
    "wants_jpn": Outcome("P(Tokyo wants the meeting in week 0)", "wants_jpn", True),
    "wants_prk": Outcome("P(Pyongyang wants the meeting in week 0)", "wants_prk", True),
    "summit": Outcome("P(summit)", "summit", True),
    "summit_soon": Outcome(f"P(summit within {IMMINENT} weeks)", "summit_soon", True),
    "weeks": Outcome("weeks to summit (none = horizon)", "weeks_to_summit", False),
    "agreement_given_summit": Outcome("P(agreement given summit)", "agreement", False, "summit"),
    "strain_given_summit": Outcome("strain mean given summit", "strain", False, "summit"),
    "wedge": Outcome("P(wedge)", "wedge", True),
    "wedge_given_summit": Outcome("P(wedge given summit)", "wedge", False, "summit"),
    "offer_given_summit": Outcome(
        "offer on the abductees given summit (points)", "offer_abductees", False, "summit"
    ),
    "readiness_prk": Outcome(
        "Pyongyang's expected gain of meeting, mean over the year (u)", "readiness_prk", False
    ),
    "readiness_jpn": Outcome(
        "Tokyo's expected gain of meeting, mean over the year (u)", "readiness_jpn", False
    ),
}


@dataclass(frozen=True)
class Claim:
    key: str  # "d3": claim d, third reading
    says: str  # the article, quoted or closely paraphrased
    outcome: str  # a key of OUTCOMES
    variant: str  # the scenario the claim is about
    reference: str | None = None  # compared with; None: a level of `variant`
    sign: int = 0  # the article's sign of variant − reference
    bounds: tuple[float, float] = (0.0, 1.0)  # a level's interval must lie inside


BASE = "baseline-2024"
CLAIMS: tuple[Claim, ...] = (
    Claim("a1", "Both sides want this meeting", "wants_jpn", BASE, bounds=(0.5, 1.0)),
    Claim("a2", "Both sides want this meeting", "wants_prk", BASE, bounds=(0.5, 1.0)),
    Claim("a3", "the best chance, yet the obstacles might be even greater", "summit", BASE,
          bounds=(0.05, 0.95)),
    Claim("b1", "Tokyo will not ignore Seoul's position", "summit", "seoul-supports", BASE, +1),
    Claim("b2", "Tokyo will not ignore Seoul's position", "weeks", "seoul-supports", BASE, -1),
    Claim("c1", "Kishida might do what Kim wants at a summit without Seoul",
          "strain_given_summit", "seoul-sidelined", "seoul-supports", +1),
    Claim("c2", "Kim aims to weaken the alliance, bypassing Seoul", "wedge_given_summit",
          "seoul-sidelined", "seoul-supports", +1),
    Claim("c3", "Kim aims to weaken the alliance, bypassing Seoul", "wedge", "seoul-sidelined",
          "seoul-supports", +1),
    Claim("d1", "Kim feels encouraged, above all by the partnership with Russia",
          "readiness_prk", "patrons-strong", BASE, +1),
    Claim("d2", "Pyongyang insists the abductee issue is a done deal", "offer_given_summit",
          "patrons-strong", BASE, -1),
    Claim("d3", "so it could undertake diplomatic actions towards the 'enemy' block", "summit",
          "patrons-strong", BASE, +1),
    Claim("d4", "so it could undertake diplomatic actions towards the 'enemy' block", "weeks",
          "patrons-strong", BASE, -1),
    Claim("e", "the abductees: a heavy political burden on every Japanese government",
          "agreement_given_summit", "abductees-heavy", BASE, -1),
    Claim("f", "the US is open to dialogue without preconditions", "summit", "us-preconditions",
          BASE, -1),
    Claim("g1", "the cancelled consultation reduces the likelihood of an imminent meeting",
          "summit_soon", BASE, "consultation-held", -1),
    Claim("g2", "the cancelled consultation reduces the likelihood of an imminent meeting",
          "weeks", BASE, "consultation-held", +1),
)  # fmt: skip


def simulate(
    scenario: str, runs: int, seed: int, overrides: Mapping[str, Any] | None = None
) -> Runs:
    """Run columns of a shipped scenario (replications 0 … runs−1, root seed ``seed``, optional
    dotted-path ``overrides``), plus the columns the claims read: each principal's expected gain
    of meeting averaged over every week of the horizon (``readiness_<id>``), whether it wanted
    the meeting in week 0 (``wants_<id>``), the restricted time to summit and a summit within
    IMMINENT weeks."""
    model = SummitModel(scenario, blocks=blocks_for(0, runs), root_seed=seed, overrides=overrides)
    total = {p.actor_id: np.zeros(model.R) for p in model.principal_list}
    weeks = 0
    while model.running:
        model.step()
        for p in model.principal_list:
            total[p.actor_id] += p.gain
        weeks += 1
    out = model.outcomes()
    for aid, t in total.items():
        out[f"readiness_{aid.lower()}"] = t / weeks
        out[f"wants_{aid.lower()}"] = out[f"gain0_{aid.lower()}"] > 0
    summit = out["summit"].astype(bool)
    out["weeks_to_summit"] = np.where(summit, out["summit_week"], float(weeks))
    out["summit_soon"] = summit & (np.nan_to_num(out["summit_week"], nan=weeks) < IMMINENT)
    return out


def measure(outcome: Outcome, variant: Runs, reference: Runs | None = None) -> tuple[float, ...]:
    """(value, lo, hi): a level of ``variant`` with its 95% interval, or the paired difference
    variant − reference (Newcombe's paired interval for a proportion, the paired normal interval
    for a mean, the delta method for a mean given a condition)."""
    y = variant[outcome.column]
    if reference is None:
        if outcome.share:
            flags = np.asarray(y, bool)
            return (float(flags.mean()), *wilson(float(flags.sum()), flags.size))
        x = np.asarray(y, float)
        half = 1.959963984540054 * float(x.std(ddof=1)) / math.sqrt(x.size)
        return float(x.mean()), float(x.mean()) - half, float(x.mean()) + half
    r = reference[outcome.column]
    if outcome.given is not None:
        return conditional_mean_diff(r, reference[outcome.given], y, variant[outcome.given])
    if outcome.share:
        return newcombe_paired(np.asarray(y, bool), np.asarray(r, bool))
    return mean_diff(np.asarray(y, float), np.asarray(r, float), paired=True)


def method(claim: Claim) -> str:
    o = OUTCOMES[claim.outcome]
    if claim.reference is None:
        return "Wilson" if o.share else "normal"
    if o.given is not None:
        return "paired delta method"
    return "Newcombe paired" if o.share else "paired mean"


def verdict(claim: Claim, lo: float, hi: float) -> str:
    """Whether the interval says what the article says: "yes", "no" (the other way) or "unclear"
    (a difference whose interval includes 0)."""
    if claim.reference is None:
        return "yes" if claim.bounds[0] < lo and hi < claim.bounds[1] else "no"
    if claim.sign * lo > 0 and claim.sign * hi > 0:
        return "yes"
    if claim.sign * lo < 0 and claim.sign * hi < 0:
        return "no"
    return "unclear"


def evaluate(
    runs: int,
    seed: int,
    claims: Iterable[Claim] = CLAIMS,
    simulator: Callable[[str, int, int], Runs] = simulate,
) -> pd.DataFrame:
    """One row per claim: the measured value with its interval and the verdict. Each scenario
    is simulated once."""
    claims = list(claims)
    cache: dict[str, Runs] = {}

    def get(name: str) -> Runs:
        if name not in cache:
            cache[name] = simulator(name, runs, seed)
        return cache[name]

    rows = []
    for c in claims:
        o = OUTCOMES[c.outcome]
        ref = get(c.reference) if c.reference is not None else None
        value, lo, hi = measure(o, get(c.variant), ref)
        if c.reference is None:
            article = f"in ({c.bounds[0]:g}, {c.bounds[1]:g})"
            compared = c.variant
        else:
            article = "> 0" if c.sign > 0 else "< 0"
            compared = f"{c.variant} − {c.reference}"
        rows.append(
            {
                "claim": c.key,
                "the article": c.says,
                "scenarios": compared,
                "outcome": o.label,
                "value": value,
                "lo": lo,
                "hi": hi,
                "the article's reading": article,
                "method": method(c),
                "agrees": verdict(c, lo, hi),
            }
        )
    return pd.DataFrame(rows)


def _interval(v: float, lo: float, hi: float, signed: bool) -> str:
    f = "+.3f" if signed else ".3f"
    return f"{v:{f}} [{lo:{f}}, {hi:{f}}]"


def format_claims(table: pd.DataFrame, fmt: str = "md") -> str:
    """The claims table as Markdown (intervals in brackets), CSV or JSON."""
    if fmt == "csv":
        return table.to_csv(index=False, float_format="%.4f").rstrip("\n")
    if fmt == "json":
        return table.to_json(orient="records", indent=2)
    shown = pd.DataFrame(
        {
            "claim": table["claim"],
            "the article": table["the article"],
            "scenarios": table["scenarios"],
            "outcome": table["outcome"],
            "value [95% CI]": [
                _interval(v, lo, hi, signed=" − " in s)
                for v, lo, hi, s in zip(
                    table["value"], table["lo"], table["hi"], table["scenarios"], strict=True
                )
            ],
            "the article's reading": table["the article's reading"],
            "agrees": table["agrees"],
        }
    )
    note = (
        "value: a level of the scenario, or the difference variant − reference over the same "
        "replications (common random numbers), each scenario at its central values (no "
        "judgement worlds: as `summit run --worlds 1`). 95% intervals: Wilson or normal for a "
        "level; Newcombe's paired interval for a proportion, the paired normal interval for a "
        "mean, the paired delta method for a mean given a summit. agrees: the interval lies on "
        "the article's side (no: on the other side; unclear: it includes 0)."
    )
    left = [c for c in shown.columns if c != "value [95% CI]"]
    return f"{markdown_table(shown, left=left)}\n\n{note}"
