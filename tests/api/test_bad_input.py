"""A battery of malformed requests: each gets a 4xx whose message names the field or the limit, nothing is
stored for it, and the server stays up."""

import json

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from glassnet.runs.owners import KEY_HEADER

GOOD = {
    "dataset": {"name": "circle"},
    "model": {"hidden": [4], "activation": "tanh"},
    "optimizer": {"name": "sgd", "lr": 0.1},
    "steps": 50,
}


def with_(path: str, value) -> dict:
    """GOOD with one nested key set, e.g. with_("model.hidden", [0])."""
    config = json.loads(json.dumps(GOOD))
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return config


# (case, method, path, body or raw bytes, expected status, words the message must contain)
BATTERY = [
    ("string for an int", "post", "/api/runs", with_("steps", "many"), 422, ["steps"]),
    ("float for an int", "post", "/api/runs", with_("batch_size", 3.5), 422, ["batch_size"]),
    ("null width", "post", "/api/runs", with_("model.hidden", [None]), 422, ["model.hidden.0"]),
    ("negative width", "post", "/api/runs", with_("model.hidden", [-3]), 422, ["model.hidden.0"]),
    ("too wide", "post", "/api/runs", with_("model.hidden", [10_000]), 422, ["model.hidden.0", "1024"]),
    ("too deep", "post", "/api/runs", with_("model.hidden", [2] * 65), 422, ["model.hidden", "64"]),
    ("too many parameters", "post", "/api/runs", with_("model.hidden", [1024] * 8), 422, ["parameters", "limit"]),
    ("unknown activation", "post", "/api/runs", with_("model.activation", "swishy"), 422, ["model.activation"]),
    ("unknown initializer", "post", "/api/runs", with_("model.init", {"name": "magic"}), 422, ["model.init.name"]),
    ("unknown optimizer", "post", "/api/runs", with_("optimizer.name", "lbfgs"), 422, ["optimizer.name"]),
    ("lr zero", "post", "/api/runs", with_("optimizer.lr", 0), 422, ["optimizer.lr"]),
    ("lr absurd", "post", "/api/runs", with_("optimizer.lr", 1e9), 422, ["optimizer.lr", "10"]),
    ("momentum over 1", "post", "/api/runs", with_("optimizer.momentum", 1.5), 422, ["optimizer.momentum"]),
    ("unknown schedule", "post", "/api/runs", with_("schedule", {"name": "zigzag"}), 422, ["schedule.name"]),
    (
        "negative clip",
        "post",
        "/api/runs",
        with_("clipping", {"name": "norm", "max_norm": -1}),
        422,
        ["clipping.max_norm"],
    ),
    ("dropout 1", "post", "/api/runs", with_("model.dropout", 1.0), 422, ["model.dropout", "0.9"]),
    ("unknown dataset", "post", "/api/runs", with_("dataset.name", "imagenet"), 422, ["dataset.name"]),
    ("too many samples", "post", "/api/runs", with_("dataset.n_samples", 10**9), 422, ["dataset.n_samples"]),
    ("train fraction 1", "post", "/api/runs", with_("dataset.train_fraction", 1.0), 422, ["dataset.train_fraction"]),
    ("duplicate feature", "post", "/api/runs", with_("dataset.features", ["x1", "x1"]), 422, ["features"]),
    ("unknown feature", "post", "/api/runs", with_("dataset.features", ["x9"]), 422, ["dataset.features.0"]),
    ("sequence too long", "post", "/api/runs", with_("dataset.seq_len", 5000), 422, ["dataset.seq_len", "200"]),
    ("cnn on points", "post", "/api/runs", with_("model.kind", "cnn"), 422, ["model.kind", "digits"]),
    ("even kernel", "post", "/api/runs", with_("model.kernel_size", 4), 422, ["kernel_size"]),
    (
        "override past the last layer",
        "post",
        "/api/runs",
        with_("model.layers", [{"index": 5, "norm": "batch"}]),
        422,
        ["layers", "index 5"],
    ),
    ("steps absurd", "post", "/api/runs", with_("steps", 10**12), 422, ["steps"]),
    ("frame rate absurd", "post", "/api/runs", with_("frame_hz", 10_000), 422, ["frame_hz", "30"]),
    ("seed negative", "post", "/api/runs", with_("seed", -1), 422, ["seed"]),
    ("misspelt key", "post", "/api/runs", {**GOOD, "optimiser": {"name": "sgd"}}, 422, ["optimiser"]),
    ("missing model", "post", "/api/runs", {k: v for k, v in GOOD.items() if k != "model"}, 422, ["model"]),
    ("array body", "post", "/api/runs", [GOOD], 422, ["body"]),
    ("invalid JSON", "post", "/api/runs", b'{"dataset": ', 422, ["invalid JSON"]),
    ("oversize body", "post", "/api/runs", b"{" + b" " * (2 << 20) + b"}", 413, ["body", "limit"]),
    ("cuda on a CPU server", "post", "/api/runs", with_("device", "cuda"), 422, ["device", "cuda"]),
    ("unknown run", "get", "/api/runs/does-not-exist", None, 404, ["does-not-exist"]),
    ("unknown command", "post", "/api/runs/does-not-exist/explode", None, 422, ["command"]),
    ("patch an unknown run", "patch", "/api/runs/does-not-exist", {"lr": 0.1}, 404, ["does-not-exist"]),
    ("patch with an unknown key", "patch", "/api/runs/does-not-exist", {"momentum": 0.1}, 422, ["momentum"]),
    ("metrics of an unknown run", "get", "/api/runs/does-not-exist/metrics", None, 404, ["does-not-exist"]),
    ("export format", "get", "/api/runs/does-not-exist/export?format=xlsx", None, 422, ["format"]),
    ("page size absurd", "get", "/api/runs?limit=100000", None, 422, ["limit", "500"]),
    ("status filter unknown", "get", "/api/runs?status=exploded", None, 422, ["status"]),
    ("owner filter unknown", "get", "/api/runs?owner=bob", None, 422, ["owner"]),
    ("everyone's runs without the token", "get", "/api/runs?owner=all", None, 403, ["owner", "token"]),
    ("continue with 0 steps", "post", "/api/runs/does-not-exist/continue", {"steps": 0}, 422, ["steps"]),
    ("continue with negative steps", "post", "/api/runs/does-not-exist/continue", {"steps": -3}, 422, ["steps"]),
    ("continue with letters", "post", "/api/runs/does-not-exist/continue", {"steps": "many"}, 422, ["steps"]),
    (
        "continue past the limit",
        "post",
        "/api/runs/does-not-exist/continue",
        {"steps": 10**7},
        422,
        ["steps", "1000000"],
    ),
    ("continue without steps", "post", "/api/runs/does-not-exist/continue", {}, 422, ["steps"]),
    ("continue an unknown run", "post", "/api/runs/does-not-exist/continue", {"steps": 10}, 404, ["does-not-exist"]),
    ("rename to nothing", "patch", "/api/runs/does-not-exist", {"name": ""}, 422, ["name"]),
    ("rename to blanks", "patch", "/api/runs/does-not-exist", {"name": "   "}, 422, ["name"]),
    ("rename overlong", "patch", "/api/runs/does-not-exist", {"name": "x" * 81}, 422, ["name", "80"]),
    ("rename with a line break", "patch", "/api/runs/does-not-exist", {"name": "a\nb"}, 422, ["name", "control"]),
    ("patch nothing", "patch", "/api/runs/does-not-exist", {}, 422, ["lr", "name"]),
    ("stop all with a body of nonsense", "post", "/api/runs/stop-all/extra", None, 422, ["command"]),
]

# owner keys that are not keys: each is a 401 that names the header and what is wrong, and nothing is stored
BAD_KEYS = [
    ("empty", "", "empty"),
    ("overlong", "a" * 200, "200 characters"),
    ("not ASCII", "ключ".encode(), "ASCII"),
    ("not a key", "let-me-in", "not a key"),
    ("made up", "0123456789abcdef." + "0" * 32, "did not issue"),
]


@pytest.mark.parametrize(("case", "method", "path", "body", "status", "words"), BATTERY, ids=[b[0] for b in BATTERY])
def test_malformed_request_is_refused_with_a_message_that_names_it(client, case, method, path, body, status, words):
    before = client.get("/api/runs").json()["total"]
    kwargs = {}
    if isinstance(body, bytes):
        kwargs = {"content": body, "headers": {"content-type": "application/json"}}
    elif body is not None:
        kwargs = {"json": body}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, f"{case}: {word!r} not in {detail!r}"
    assert client.get("/api/runs").json()["total"] == before  # nothing stored
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize(("case", "key", "words"), BAD_KEYS, ids=[k[0] for k in BAD_KEYS])
def test_a_bad_owner_key_is_refused_with_a_message_that_names_it(client, case, key, words):
    before = client.get("/api/runs").json()["total"]
    for method, path, body in [("post", "/api/runs", GOOD), ("get", "/api/runs", None), ("post", "/api/owners", None)]:
        response = client.request(method.upper(), path, json=body, headers={KEY_HEADER: key})
        if path == "/api/owners":
            assert response.status_code == 401  # even asking for a key with a bad one
            continue
        assert response.status_code == 401, response.text
        assert KEY_HEADER in response.json()["detail"] and words in response.json()["detail"], case
    bare = TestClient(client.app)  # the same app, without the client's own key header: the key in the query
    with bare.websocket_connect(f"/api/runs/x/stream?key={key if isinstance(key, str) else 'k%D0%BB'}") as ws:
        refused = ws.receive_json()
        assert refused["type"] == "error" and KEY_HEADER in refused["detail"]
    assert client.get("/api/runs").json()["total"] == before


def test_the_battery_has_at_least_30_cases():
    assert len(BATTERY) >= 30


def test_nonsense_websocket_messages_are_ignored_and_the_stream_goes_on(client):
    run_id = client.post("/api/runs", json={**GOOD, "steps": 2000}).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_text("{not json")
        ws.send_bytes(b"\x00\xff" * 1000)
        ws.send_json({"type": "frame", "step": -1})
        kinds = set()
        while True:
            try:
                kinds.add(ws.receive_json()["type"])
            except WebSocketDisconnect:
                break
    assert {"frame", "status"} <= kinds
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "finished"
