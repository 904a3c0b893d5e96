"""The optimizer lab's paths against hand-computed steps, and the textbook behaviour on saddles and valleys."""

import math

import pytest

from glassnet.config import OptimizerConfig
from glassnet.lab import SURFACES, grid, sign_changes, trajectory
from glassnet.registry import OPTIMIZERS

QUAD = SURFACES["quadratic"]  # 0.5 (x^2 + k y^2): gradient (x, k y)


def run(name: str, start=(1.0, 0.5), steps=2, k=10.0, surface=QUAD, **settings):
    return trajectory(surface, OptimizerConfig(name=name, **settings), start, steps, k)


def test_sgd_first_step_is_x_minus_lr_times_gradient():
    path = run("sgd", lr=0.1)
    # g0 = (1, 5); x1 = (1 - 0.1 * 1, 0.5 - 0.1 * 5) = (0.9, 0.0)
    assert (path["gx"][0], path["gy"][0]) == (1.0, 5.0)
    assert path["x"][1] == pytest.approx(0.9) and path["y"][1] == pytest.approx(0.0, abs=1e-15)
    assert path["loss"][0] == pytest.approx(0.5 * (1 + 10 * 0.25))
    assert path["momentum"][1] is None and path["scale"][1] is None


def test_momentum_follows_pytorchs_buffer_convention():
    path = run("momentum", lr=0.1, momentum=0.9)
    # step 1: buf = g0 = (1, 5); x1 = (0.9, 0.0)
    assert path["momentum"][1] == pytest.approx([1.0, 5.0])
    assert (path["x"][1], path["y"][1]) == pytest.approx((0.9, 0.0))
    # step 2: g1 = (0.9, 0); buf = 0.9 * (1, 5) + (0.9, 0) = (1.8, 4.5); x2 = x1 - 0.1 * buf = (0.72, -0.45)
    assert path["momentum"][2] == pytest.approx([1.8, 4.5])
    assert (path["x"][2], path["y"][2]) == pytest.approx((0.72, -0.45))


def test_adams_bias_corrected_first_step_has_length_lr_in_each_coordinate():
    path = run("adam", start=(1.0, -0.5), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    # m1 = 0.1 g, v1 = 0.001 g^2; corrected: g and g^2; step = lr * g / (|g| + eps) = lr * sign(g)
    assert path["x"][1] == pytest.approx(1.0 - 0.1, abs=1e-8)
    assert path["y"][1] == pytest.approx(-0.5 + 0.1, abs=1e-8)
    assert path["momentum"][1] == pytest.approx([0.1 * 1.0, 0.1 * -5.0])
    assert path["scale"][1] == pytest.approx([math.sqrt(0.001) * 1.0, math.sqrt(0.001) * 5.0])


@pytest.mark.parametrize("name", [c.name for c in OPTIMIZERS])
def test_every_registry_optimizer_runs_and_records_every_step(name):
    path = run(name, steps=50, lr=0.01)
    assert path["steps"] == 50 and path["stopped"] is None and path["stop_reason"] is path["stopped_at"] is None
    assert all(len(path[key]) == 51 for key in ("x", "y", "loss", "gx", "gy", "momentum", "scale"))
    assert path["final_loss"] < path["loss"][0]


def test_sgd_leaves_the_saddle_only_when_it_starts_off_the_ridge():
    saddle = SURFACES["saddle"]  # x^2 - y^2
    on_ridge = run("sgd", start=(1.0, 0.0), steps=100, surface=saddle, lr=0.05)
    assert on_ridge["y"][-1] == 0.0 and abs(on_ridge["x"][-1]) < 1e-4  # stuck at the saddle point (0, 0)
    off_ridge = run("sgd", start=(1.0, 1e-3), steps=100, surface=saddle, lr=0.05)
    # y grows by (1 + 2 lr) per step: 1e-3 * 1.1^100 ~ 13.8
    assert off_ridge["y"][-1] == pytest.approx(1e-3 * 1.1**100, rel=1e-9)
    assert off_ridge["final_loss"] < -100


def test_ill_conditioning_makes_sgd_zig_zag_while_momentum_and_adam_go_further():
    # k = 100 and lr * k = 1.9: SGD's y is multiplied by -0.9 each step, x only by 0.981.
    start, steps = (-1.8, 0.6), 100
    sgd = run("sgd", start=start, steps=steps, k=100, lr=0.019)
    momentum = run("momentum", start=start, steps=steps, k=100, lr=0.019, momentum=0.9)
    adam = run("adam", start=start, steps=steps, k=100, lr=0.1)
    assert sgd["y_sign_changes"] == steps  # crosses the valley floor every step
    # measured: SGD 0.035, momentum 5.2e-4, Adam 3.7e-4; demand a factor of 10
    assert momentum["final_loss"] < sgd["final_loss"] / 10
    assert adam["final_loss"] < sgd["final_loss"] / 10
    gentle = run("sgd", start=start, steps=steps, k=10, lr=0.019)  # lr * k = 0.19: no zig-zag
    assert gentle["y_sign_changes"] == 0


def test_a_diverging_path_is_cut_and_says_so():
    path = run("sgd", start=(1.0, 1.0), steps=500, k=1000, lr=0.01)  # lr * k = 10: |y| grows 9x a step
    assert path["stopped"] and "diverged" in path["stopped"]
    assert path["stop_reason"] == "too_far" and path["stopped_at"] == path["steps"]
    assert path["steps"] < 500 and all(math.isfinite(v) for v in path["loss"])


def test_every_surface_has_a_grid_a_start_and_both_languages():
    for surface in SURFACES.values():
        g = grid(surface)
        assert len(g["values"]) == len(g["display"]) == g["size"] ** 2
        assert all(math.isfinite(v) for v in g["display"])
        x0, x1, y0, y1 = surface.extent
        assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1
        assert all(surface.label) and all(surface.description)
        default = trajectory(surface, OptimizerConfig(name="adam", lr=surface.lr), surface.start, 100)
        assert default["stopped"] is None or surface.name == "saddle"


def test_sign_changes_ignores_rounding_noise_at_zero():
    assert sign_changes([1.0, -1.0, 2.0]) == 2
    assert sign_changes([1.0, 1e-17, -1e-17, 0.5]) == 0


@pytest.mark.parametrize("name", list(SURFACES))
def test_each_surfaces_gradient_is_autograds(name):
    """A path's steps use the surface's hand-written value and gradient; autograd on its torch formula agrees."""
    import torch

    surface = SURFACES[name]
    gen = torch.Generator().manual_seed(0)
    x0, x1, y0, y1 = surface.extent
    for _ in range(25):
        x = float(x0 + (x1 - x0) * torch.rand(1, generator=gen))
        y = float(y0 + (y1 - y0) * torch.rand(1, generator=gen))
        k = float(1 + 999 * torch.rand(1, generator=gen))
        p = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        value = surface.fn(p[0], p[1], k)
        value.backward()
        expected = (value.detach().item(), *p.grad.tolist())
        assert surface.value_grad(x, y, k) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_a_path_that_overflows_stops_as_not_finite():
    beale = SURFACES["beale"]  # y^3 of a far-flung y overflows a float
    path = trajectory(beale, OptimizerConfig(name="sgd", lr=10.0), (4.0, 4.0), 50)
    assert path["stop_reason"] in ("not_finite", "too_far") and path["steps"] < 50
    assert all(math.isfinite(v) for v in path["loss"])
