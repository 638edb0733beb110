"""Past episodes: the same model and calibration on a case whose outcome is known.

The 2002 scenario is written from the facts of the time (North Korea ready to admit abductions,
Seoul's engagement policy, few patrons), not fitted to the outcome; the model must then give the
known outcome — a summit that ends in an agreement — as the likely one. This protects the
mechanisms (willingness, bargaining, ratification) against changes that would only fit 2024.
"""

from __future__ import annotations

from model import simulate
from model.results.stats import wilson


def test_koizumi_2002_gives_a_summit_with_an_agreement() -> None:
    """In the 2002 setting a summit with an agreement is the likely outcome (the Pyongyang
    Declaration), and far likelier than in the 2024 baseline."""
    past = simulate("koizumi-2002", runs=4000, seed=11).runs
    now = simulate("baseline-2024", runs=4000, seed=11).runs
    lo_past, _ = wilson(past["agreement"].sum(), len(past))
    _, hi_now = wilson(now["agreement"].sum(), len(now))
    assert lo_past > 0.5, "an agreement should be the likely outcome in 2002"
    assert lo_past > hi_now
    assert past["summit"].mean() > now["summit"].mean()
