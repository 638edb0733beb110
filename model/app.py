"""Mesa's browser view: ``solara run model/app.py``, then open the address it prints.

Needs the ``viz`` extra (``pip install 'summit-sim[viz]'``), which pins a Solara that ships its
front end (``solara-assets``), so the page works with no network. One run of a scenario, week by
week (Mesa's Step/Play/Reset drive the same SummitModel class, one replication), and a batch panel
that runs N replications of it and draws P(summit by date). The charts are in ``model/viz.py``.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from model.batch import DEFAULT_SEED
from model.scenario import BASELINE, shipped_scenarios
from model.sim.summit import SummitModel
from model.viz import Batch, Positions, Preparation, Strain, watch

NAME = "summit-sim: one run week by week, and P(summit by date) over many"

model_params = {
    "source": {
        "type": "Select",
        "value": BASELINE,
        "values": [p.stem for p in shipped_scenarios()],
        "label": "Scenario",
    },
    # the run's root seed, as `summit explain SCENARIO --seed S` takes it: the run on the page is
    # that command's run (Mesa's own rng= derived another seed from it, a run no command gave)
    "root_seed": {
        "type": "InputText",
        "value": str(DEFAULT_SEED),
        "label": "Seed (summit explain --seed gives this run)",
    },
}

components = [Batch, Preparation, Strain, Positions]


def new_model() -> SummitModel:
    """The run a new page starts with: the baseline, replication 0 of the default seed."""
    return watch(SummitModel(BASELINE, replications=1, root_seed=DEFAULT_SEED))


@solara.component
def Page() -> None:
    """One model per browser session. A model made when the module loaded was every visitor's:
    a new tab opened on another's finished run, and its Step went past the horizon."""
    model = solara.use_memo(new_model, dependencies=[])
    SolaraViz(model, components=components, model_params=model_params, name=NAME)
