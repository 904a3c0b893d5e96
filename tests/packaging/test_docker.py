"""What can be checked of the Docker set-up without a Docker engine: the files' structure, and that their
build steps are the Makefile targets CI runs."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_stages() -> list[dict]:
    stages: list[dict] = []
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append({"from": rest, "steps": []})
        else:
            stages[-1]["steps"].append((instruction, rest.strip()))
    return stages


def steps(stage: dict, instruction: str) -> list[str]:
    return [rest for ins, rest in stage["steps"] if ins == instruction]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, flags=re.M))


def test_dockerfile_is_multi_stage_node_then_python_then_slim_runtime():
    stages = dockerfile_stages()
    assert len(stages) == 3
    assert stages[0]["from"].startswith("node:20")
    assert stages[1]["from"].startswith("python:3.11")
    assert stages[2]["from"].startswith("python:3.11-slim")
    # the runtime copies the built venv; it does not build anything itself
    assert any("--from=build" in c for c in steps(stages[2], "COPY"))
    assert not any("make" in r or "npm" in r for r in steps(stages[2], "RUN") if "useradd" not in r)


def test_build_steps_are_the_makefile_targets_ci_runs():
    stages = dockerfile_stages()
    targets = make_targets()
    assert {"ui", "venv", "test", "run"} <= targets
    assert any(re.search(r"\bmake ui\b", r) for r in steps(stages[0], "RUN"))
    assert any(re.search(r"\bmake venv\b", r) for r in steps(stages[1], "RUN"))
    # with the ray extra: the same image runs a Ray head or worker (the compose file's cluster profile)
    assert any('PIP_TARGET=".[ray]"' in r for r in steps(stages[1], "RUN"))
    # `make test` (what CI runs) depends on those same targets
    test_rule = re.search(r"^test:(.*)$", (ROOT / "Makefile").read_text(), flags=re.M).group(1)
    assert {"venv", "ui"} <= set(test_rule.split("##")[0].split())


def test_makefile_targets_do_what_the_dockerfile_expects():
    """A dry run of the Docker stages' make calls: they name real commands (npm ci/build, pip)."""
    ui = subprocess.run(["make", "-n", "-B", "ui"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "npm ci" in ui and "npm run build" in ui
    venv = subprocess.run(
        ["make", "-n", "-B", "venv", "VENV=/opt/venv", "PIP_TARGET=.[ray]", "TORCH_SPEC=torch"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '/opt/venv/bin/python -m pip install --quiet "torch"' in venv
    assert "/opt/venv/bin/python -m pip install --quiet .[ray]" in venv


def test_runtime_runs_as_non_root_with_a_healthcheck_on_api_health():
    runtime = dockerfile_stages()[-1]
    users = steps(runtime, "USER")
    assert users and users[-1] not in {"root", "0"}
    assert any("useradd" in r for r in steps(runtime, "RUN"))
    healthcheck = " ".join(steps(runtime, "HEALTHCHECK"))
    assert "/api/health" in healthcheck and "8000" in healthcheck
    assert steps(runtime, "EXPOSE") == ["8000"]
    env = " ".join(steps(runtime, "ENV"))
    assert "GLASSNET_HOST=0.0.0.0" in env  # reachable from outside the container
    assert "glassnet" in steps(runtime, "CMD")[-1] and "serve" in steps(runtime, "CMD")[-1]


def test_compose_serves_port_8000_with_a_healthcheck():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["glassnet"]
    assert service["build"]["context"] == "."
    assert "8000:8000" in service["ports"]
    assert "/api/health" in " ".join(service["healthcheck"]["test"])
    assert service["environment"]["GLASSNET_HOST"] == "0.0.0.0"
    assert "deploy" not in service  # the default is CPU only
    # runs persist in a named volume mounted where the server keeps its data
    data_dir = service["environment"]["GLASSNET_DATA_DIR"]
    assert f"glassnet-data:{data_dir}" in service["volumes"] and "glassnet-data" in compose["volumes"]


def test_gpu_compose_reserves_the_nvidia_device_for_the_server_and_the_ray_workers():
    gpu = yaml.safe_load((ROOT / "docker-compose.gpu.yml").read_text())
    base = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert set(gpu["services"]) == {"glassnet", "ray-worker"} and set(gpu["services"]) <= set(base["services"])
    for name in ("glassnet", "ray-worker"):
        devices = gpu["services"][name]["deploy"]["resources"]["reservations"]["devices"]
        assert devices == [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]


def test_compose_cluster_profile_runs_a_ray_head_and_scalable_workers_for_the_server():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    server, head, worker = services["glassnet"], services["ray-head"], services["ray-worker"]
    assert "profiles" not in server  # `docker compose up` alone: the server, with local workers
    assert head["profiles"] == worker["profiles"] == ["cluster"]
    # one image for all three, built the same way
    assert head["image"] == worker["image"] == server["image"]
    assert head["build"] == worker["build"] == server["build"]
    head_cmd, worker_cmd = " ".join(head["command"]), " ".join(worker["command"])
    assert head_cmd.startswith("ray start --head --block") and "--port 6379" in head_cmd
    assert worker_cmd.startswith("ray start --address ray-head:6379 --block")
    assert "container_name" not in worker and "ports" not in worker  # --scale ray-worker=N needs neither
    assert worker["depends_on"]["ray-head"]["condition"] == "service_healthy"
    assert "6379" in " ".join(head["healthcheck"]["test"])
    # the server takes a cluster's address from GLASSNET_RAY_ADDRESS; empty, the profile's head where it runs: it
    # waits for it to be healthy, and a plain `docker compose up` (no head) starts it all the same
    assert server["environment"]["GLASSNET_RAY_ADDRESS"] == "${GLASSNET_RAY_ADDRESS:-}"
    assert server["depends_on"]["ray-head"] == {"condition": "service_healthy", "required": False}


@pytest.mark.parametrize(
    ("address", "head_resolves", "trains_on"),
    [("", True, "ray-head:6379"), ("", False, ""), ("10.0.0.5:6379", True, "10.0.0.5:6379")],
    ids=["cluster-profile", "plain-up", "own-address"],
)
def test_the_compose_server_trains_on_the_profiles_head_only_when_it_runs(
    tmp_path: Path, address: str, head_resolves: bool, trains_on: str
) -> None:
    """The server's command, as compose hands it to the container (`$$` is a `$`), run by sh with stand-ins for
    `getent` (does the name ray-head resolve: only while the cluster profile's head runs) and `glassnet`."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["glassnet"]["command"]
    assert command[:2] == ["sh", "-c"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_ins = {
        "getent": f'[ "$1 $2" = "hosts ray-head" ] && exit {0 if head_resolves else 2}; exit 2',
        "glassnet": 'echo "$* on [$GLASSNET_RAY_ADDRESS]"',
    }
    for name, body in stand_ins.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GLASSNET_RAY_ADDRESS": address}
    shown = subprocess.run(
        ["sh", "-c", command[2].replace("$$", "$")], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == f"serve on [{trains_on}]"


def test_the_compose_files_follow_the_compose_specification() -> None:
    """Validated against the Compose Specification's JSON schema (tests/packaging/COMPOSE-SPEC.md): a key compose
    does not know, or a value of the wrong shape, fails here as `docker compose config` would."""
    import json

    import jsonschema

    schema = json.loads((ROOT / "tests" / "packaging" / "compose-spec.json").read_text())
    for name in ("docker-compose.yml", "docker-compose.gpu.yml"):
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load((ROOT / name).read_text())))
        assert not errors, (name, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors])


def test_docker_context_leaves_out_local_builds():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in [".venv", "frontend/node_modules", "backend/glassnet/static", ".git"]:
        assert path in ignored


def test_a_second_make_run_reinstalls_and_rebuilds_nothing():
    """After `make test` (or `make run`) has built everything, the venv and UI targets are up to date, so
    `make run` goes straight to serving. `make -q` exits 0 only when nothing would be remade."""
    result = subprocess.run(["make", "-q", "venv", "ui"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (
        "make would reinstall or rebuild: "
        + subprocess.run(["make", "-n", "venv", "ui"], cwd=ROOT, capture_output=True, text=True).stdout
    )
