"""Mesa's browser view of one run, week by week: ``solara run model/app.py``.

Needs the ``viz`` extra (``pip install 'summit-sim[viz]'``). The same SummitModel class runs here
with one replication; its DataCollector records each week's momentum, strain and outcome flags
(it does so every week when a model holds 16 replications or fewer).
"""

from __future__ import annotations

from mesa.visualization import SolaraViz, make_plot_component

from model.batch import DEFAULT_SEED
from model.scenario import BASELINE, shipped_scenarios
from model.sim.summit import SummitModel

model_params = {
    "source": {
        "type": "Select",
        "value": BASELINE,
        "values": [p.stem for p in shipped_scenarios()],
        "label": "Scenario",
    },
}

model = SummitModel(BASELINE, replications=1, rng=DEFAULT_SEED)

page = SolaraViz(
    model,
    components=[
        make_plot_component({"momentum": "tab:blue", "strain_index": "tab:red"}),
        make_plot_component({"summit": "tab:green", "agreement": "tab:purple"}),
    ],
    model_params=model_params,
    name="summit-sim: one run of a scenario, week by week",
)
