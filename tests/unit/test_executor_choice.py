"""Which executor trains the runs: local worker processes unless GLASSNET_RAY_ADDRESS is set, and then a pool
of channels to Ray actors. Without the setting nothing imports ray (it is an optional extra)."""

import subprocess
import sys
import textwrap

from glassnet.runs.pool import WorkerPool, make_pool
from glassnet.settings import Settings


def test_without_a_ray_address_the_app_trains_locally_and_never_imports_ray(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        from fastapi.testclient import TestClient
        from glassnet.api.app import create_app
        from glassnet.settings import Settings

        settings = Settings(workers=0, data_dir={str(tmp_path)!r})
        with TestClient(create_app(settings)) as client:
            cluster = client.get("/api/health").json()["cluster"]
        assert cluster["executor"] == "local" and cluster["connected"] is True, cluster
        assert "ray" not in sys.modules, "ray was imported"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


def test_the_pool_is_chosen_by_the_setting(tmp_path):
    assert isinstance(make_pool(Settings(workers=0, data_dir=tmp_path)), WorkerPool)
    assert isinstance(make_pool(Settings(workers=0, data_dir=tmp_path, ray_address="")), WorkerPool)  # (compose)
    from glassnet.runs.ray_pool import RayPool

    pool = make_pool(Settings(workers=0, data_dir=tmp_path, ray_address="auto"))
    assert isinstance(pool, RayPool)  # (not started: take() or fill() starts its bridge)
    assert pool.cluster() == {"executor": "ray", "address": "auto", "connected": False, "restarts": 0}
