"""Mesa's browser view: ``solara run model/app.py``, then open the address it prints.

Needs the ``viz`` extra (``pip install 'summit-sim[viz]'``), which pins a Solara that ships its
front end (``solara-assets``), so the page works with no network. One run of a scenario, week by
week (Mesa's Step/Play/Reset drive the same SummitModel class, one replication), and a batch panel
that runs N replications of it and draws P(summit by date). The charts are in ``model/viz.py``.
"""

from __future__ import annotations

from mesa.visualization import SolaraViz

from model.batch import DEFAULT_SEED
from model.scenario import BASELINE, shipped_scenarios
from model.sim.summit import SummitModel
from model.viz import Batch, Positions, Preparation, Strain, watch

model_params = {
    "source": {
        "type": "Select",
        "value": BASELINE,
        "values": [p.stem for p in shipped_scenarios()],
        "label": "Scenario",
    },
}

model = watch(SummitModel(BASELINE, replications=1, rng=DEFAULT_SEED))

components = [Batch, Preparation, Strain, Positions]

page = SolaraViz(
    model,
    components=components,
    model_params=model_params,
    name="summit-sim: one run week by week, and P(summit by date) over many",
)
