from glassnet.train.insights import DEAD_SHARE, HOLD, REARM, SYMMETRY_STEPS, Insights

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
    assert first[0]["step"] == 10 + HOLD - 1 and "70%" in first[0]["message"] and first[0]["explanation"]
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


def test_overfitting_needs_test_loss_rising_while_train_loss_falls():
    insights = Insights(NAMES)
    insights.observe(frame(100, train_loss=0.4, test_loss=0.30))
    assert hold(insights, 200, train_loss=0.3, test_loss=0.31) == []  # within 10%
    events = hold(insights, 300, train_loss=0.2, test_loss=0.40)
    assert kinds(events) == [("overfitting", None)]
    # test rising while train rises too is not overfitting
    other = Insights(NAMES)
    other.observe(frame(100, train_loss=0.4, test_loss=0.30))
    assert hold(other, 200, train_loss=0.5, test_loss=0.40) == []


def test_every_message_and_explanation_exists_in_both_languages():
    from string import Formatter

    from glassnet.train.insights import EXPLANATIONS, EXPLANATIONS_ZH, MESSAGES

    assert EXPLANATIONS.keys() == EXPLANATIONS_ZH.keys()
    for english, chinese in MESSAGES.values():
        fields = {name for _, name, _, _ in Formatter().parse(english) if name}
        assert fields == {name for _, name, _, _ in Formatter().parse(chinese) if name}, english
