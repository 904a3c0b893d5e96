import json
from pathlib import Path

from glassnet.api.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_frontend_openapi_json_matches_the_server():
    """The UI's REST types are generated from frontend/openapi.json; `make openapi` refreshes it."""
    committed = json.loads((ROOT / "frontend" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(create_app().openapi())), "stale: run `make openapi`"
