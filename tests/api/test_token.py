"""With GLASSNET_TOKEN set, every REST call and stream needs it; the UI page itself stays public."""

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from glassnet.api.app import create_app
from glassnet.settings import Settings

TOKEN = "correct-horse-battery"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    settings = Settings(workers=1, data_dir=tmp_path_factory.mktemp("data"), token=TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


def test_rest_needs_the_token(secured, small_config):
    for method, path in [
        ("get", "/api/health"),
        ("get", "/api/options"),
        ("get", "/api/runs"),
        ("get", "/api/runs/nope"),
        ("delete", "/api/runs/nope"),
    ]:
        response = getattr(secured, method)(path)
        assert response.status_code == 401, path
        assert "token" in response.json()["detail"]
    assert secured.post("/api/runs", json=small_config).status_code == 401
    assert secured.get("/api/runs").status_code == 401  # nothing was created
    wrong = secured.get("/api/health", headers={"Authorization": "Bearer wrong-token"})
    assert wrong.status_code == 401
    assert secured.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert secured.get("/api/health", params={"token": TOKEN}).status_code == 200


def test_streams_need_the_token(secured, small_config):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    run_id = secured.post("/api/runs", json=small_config, headers=auth).json()["id"]
    with secured.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        assert "token" in ws.receive_json()["detail"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401
    with secured.websocket_connect(f"/api/runs/{run_id}/stream?token={TOKEN}") as ws:
        assert ws.receive_json()["type"] == "hello"


def test_without_a_token_setting_nothing_is_asked(client):
    assert client.get("/api/health").status_code == 200
