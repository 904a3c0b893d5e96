"""One judgement, through the real app: a run's detail frames carry each layer's verdict, the events are one per
condition naming its layers, and both say the same about the same layers."""

from tests.api.test_engine_api import stream_messages


def test_the_frames_verdicts_and_the_events_agree_on_a_dead_relu_net(client, small_config):
    small_config["model"].update(
        activation="relu", init={"name": "kaiming_normal", "bias": "constant", "bias_value": -3}
    )
    small_config["steps"] = 3000  # several detail frames however fast the machine
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    hello, messages = stream_messages(client, run_id)
    layers = len(hello["layers"])
    details = [m for m in messages if m["type"] == "frame" and m["detail"]]
    assert details and all(len(f["health"]) == layers for f in details)
    assert all("health" not in m for m in messages if m["type"] == "frame" and not m["detail"])
    last = details[-1]["health"]
    hidden = range(layers - 1)
    assert all(last[i]["conditions"] == ["dead_units"] and last[i]["level"] == "bad" for i in hidden), last
    assert all(last[i]["diversity"] == "bad" for i in hidden)  # dead: no healthy diversity
    # one event for the condition, naming both hidden layers, not one per layer
    dead = [m for m in messages if m["type"] == "event" and m["kind"] == "dead_units"]
    assert len(dead) == 1 and dead[0]["layer_indices"] == list(hidden), dead
    assert dead[0]["message"].startswith("hidden 1–2: ")
