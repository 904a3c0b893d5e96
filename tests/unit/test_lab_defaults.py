"""Each optimizer's default step size on each lab surface makes visible progress in the lab's default steps and
stays finite: no optimizer "barely moves" at a step size made for another."""

import pytest

from glassnet.api.schemas import LabRun
from glassnet.config import OptimizerConfig
from glassnet.lab import SURFACES, trajectory
from glassnet.registry import OPTIMIZERS

STEPS = LabRun().steps  # the lab's default steps
# the lowest value of each surface (none for the saddle: it has no bottom)
LOWEST = {"rosenbrock": 0.0, "quadratic": 0.0, "beale": 0.0, "plateau": 0.0, "saddle": None}


def test_every_surface_has_a_step_size_for_every_registry_optimizer():
    assert set(LOWEST) == set(SURFACES)
    for surface in SURFACES.values():
        assert set(surface.lrs) == {c.name for c in OPTIMIZERS}, surface.name


@pytest.mark.parametrize("surface", list(SURFACES))
def test_each_optimizers_default_lowers_the_loss_substantially_and_stays_finite(surface):
    sf = SURFACES[surface]
    for optimizer, lr in sf.lrs.items():
        path = trajectory(sf, OptimizerConfig(name=optimizer, lr=lr), sf.start, STEPS)
        assert path["stopped"] is None, (surface, optimizer, path["stopped"])
        start, final = path["loss"][0], path["final_loss"]
        assert final is not None
        lowest = LOWEST[surface]
        if lowest is None:  # off the saddle: from above the saddle's level 0 to well below it
            assert start > 1 and final < -1, (surface, optimizer, start, final)
        else:  # at least half of the way down to the minimum, and never back above the start
            assert final - lowest < 0.5 * (start - lowest), (surface, optimizer, start, final)
            assert max(path["loss"]) <= start * 1.5, (surface, optimizer)


def test_a_step_size_made_for_sgd_barely_moves_adam_which_is_why_each_has_its_own():
    """The issue's case: on the Rosenbrock valley Adam at SGD's step size ends far above where its own takes it."""
    sf = SURFACES["rosenbrock"]
    at_sgds = trajectory(sf, OptimizerConfig(name="adam", lr=sf.lrs["sgd"]), sf.start, STEPS)
    at_own = trajectory(sf, OptimizerConfig(name="adam", lr=sf.lrs["adam"]), sf.start, STEPS)
    assert at_own["final_loss"] < 0.1 * at_sgds["final_loss"]
