"""The shared per-layer rules (train/judgement.py): one test per rule, on hand-made frames whose figures sit just
either side of each threshold, and the docs stating every threshold."""

import math
import re
from pathlib import Path

import pytest

from glassnet.train import judgement as j
from glassnet.train.judgement import decay_effects, judge_layers

NAMES = 4  # hidden 1-3 and the output layer


def frame(step: int = 100, **changes) -> dict:
    base = {
        "step": step,
        "dead_fraction": [0.0, 0.0, 0.0, None],
        "saturation": [None, None, None, None],
        "unit_diversity": [0.8, 0.9, 0.7, None],
        "grad_norm": [0.1, 0.1, 0.1, 0.1],
        "act_grad_norm": [0.1, 0.1, 0.1, 0.1],
        "weight_norm": [1.0, 1.0, 1.0, 1.0],
        "update_ratio": [-3.0, -3.0, -3.0, -3.0],
    }
    return {**base, **changes}


def test_a_healthy_net_is_healthy_and_the_output_layer_has_no_gradient_ratio():
    verdicts = judge_layers(frame())
    assert [v.level for v in verdicts] == ["ok", "ok", "ok", "ok"]
    assert all(v.conditions == [] for v in verdicts)
    assert [v.grad_ratio for v in verdicts] == [1.0, 1.0, 1.0, None]
    assert verdicts[3].gradient == "na" and verdicts[3].dead == "na" and verdicts[3].diversity == "na"


def test_a_starved_layer_is_never_healthy_whatever_its_normalised_update():
    # Adam's steps: every layer's update ratio a healthy -3, but the first layer's gradient is 1e-9 of the last's
    f = frame(act_grad_norm=[1e-10, 1e-5, 0.1, 0.2])
    first, second, last, _ = judge_layers(f)
    assert first.grad_ratio == pytest.approx(1e-9)
    assert first.gradient == "bad" and first.level == "bad" and first.conditions == ["vanishing_gradients"]
    assert first.update == "warn"  # the update alone would be "ok": the starved gradient is not hidden by it
    assert second.gradient == "bad" and second.conditions == ["vanishing_gradients"]
    assert last.gradient == "ok" and last.level == "ok"


def test_a_layer_whose_weights_get_no_gradient_at_all_is_never_healthy():
    # every unit of the last hidden layer dead: no gradient reaches its weights (nor the first layer's), though the
    # gradient at its output, the reference, is 1x itself
    f = frame(dead_fraction=[0.0, 0.0, 1.0, None], grad_norm=[0.0, 0.0, 0.0, 0.0], act_grad_norm=[0, 0, 0.1, 0.1])
    *_, last_hidden, output = judge_layers(f)
    assert last_hidden.grad_ratio == 1.0 and last_hidden.gradient == "bad" and last_hidden.level == "bad"
    assert last_hidden.conditions == ["dead_units"]
    assert output.gradient == "bad" and output.level == "bad"  # nothing moves it: not "healthy"
    assert "vanishing_gradients" not in output.conditions


@pytest.mark.parametrize(
    ("ratio", "level"),
    [(j.VANISHING_RATIO * 0.9, "bad"), (j.VANISHING_RATIO * 1.1, "warn"), (j.VANISHING_WARN * 1.1, "ok"),
     (j.EXPLODING_WARN * 0.9, "ok"), (j.EXPLODING_WARN * 1.1, "warn"), (j.EXPLODING_RATIO * 1.1, "bad")],
)  # fmt: skip
def test_the_gradient_ratio_thresholds(ratio, level):
    verdict = judge_layers(frame(act_grad_norm=[0.1 * ratio, 0.1, 0.1, 0.1]))[0]
    assert verdict.gradient == level
    assert ("vanishing_gradients" in verdict.conditions) == (ratio < j.VANISHING_RATIO)
    assert ("exploding_gradients" in verdict.conditions) == (ratio > j.EXPLODING_RATIO)


def test_the_gradient_ratio_uses_the_output_gradient_and_falls_back_to_the_weight_gradient():
    # the first layer reads 2 raw inputs: its weight gradient is small for that reason alone, not vanishing
    f = frame(grad_norm=[1e-5, 0.1, 0.1, 0.1])
    assert judge_layers(f)[0].gradient == "ok"
    f = frame(grad_norm=[1e-5, 0.1, 0.1, 0.1], act_grad_norm=[None, None, None, None])
    assert judge_layers(f)[0].gradient == "bad"


def test_a_dead_layer_is_reported_as_dead_with_no_healthy_diversity():
    f = frame(dead_fraction=[1.0, j.DEAD_SHARE + 0.01, j.DEAD_SHARE, None], act_grad_norm=[0.0, 0.0, 0.1, 0.1])
    first, second, third, _ = judge_layers(f)
    assert first.dead == "bad" and first.diversity == "bad" and first.level == "bad"
    assert first.conditions == ["dead_units"]  # its zero gradient is its death's, not a vanishing gradient
    assert second.conditions == ["dead_units"]
    assert third.dead == "warn" and third.diversity == "ok" and third.conditions == []


@pytest.mark.parametrize(
    ("share", "level"),
    [(0.0, "ok"), (j.DEAD_WARN, "ok"), (j.DEAD_WARN + 0.01, "warn"), (j.DEAD_SHARE + 0.01, "bad")],
)
def test_the_dead_share_thresholds(share, level):
    assert judge_layers(frame(dead_fraction=[share, 0.0, 0.0, None]))[0].dead == level


@pytest.mark.parametrize(
    ("share", "level"),
    [(j.SATURATION_WARN, "ok"), (j.SATURATION_WARN + 0.01, "warn"), (j.SATURATED_SHARE + 0.01, "bad")],
)
def test_the_saturation_thresholds(share, level):
    verdict = judge_layers(frame(saturation=[share, None, None, None]))[0]
    assert verdict.saturation == level and ("saturation" in verdict.conditions) == (level == "bad")


def test_identical_units_are_a_problem_once_the_symmetry_had_time_to_break():
    early = judge_layers(frame(step=j.SYMMETRY_STEPS - 1, unit_diversity=[0.0, 0.0, 0.0, None]))[0]
    assert early.diversity == "warn" and early.conditions == []
    late = judge_layers(frame(step=j.SYMMETRY_STEPS, unit_diversity=[0.0, 0.0, 0.0, None]))[0]
    assert late.diversity == "bad" and late.conditions == ["no_symmetry_breaking"]
    assert judge_layers(frame(unit_diversity=[j.DIVERSITY_WARN / 2, 1, 1, None]))[0].diversity == "warn"


@pytest.mark.parametrize(
    ("ratio", "level"),
    [(j.UPDATE_RATIO_HIGH + 0.1, "bad"), (j.UPDATE_RATIO_WARN + 0.1, "warn"), (-3.0, "ok"),
     (j.UPDATE_RATIO_LOW - 0.1, "low")],
)  # fmt: skip
def test_the_update_ratio_thresholds(ratio, level):
    verdict = judge_layers(frame(update_ratio=[ratio, -3.0, -3.0, -3.0]))[0]
    assert verdict.update == level and ("lr_too_high" in verdict.conditions) == (level == "bad")
    assert verdict.level == ("ok" if level == "low" else level)  # a layer that hardly moves is not a problem


def test_weights_that_did_not_move_are_low_and_a_layer_without_weights_is_na():
    f = frame(update_ratio=[None, -3.0, -3.0, -3.0], weight_norm=[1.0, 1.0, 1.0, 1.0])
    assert judge_layers(f)[0].update == "low"
    f = frame(update_ratio=[None, -3.0, -3.0, -3.0], weight_norm=[None, 1.0, 1.0, 1.0])
    assert judge_layers(f)[0].update == "na"


def test_a_collapsing_layer_is_reported_as_collapsing_not_as_a_learning_rate_too_high():
    f = frame(update_ratio=[-0.5, -0.5, -3.0, -3.0])
    first, second, *_ = judge_layers(f, collapsed={0})
    assert first.conditions == ["weight_collapse"] and first.update == "bad"
    # the output layer's meters may all look fine: its collapse alone makes it a problem
    output = judge_layers(frame(), collapsed={3})[3]
    assert output.conditions == ["weight_collapse"] and output.level == "bad"
    # weights decayed to exactly 0 are identical, but that is the collapse, not a symmetry never broken
    zero = frame(step=500, unit_diversity=[0.0, 0.0, 0.0, None])
    assert judge_layers(zero, collapsed={0, 1, 2})[0].conditions == ["weight_collapse"]
    assert second.conditions == ["lr_too_high"]
    # still shrinking, not yet collapsed: the large update is the decay's, not a learning rate too high
    assert judge_layers(f, shrinking={0, 1})[1].conditions == []


def test_weights_collapse_only_under_weight_decay_below_a_share_of_their_start_and_not_growing():
    start = [1.0, 1.0, 1.0]
    recent = [[0.3, 0.5, 0.2], [0.2, 0.5, 0.2], [0.09, 0.5, 0.19]]
    assert decay_effects(start, recent, weight_decay=True) == ({0, 2}, {0})  # 2 shrinks, but 0.19 > a tenth
    assert decay_effects(start, recent, weight_decay=False) == (set(), set())
    settled = [[0.05, 0.05, 0.05], [0.05, 0.05, 0.08]]
    assert decay_effects(start, settled, weight_decay=True) == (set(), {0, 1})  # 2 grows again: not collapsing
    just_above = [[1.0] * 3, [j.COLLAPSE_SHARE * 1.01] * 3]
    assert decay_effects(start, just_above, weight_decay=True) == ({0, 1, 2}, set())


def test_a_layer_judged_on_a_json_frame_with_non_finite_values_is_na():
    f = frame(act_grad_norm=[math.nan, 0.1, 0.1, 0.1], grad_norm=[None, 0.1, 0.1, 0.1])
    assert judge_layers(f)[0].gradient == "na"


def test_the_docs_state_every_threshold():
    text = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()
    section = text[text.index("## Layer health") :]
    for name, value in j.THRESHOLDS.items():
        assert name in section, name
        shown = {f"{value:g}", f"{value:.0%}", f"{int(value)}" if value == int(value) else f"{value:g}"}
        line = next(line for line in section.splitlines() if name in line)
        assert any(re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", line) for s in shown), (name, value, line)
