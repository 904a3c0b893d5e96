"""The cohort optimizer and clipping: each member moves exactly as it would trained alone with torch.optim."""

import copy

import pytest
import torch

from glassnet import registry
from glassnet.cohort.optim import CohortOptimizer, clip_cohort_gradients
from glassnet.config import ClippingConfig, OptimizerConfig
from glassnet.train.optim import clip_gradients, make_optimizer

OPTIMIZERS = [c.name for c in registry.OPTIMIZERS]
MEMBERS = 3
SHAPES = [(4, 3), (4,)]
# On an x86 CPU with torch 2.13 every member matches torch bit for bit; the tolerance leaves room for kernels
# that round a last bit differently elsewhere (float32 round-off only)
RTOL, ATOL = 1e-6, 1e-7

# Per-member hyper-parameters: every one differs between members. Member 2's momentum is 0 where torch
# allows it (SGD keeps no buffer then, RMSprop takes its other branch); Nesterov needs momentum > 0.
BASE_LR = {"adagrad": 0.1, "adadelta": 1.0, "rmsprop": 0.01, "adam": 0.03, "adamw": 0.03}
DECAYS = {"none": (0.0, 0.0, 0.0), "mixed": (0.05, 0.0, 0.2)}


def member_configs(name: str, decay: str = "mixed") -> list[OptimizerConfig]:
    base = BASE_LR.get(name, 0.05)
    momenta = (0.9, 0.5, 0.7) if name == "nesterov" else (0.9, 0.5, 0.0)
    return [
        OptimizerConfig(
            name=name,
            lr=base * scale,
            momentum=momentum,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            rho=rho,
            weight_decay=wd,
        )
        for scale, momentum, beta1, beta2, eps, rho, wd in zip(
            (1.0, 0.5, 2.0),
            momenta,
            (0.9, 0.8, 0.5),
            (0.999, 0.99, 0.9),
            (1e-8, 1e-6, 1e-3),
            (0.9, 0.95, 0.5),
            DECAYS[decay],
            strict=True,
        )
    ]


class Problem:
    """A least-squares fit per member (y = W x + b), so each step's gradient depends on where the member is."""

    def __init__(self, seed: int = 0, scale: float = 1.0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.start = [torch.randn(MEMBERS, *s, generator=g) for s in SHAPES]
        self.x = torch.randn(MEMBERS, 8, 3, generator=g)
        self.y = scale * torch.randn(MEMBERS, 8, 4, generator=g)

    def member_grads(self, k: int, weights: list[torch.Tensor]) -> list[torch.Tensor]:
        w, b = weights
        loss = ((self.x[k] @ w.T + b - self.y[k]) ** 2).mean()
        return list(torch.autograd.grad(loss, [w, b]))

    def cohort_params(self) -> list[torch.Tensor]:
        return [s.clone().requires_grad_() for s in self.start]

    def set_cohort_grads(self, params: list[torch.Tensor]) -> None:
        # the same arithmetic as a member alone, so that the gradients match whenever the weights do
        per_member = [self.member_grads(k, [p[k].detach().requires_grad_() for p in params]) for k in range(MEMBERS)]
        for i, p in enumerate(params):
            p.grad = torch.stack([grads[i] for grads in per_member])

    def single_params(self, k: int) -> list[torch.nn.Parameter]:
        return [torch.nn.Parameter(s[k].clone()) for s in self.start]

    def set_single_grads(self, k: int, params: list[torch.nn.Parameter]) -> None:
        for p, g in zip(params, self.member_grads(k, list(params)), strict=True):
            p.grad = g


def lr_at(configs: list[OptimizerConfig], t: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A per-member schedule: each member's own rate, decaying over the steps."""
    return torch.tensor([c.lr * (1 - t / 120) for c in configs], dtype=dtype)


def run_cohort(
    problem: Problem,
    optimizer: CohortOptimizer,
    params: list[torch.Tensor],
    steps: range,
    clipping: list[ClippingConfig] | None = None,
    lr_dtype: torch.dtype = torch.float32,
) -> None:
    for t in steps:
        problem.set_cohort_grads(params)
        if clipping is not None:
            clip_cohort_gradients(params, clipping)
        optimizer.step(lr_at(optimizer.configs, t, lr_dtype))


def run_single(
    problem: Problem,
    k: int,
    optimizer: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
    configs: list[OptimizerConfig],
    steps: range,
    clipping: ClippingConfig | None = None,
    lr_dtype: torch.dtype = torch.float32,
) -> None:
    for t in steps:
        problem.set_single_grads(k, params)
        if clipping is not None:
            clip_gradients(params, clipping)
        for group in optimizer.param_groups:  # as the trainer sets the scheduled rate
            group["lr"] = float(lr_at(configs, t, lr_dtype)[k])
        optimizer.step()


def assert_member_matches(cohort_params: list[torch.Tensor], k: int, single: list[torch.nn.Parameter]) -> None:
    for batched, alone in zip(cohort_params, single, strict=True):
        torch.testing.assert_close(batched[k].detach(), alone.detach(), rtol=RTOL, atol=ATOL)


def assert_same_state(exported: dict, reference: dict) -> None:
    """Same structure, keys (in order), dtypes and shapes as torch's, and the same values within round-off."""
    assert exported["param_groups"] == reference["param_groups"]
    assert list(exported["state"]) == list(reference["state"])
    for index, entry in reference["state"].items():
        mine = exported["state"][index]
        assert list(mine) == list(entry)
        for key, value in entry.items():
            assert mine[key].dtype == value.dtype and mine[key].shape == value.shape, key
            torch.testing.assert_close(mine[key], value, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("decay", sorted(DECAYS))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_member_follows_torch_optim(name: str, decay: str) -> None:
    problem = Problem()
    configs = member_configs(name, decay)
    params = problem.cohort_params()
    cohort = CohortOptimizer(params, configs)
    singles = [problem.single_params(k) for k in range(MEMBERS)]
    optimizers = [make_optimizer(singles[k], configs[k]) for k in range(MEMBERS)]
    for t in range(50):
        run_cohort(problem, cohort, params, range(t, t + 1))
        for k in range(MEMBERS):
            run_single(problem, k, optimizers[k], singles[k], configs, range(t, t + 1))
            assert_member_matches(params, k, singles[k])
    for k in range(MEMBERS):
        assert not torch.equal(singles[k][0].detach(), problem.start[0][k]), "the member did not move"
        assert_same_state(cohort.member_state_dict(k), optimizers[k].state_dict())


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float64_learning_rates_act_as_torchs_python_floats(name: str) -> None:
    """The trainer's schedule gives torch a Python float: a float64 lr carries it whole (Adam divides it in
    double precision by its bias correction)."""
    problem = Problem()
    configs = member_configs(name)
    params = problem.cohort_params()
    cohort = CohortOptimizer(params, configs)
    run_cohort(problem, cohort, params, range(30), lr_dtype=torch.float64)
    for k in range(MEMBERS):
        single = problem.single_params(k)
        optimizer = make_optimizer(single, configs[k])
        run_single(problem, k, optimizer, single, configs, range(30), lr_dtype=torch.float64)
        assert_member_matches(params, k, single)
        assert_same_state(cohort.member_state_dict(k), optimizer.state_dict())


CLIPPINGS = {
    "norm-value-none": [
        ClippingConfig(name="norm", max_norm=0.5),
        ClippingConfig(name="value", clip_value=0.05),
        ClippingConfig(name="none"),
    ],
    "norms-none": [
        ClippingConfig(name="norm", max_norm=0.3),
        ClippingConfig(name="none"),
        ClippingConfig(name="norm", max_norm=2.0),
    ],
}


@pytest.mark.parametrize("clipping", sorted(CLIPPINGS))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_clipped_members_follow_torch_optim(name: str, clipping: str) -> None:
    problem = Problem(seed=1, scale=5.0)  # large targets: large gradients, so the clipping bites
    configs, clips = member_configs(name), CLIPPINGS[clipping]
    params = problem.cohort_params()
    cohort = CohortOptimizer(params, configs)
    run_cohort(problem, cohort, params, range(50), clips)
    for k in range(MEMBERS):
        single = problem.single_params(k)
        run_single(problem, k, make_optimizer(single, configs[k]), single, configs, range(50), clips[k])
        assert_member_matches(params, k, single)


def test_clipping_matches_clip_gradients_per_member() -> None:
    g = torch.Generator().manual_seed(3)
    clips = [
        ClippingConfig(name="norm", max_norm=1.0),  # clipped
        ClippingConfig(name="norm", max_norm=1e3),  # under the limit: unchanged
        ClippingConfig(name="value", clip_value=0.2),
        ClippingConfig(name="none"),
    ]
    params = [torch.zeros(len(clips), *s, requires_grad=True) for s in SHAPES]
    for p in params:
        p.grad = 3 * torch.randn(p.shape, generator=g)
    originals = [p.grad.clone() for p in params]  # type: ignore[union-attr]
    clip_cohort_gradients(params, clips)
    for k, clip in enumerate(clips):
        single = [torch.nn.Parameter(torch.zeros(s)) for s in SHAPES]
        for p, original in zip(single, originals, strict=True):
            p.grad = original[k].clone()
        clip_gradients(single, clip)
        for batched, alone in zip(params, single, strict=True):
            torch.testing.assert_close(batched.grad[k], alone.grad, rtol=RTOL, atol=ATOL)  # type: ignore[index]
    assert torch.equal(params[0].grad[3], originals[0][3])  # type: ignore[index]
    assert torch.equal(params[0].grad[1], originals[0][1])  # type: ignore[index]
    assert params[0].grad[2].abs().max() <= 0.2  # type: ignore[index]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fresh_member_state_is_torchs(name: str) -> None:
    problem = Problem()
    configs = member_configs(name)
    cohort = CohortOptimizer(problem.cohort_params(), configs)
    for k in range(MEMBERS):
        fresh = make_optimizer(problem.single_params(k), configs[k]).state_dict()
        assert_same_state(cohort.member_state_dict(k), fresh)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_member_state_exports_into_torch_optim(name: str) -> None:
    problem = Problem()
    configs = member_configs(name)
    params = problem.cohort_params()
    cohort = CohortOptimizer(params, configs)
    run_cohort(problem, cohort, params, range(20))
    k = 1
    single = [torch.nn.Parameter(p[k].detach().clone()) for p in params]
    optimizer = make_optimizer(single, configs[k])
    optimizer.load_state_dict(copy.deepcopy(cohort.member_state_dict(k)))
    run_cohort(problem, cohort, params, range(20, 40))
    run_single(problem, k, optimizer, single, configs, range(20, 40))
    assert_member_matches(params, k, single)
    assert_same_state(cohort.member_state_dict(k), optimizer.state_dict())


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_member_continues_from_a_torch_state(name: str) -> None:
    """Member 1 joins at step 20 of its own run while the others are at step 7."""
    problem = Problem()
    configs = member_configs(name)
    params = problem.cohort_params()
    cohort = CohortOptimizer(params, configs)
    run_cohort(problem, cohort, params, range(7))
    k = 1
    single = problem.single_params(k)
    optimizer = make_optimizer(single, configs[k])
    run_single(problem, k, optimizer, single, configs, range(20))
    with torch.no_grad():
        for p, alone in zip(params, single, strict=True):
            p[k] = alone
    cohort.load_member_state_dict(k, copy.deepcopy(optimizer.state_dict()))
    # the cohort's schedule runs on from step 7 for all; the reference gets the same rates
    reference0 = problem.single_params(0)
    run_single(problem, 0, make_optimizer(reference0, configs[0]), reference0, configs, range(7 + 20))
    run_cohort(problem, cohort, params, range(7, 7 + 20))
    run_single(problem, k, optimizer, single, configs, range(7, 7 + 20))
    assert_member_matches(params, k, single)
    assert_member_matches(params, 0, reference0)


def test_configs_must_agree_with_the_cohort() -> None:
    params = Problem().cohort_params()
    with pytest.raises(ValueError, match="share one optimizer"):
        CohortOptimizer(params, [*member_configs("adam")[:2], member_configs("adamw")[0]])
    with pytest.raises(ValueError, match="members"):
        CohortOptimizer(params, member_configs("adam")[:2])


def test_a_state_that_does_not_fit_is_refused_untouched() -> None:
    problem = Problem()
    configs = member_configs("adam")
    params = problem.cohort_params()
    cohort = CohortOptimizer(params, configs)
    run_cohort(problem, cohort, params, range(3))
    before = cohort.member_state_dict(0)
    single = [torch.nn.Parameter(torch.zeros(5, 3)), torch.nn.Parameter(torch.zeros(4))]  # wrong first shape
    optimizer = make_optimizer(single, configs[0])
    for p in single:
        p.grad = torch.ones_like(p)
    optimizer.step()
    with pytest.raises(ValueError, match="shape"):
        cohort.load_member_state_dict(0, optimizer.state_dict())
    with pytest.raises(ValueError, match="parameters"):
        cohort.load_member_state_dict(0, make_optimizer(single[:1], configs[0]).state_dict())
    assert_same_state(cohort.member_state_dict(0), before)
