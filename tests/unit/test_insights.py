import math

from glassnet.train import insights as ins
from glassnet.train.insights import HOLD, REARM, Insights, layer_span
from glassnet.train.judgement import COLLAPSE_SHARE, DEAD_SHARE, SYMMETRY_STEPS

NAMES = ["hidden 1", "hidden 2", "output"]


def frame(step: int, **changes) -> dict:
    base = {
        "step": step,
        "first_bad_step": None,
        "train_loss": 0.5,
        "test_loss": 0.5,
        "dead_fraction": [0.0, 0.0, None],
        "saturation": [None, None, None],
        "unit_diversity": [0.8, 0.9, None],
        "grad_norm": [0.1, 0.1, 0.1],
        "weight_norm": [1.0, 1.0, 1.0],
        "update_ratio": [-3.0, -3.0, -3.0],
    }
    return {**base, **changes}


def kinds(events: list[dict]) -> list[tuple[str, str | None]]:
    return [(e["kind"], e["layer"]) for e in events]


def test_a_healthy_frame_has_no_events():
    assert Insights(NAMES).observe(frame(100)) == []


def hold(insights: Insights, step: int, **changes) -> list[dict]:
    """Observe the same condition for HOLD frames; the events of the last."""
    for i in range(HOLD - 1):
        assert insights.observe(frame(step + i, **changes)) == []  # not yet: it must hold
    return insights.observe(frame(step + HOLD - 1, **changes))


def test_an_event_is_sent_once_a_condition_has_held_and_again_only_after_it_stayed_clear():
    insights = Insights(NAMES)
    dead = {"dead_fraction": [0.0, DEAD_SHARE + 0.2, None]}
    first = hold(insights, 10, **dead)
    assert kinds(first) == [("dead_units", "hidden 2")]
    assert first[0]["step"] == 10 + HOLD - 1 and first[0]["message"] == "hidden 2: 70% of the units are dead"
    assert first[0]["explanation"] and first[0]["layer_indices"] == [1]
    # the same message and explanation in Simplified Chinese, with the same figures
    assert first[0]["message_zh"] == "hidden 2：70% 的单元已死亡" and "ReLU 单元" in first[0]["explanation_zh"]
    assert insights.observe(frame(50, **dead)) == []  # still dead: said once
    assert insights.observe(frame(60)) == []  # clear for one frame only: a flicker is not reported again
    assert hold(insights, 70, **dead) == []
    for step in range(100, 100 + REARM):
        insights.observe(frame(step))  # clear for REARM frames: re-armed
    assert kinds(hold(insights, 200, **dead)) == [("dead_units", "hidden 2")]


def test_a_flickering_condition_is_not_reported():
    insights = Insights(NAMES)
    dead = {"dead_fraction": [0.0, DEAD_SHARE + 0.2, None]}
    for step in range(0, 40, 2):
        assert insights.observe(frame(step, **dead)) == []
        assert insights.observe(frame(step + 1)) == []


def test_a_run_s_final_frame_reports_what_holds_there_however_briefly():
    # a short run has few detail frames: its last one says what Layer health shows, held or not
    insights = Insights(NAMES)
    dead = {"dead_fraction": [0.0, DEAD_SHARE + 0.2, None]}
    assert insights.observe(frame(290, **dead)) == []  # held once: not yet
    assert kinds(insights.observe(frame(300, **dead), final=True)) == [("dead_units", "hidden 2")]
    assert insights.observe(frame(300), final=True) == []  # nothing holds: nothing said


def test_each_detector_fires_on_its_condition():
    cases = {
        "saturation": {"saturation": [0.9, 0.1, None]},
        "no_symmetry_breaking": {"unit_diversity": [0.0, 0.0, None]},
        "vanishing_gradients": {"grad_norm": [1e-6, 0.1, 0.1]},
        "exploding_gradients": {"grad_norm": [1e3, 0.1, 0.1]},
        "lr_too_high": {"update_ratio": [-0.5, -3.0, -3.0]},
    }
    for kind, change in cases.items():
        events = hold(Insights(NAMES), SYMMETRY_STEPS, **change)
        assert kind in [e["kind"] for e in events], kind


def test_divergence_is_reported_at_once():
    events = Insights(NAMES).observe(frame(5, first_bad_step=4, train_loss=None))
    assert kinds(events) == [("diverged", None)] and "step 4" in events[0]["message"]


def test_symmetry_is_judged_only_after_some_steps():
    assert Insights(NAMES).observe(frame(1, unit_diversity=[0.0, 0.0, None])) == []


def feed(insights: Insights, start: int, tests: list[float], trains: list[float]) -> list[dict]:
    """One detail frame per (test, train) pair; every event they confirm."""
    events = []
    for k, (test, train) in enumerate(zip(tests, trains, strict=True)):
        events += insights.observe(frame(start + k, test_loss=test, train_loss=train))
    return events


def test_overfitting_needs_a_test_loss_rising_far_beyond_its_noise_while_the_train_loss_falls():
    n = 30
    falling = [0.4 - 0.005 * k for k in range(n)]
    # a clear rise: 0.30 -> 0.59, while the training loss falls
    insights = Insights(NAMES)
    feed(insights, 0, [0.30] * 10, [0.45] * 10)
    events = feed(insights, 10, [0.30 + 0.01 * k for k in range(n)], falling)
    assert kinds(events) == [("overfitting", None)]
    assert events[0]["message"].startswith("test loss ") and "while the training loss fell" in events[0]["message"]
    # the same rise while the training loss rises too is not overfitting
    other = Insights(NAMES)
    feed(other, 0, [0.30] * 10, [0.45] * 10)
    assert feed(other, 10, [0.30 + 0.01 * k for k in range(n)], [0.45 + 0.01 * k for k in range(n)]) == []


def test_a_near_perfect_fit_whose_test_loss_moves_by_a_hair_is_not_overfitting():
    # the test loss at 1e-3, then 60% higher (1.6e-3): relatively a lot, in absolute terms a hair
    insights = Insights(NAMES)
    feed(insights, 0, [1e-3] * 10, [1e-3] * 10)
    assert feed(insights, 10, [1.6e-3] * 20, [5e-4] * 20) == []
    # ... and a noisy test loss whose rise stays within its own noise is not overfitting either
    noisy = Insights(NAMES)
    jitter = [0.5 + (0.08 if k % 2 else -0.08) for k in range(40)]
    assert feed(noisy, 0, jitter, [0.5 - 0.005 * k for k in range(40)]) == []
    assert noisy.test_noise() is not None and noisy.test_noise() > 0.05


def test_the_overfitting_rule_names_its_three_gates():
    insights = Insights(NAMES)
    for v in [1.0, 1.0, 1.0, 1.0, 1.0]:
        insights.tests.append(v)
    insights.best_test = 1.0
    assert insights.test_noise() == 0.0
    # relative gate: 10% of the best
    assert not insights.overfitting(1.0 + ins.OVERFIT_RISE * 0.9)
    assert insights.overfitting(1.0 + ins.OVERFIT_RISE * 1.1)
    # absolute gate: a rise of at least OVERFIT_MIN_RISE
    insights.best_test = 0.001
    assert not insights.overfitting(0.001 + ins.OVERFIT_MIN_RISE * 0.9)
    assert insights.overfitting(0.001 + ins.OVERFIT_MIN_RISE * 1.1)


def test_insights_are_grouped_by_condition_across_layers():
    names = [f"hidden {k}" for k in range(1, 9)] + ["output"]
    n = len(names)
    insights = Insights(names)
    starved = {
        "dead_fraction": [None] * n,
        "saturation": [0.0] * n,
        "unit_diversity": [1.0] * (n - 1) + [None],
        "grad_norm": [0.1] * n,
        "act_grad_norm": [10.0 ** -(9 - k) for k in range(n - 1)] + [1.0],  # hidden 8 is the reference
        "weight_norm": [1.0] * n,
        "update_ratio": [-3.0] * n,
    }
    events = []
    for step in range(50, 50 + HOLD):
        events += insights.observe(frame(step, **starved))
    assert [e["kind"] for e in events] == ["vanishing_gradients"]  # one event, not one per layer
    event = events[0]
    # ratios 1e-7 .. 1e-1 over hidden 8: hidden 5's 1e-3 is not below the threshold
    assert event["layer_indices"] == [0, 1, 2, 3] and event["layer"] == "hidden 1"
    assert event["message"] == "hidden 1–4: the gradient is 1.0e-07 to 1.0e-04 times hidden 8's"
    assert event["message_zh"] == "hidden 1–4：梯度是 hidden 8 的 1.0e-07 至 1.0e-04 倍"
    # the same verdicts as the frame's: the insights and the Layer health table agree
    assert [h.level for h in insights.health[:6]] == ["bad"] * 4 + ["warn", "ok"]


def test_weight_decay_collapsing_the_weights_is_its_own_condition_not_a_learning_rate_too_high():
    decayed = Insights(NAMES, weight_decay=True)
    events = []
    norm = 1.0
    for step in range(1, 30):
        norm *= 0.7  # decay: the norm shrinks steadily toward 0, and each step changes the weights by 30%
        changes = {"weight_norm": [norm, norm, norm], "update_ratio": [math.log10(0.3)] * 3}
        events += decayed.observe(frame(step, **changes))
    assert [e["kind"] for e in events] == ["weight_collapse"]
    assert events[0]["layer_indices"] == [0, 1, 2] and "weight decay shrank the weights to" in events[0]["message"]
    assert norm < COLLAPSE_SHARE
    # without weight decay the same figures are steps too large
    plain = Insights(NAMES)
    norm, events = 1.0, []
    for step in range(1, 30):
        norm *= 0.7
        events += plain.observe(frame(step, weight_norm=[norm] * 3, update_ratio=[math.log10(0.3)] * 3))
    assert [e["kind"] for e in events] == ["lr_too_high"]


def test_layer_spans_read_as_ranges_where_the_layers_are_consecutive():
    names = ["hidden 1", "hidden 2", "hidden 3", "hidden 4", "output"]
    assert layer_span(names, [0, 1, 2]) == "hidden 1–3"
    assert layer_span(names, [0, 2, 3, 4]) == "hidden 1, hidden 3–4, output"
    assert layer_span(names, [3]) == "hidden 4"
    assert layer_span(["conv 1", "conv 2", "hidden 1", "output"], [0, 1, 2]) == "conv 1–2, hidden 1"


def test_every_message_and_explanation_exists_in_both_languages():
    from string import Formatter

    from glassnet.train.insights import EXPLANATIONS, EXPLANATIONS_ZH, MESSAGES

    assert EXPLANATIONS.keys() == EXPLANATIONS_ZH.keys()
    for english, chinese in MESSAGES.values():
        fields = {name for _, name, _, _ in Formatter().parse(english) if name}
        assert fields == {name for _, name, _, _ in Formatter().parse(chinese) if name}, english
