"""Mesa's visualisation: the app module builds a SolaraViz page on the same SummitModel, and its
parameters are ones the model accepts (Mesa checks them against SummitModel.__init__)."""

from __future__ import annotations

import pytest

pytest.importorskip("solara")


def test_app_builds_a_solara_page_on_summit_model() -> None:
    """Importing model.app builds the page; the plotted reporters exist on the model."""
    from mesa.visualization.solara_viz import _check_model_params

    from model import app
    from model.sim.summit import SummitModel

    assert app.page is not None
    _check_model_params(SummitModel.__init__, app.model_params)
    m = app.model
    for _ in range(5):
        m.step()
    frame = m.datacollector.get_model_vars_dataframe()
    assert {"momentum", "strain_index", "summit", "agreement", "strain"} <= set(frame.columns)
    assert len(frame) == 6  # set-up plus one row a week (R <= 16)
