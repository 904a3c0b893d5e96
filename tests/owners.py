"""An owner key for a test client, as the page and the CLI get one (POST /api/owners)."""

from fastapi.testclient import TestClient

from glassnet.runs.owners import KEY_HEADER


def new_key(client: TestClient, **headers: str) -> dict[str, str]:
    """A fresh owner's header, for requests of someone else than the client's own owner."""
    response = client.post("/api/owners", headers=headers)
    assert response.status_code == 201, response.text
    return {KEY_HEADER: response.json()["key"]}


def own(client: TestClient, **headers: str) -> TestClient:
    """The client, sending a new owner key with every request from now on."""
    client.headers.update(new_key(client, **headers))
    return client
