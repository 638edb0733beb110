"""The article's claims, each checked on the shipped scenarios that carry it (issue 2, items 4–5).

Every test compares intervals, never a hard-coded result: 95% Wilson intervals for proportions,
normal intervals for means (n is in the thousands), and paired differences where the two
scenarios share their random streams. Common random numbers: the same root seed and blocks give
replication j the same draws in every scenario (model/seeding.py), so run j of one scenario can
be paired with run j of another.

Each scenario is simulated once per module (20,000 replications, a few seconds each) and shared.
To check robustness by hand: ``SUMMIT_CLAIMS_SEED=2 .venv/bin/pytest tests/test_claims.py``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np
import pytest

from model.sim.seeding import blocks_for
from model.sim.summit import SummitModel

RUNS = 20_000
SEED = int(os.environ.get("SUMMIT_CLAIMS_SEED", "1"))
Z = 1.959963984540054  # two-sided 95% normal quantile

Outcomes = dict[str, np.ndarray]


def wilson(successes: float, n: float) -> tuple[float, float]:
    """Wilson score 95% interval for a proportion."""
    p = successes / n
    denom = 1.0 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return centre - half, centre + half


def share(flags: np.ndarray) -> tuple[float, float, float]:
    """(proportion, lo, hi) of a boolean array."""
    flags = np.asarray(flags, dtype=bool)
    return (float(flags.mean()), *wilson(float(flags.sum()), flags.size))


def mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    """(mean, lo, hi): normal 95% interval for the mean."""
    x = np.asarray(x, dtype=float)
    m = float(x.mean())
    se = float(x.std(ddof=1)) / math.sqrt(x.size)
    return m, m - Z * se, m + Z * se


def fmt(ci: tuple[float, float, float]) -> str:
    return f"{ci[0]:.4f} [{ci[1]:.4f}, {ci[2]:.4f}]"


@pytest.fixture(scope="module")
def runs() -> Callable[[str], Outcomes]:
    """Outcomes of a shipped scenario, simulated once: RUNS replications, root seed SEED."""
    cache: dict[str, Outcomes] = {}

    def get(name: str) -> Outcomes:
        if name not in cache:
            model = SummitModel(name, blocks=blocks_for(0, RUNS), root_seed=SEED)
            cache[name] = model.run().outcomes()
        return cache[name]

    return get


def time_to_summit(o: Outcomes, horizon: int = 52) -> np.ndarray:
    """Weeks until the summit, with no summit counted as the horizon (restricted mean time)."""
    return np.where(o["summit"], o["summit_week"], horizon)


# ------------------------------------------------------------------- claim a
def test_claim_a_both_leaders_want_to_meet(runs: Callable[[str], Outcomes]) -> None:
    """Claim a: "Both sides want this meeting" [seed].

    At the start (week 0, before any event moves anyone) each principal's expected net gain of
    meeting is what "wants the meeting" means in the model, so the mean of gain0_jpn and of
    gain0_prk over replications (each with its own private resolve) must be above 0 with its
    95% interval. The mean, not a share of runs, because the claim is about the leaders'
    expectation, with the private resolve the analyst does not know averaged out.
    """
    base = runs("baseline-2024")
    for who in ("gain0_jpn", "gain0_prk"):
        ci = mean_ci(base[who])
        assert ci[1] > 0, f"{who}: mean {fmt(ci)} is not above 0"


def test_claim_a_summit_is_a_real_possibility(runs: Callable[[str], Outcomes]) -> None:
    """Claim a: "this is the best chance for it to happen", while the obstacles "might be even
    greater" [seed].

    The baseline's probability of a summit within the 52-week horizon must be neither negligible
    nor near certain: its Wilson interval lies inside [0.05, 0.95].
    """
    ci = share(runs("baseline-2024")["summit"])
    assert ci[1] > 0.05 and ci[2] < 0.95, f"P(summit) = {fmt(ci)}"


# ------------------------------------------------------------------- claim b
def test_claim_b_seoul_support_makes_a_summit_more_likely(
    runs: Callable[[str], Outcomes],
) -> None:
    """Claim b: Tokyo "will not enter into a dialogue … ignoring the positions … of Seoul" [seed],
    so Seoul's support makes a summit more likely.

    P(summit within the horizon), seoul-supports vs the baseline: the scenario that only changes
    Seoul's stance must have a Wilson interval entirely above the baseline's.
    """
    sup = share(runs("seoul-supports")["summit"])
    base = share(runs("baseline-2024")["summit"])
    assert sup[1] > base[2], f"seoul-supports {fmt(sup)} vs baseline {fmt(base)}"


# ------------------------------------------------------------------- claim c
def test_claim_c_summit_without_seoul_strains_more(runs: Callable[[str], Outcomes]) -> None:
    """Claim c: "PM Kishida might do what Kim Jong Un wants if he attended the summit without
    Seoul's support" [seed]: such a summit strains the alliance more.

    The strain index (peak trilateral strain over the horizon) among runs that held a summit,
    seoul-sidelined vs seoul-supports. Conditioning on a summit compares a summit without Seoul
    with a summit with it, not the (different) chances of a summit; the two subsets are different
    runs, so the intervals are unpaired and must not overlap.
    """
    side, sup = runs("seoul-sidelined"), runs("seoul-supports")
    a = mean_ci(side["strain"][side["summit"]])
    b = mean_ci(sup["strain"][sup["summit"]])
    assert a[1] > b[2], f"strain | summit: sidelined {fmt(a)} vs supports {fmt(b)}"


def test_claim_c_wedge_more_frequent_when_seoul_sidelined(
    runs: Callable[[str], Outcomes],
) -> None:
    """Claim c: Kim's suspected aim is "to weaken the strategic alliance" by "bypassing Seoul"
    [seed]: the wedge outcome (a summit after which some alliance pair's strain peaks at or above
    the wedge threshold) is more frequent when Seoul is sidelined.

    p_wedge (the summary column: a share of all runs, so it counts only wedges that happened),
    seoul-sidelined vs seoul-supports: Wilson intervals must not overlap.
    """
    a = share(runs("seoul-sidelined")["wedge"])
    b = share(runs("seoul-supports")["wedge"])
    assert a[1] > b[2], f"p_wedge: sidelined {fmt(a)} vs supports {fmt(b)}"


# ------------------------------------------------------------------- claim d
def test_claim_d_patrons_make_pyongyang_readier_to_meet(
    runs: Callable[[str], Outcomes],
) -> None:
    """Claim d: Kim "feels encouraged by the new circumstances, above all by the strengthened
    partnership with Russia" and China [seed]: stronger backing makes him readier to meet.

    North Korea's expected gain of meeting at the start (gain0_prk), patrons-strong minus the
    baseline, paired by replication (same private resolve under common random numbers): the mean
    difference's 95% interval must lie above 0.
    """
    d = mean_ci(runs("patrons-strong")["gain0_prk"] - runs("baseline-2024")["gain0_prk"])
    assert d[1] > 0, f"gain0_prk, patrons-strong − baseline: {fmt(d)}"


def test_claim_d_patrons_make_pyongyang_concede_less(runs: Callable[[str], Outcomes]) -> None:
    """Claim d: backed by Moscow and Beijing, Pyongyang insists the abductee issue is "a done deal"
    [seed]: it concedes less on the abductees.

    The offer on the abductees put on the table at a summit (offer_abductees, 0 = "settled",
    100 = all 17 accounted for), among runs with a summit, patrons-strong vs the baseline: the
    offer is what North Korea concedes whether or not the deal is ratified, so it measures the
    willingness to concede without the ratification filter. Unpaired intervals must not overlap.
    """
    strong, base = runs("patrons-strong"), runs("baseline-2024")
    a = mean_ci(strong["offer_abductees"][strong["summit"]])
    b = mean_ci(base["offer_abductees"][base["summit"]])
    assert a[2] < b[1], f"offer_abductees | summit: patrons-strong {fmt(a)} vs baseline {fmt(b)}"


# ------------------------------------------------------------------- claim e
def test_claim_e_abductee_weight_makes_agreement_less_likely(
    runs: Callable[[str], Outcomes],
) -> None:
    """Claim e: the abductees are "this heavy political burden … placed on the backs of every
    Japanese government" [seed]: a heavier domestic weight on them makes a deal harder.

    P(agreement | summit), abductees-heavy vs the baseline: conditioning on a summit separates
    "harder to agree" from "less likely to meet" (a heavier audience cost also deters meeting).
    Wilson intervals over the runs with a summit must not overlap.
    """
    heavy, base = runs("abductees-heavy"), runs("baseline-2024")
    a = share(heavy["agreement"][heavy["summit"]])
    b = share(base["agreement"][base["summit"]])
    assert a[2] < b[1], f"P(agreement | summit): abductees-heavy {fmt(a)} vs baseline {fmt(b)}"


# ------------------------------------------------------------------- claim f
def test_claim_f_us_openness_makes_a_summit_more_likely(runs: Callable[[str], Outcomes]) -> None:
    """Claim f: "We are open to dialogue with the North Koreans without preconditions" (Turner)
    and Kim "relies on the support that the US provides" [seed].

    P(summit within the horizon), the baseline (open US) vs us-preconditions: the baseline's
    Wilson interval must lie entirely above the variant's.
    """
    base = share(runs("baseline-2024")["summit"])
    pre = share(runs("us-preconditions")["summit"])
    assert base[1] > pre[2], f"baseline {fmt(base)} vs us-preconditions {fmt(pre)}"


# ------------------------------------------------------------------- claim g
def test_claim_g_cancelled_consultation_delays_the_summit(
    runs: Callable[[str], Outcomes],
) -> None:
    """Claim g: the cancelled 20 March meeting and the April election "reduce the likelihood of an
    imminent meeting" [seed]: the likely summit date moves later.

    Restricted mean time to summit over the 52-week horizon (no summit counts as 52), baseline
    minus consultation-held, paired by replication (common random numbers): it uses every run,
    so a summit pushed past the horizon counts as delay, where the median week among summits
    would drop it. The paired difference's 95% interval must lie above 0.
    """
    d = mean_ci(time_to_summit(runs("baseline-2024")) - time_to_summit(runs("consultation-held")))
    assert d[1] > 0, f"weeks to summit, baseline − consultation-held: {fmt(d)}"
