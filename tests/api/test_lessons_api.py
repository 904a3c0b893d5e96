"""The lessons API: the list, one lesson, and a lesson's check run on the server: its verdict over seeds, every
figure named in words in both languages, each arm's loss curve, and the check kept for the next one who asks."""

import re

import pytest
from fastapi.testclient import TestClient

from glassnet.api.app import create_app
from glassnet.api.routes.lessons import MAX_CHECKS
from glassnet.api.schemas import LabRun
from glassnet.config import ExperimentConfig
from glassnet.lessons import LESSONS, runner
from glassnet.settings import Settings


def test_the_list_has_every_lesson_in_order_with_full_configs(client):
    response = client.get("/api/lessons")
    assert response.status_code == 200
    lessons = response.json()
    assert [x["id"] for x in lessons] == list(LESSONS)
    assert [x["order"] for x in lessons] == sorted(x["order"] for x in lessons)
    for lesson in lessons:
        assert set(lesson) >= {"title", "question", "predictions", "answer", "arms", "steps", "watch", "explanation"}
        assert set(lesson["title"]) == {"en", "zh"}
        for arm in lesson["arms"]:
            if lesson["kind"] == "lab":  # an optimizer-lab setup, as POST /api/lab/run takes it
                assert arm["config"] is None
                LabRun.model_validate(arm["lab"])
                continue
            assert arm["lab"] is None
            config = ExperimentConfig.model_validate(arm["config"])  # a full config, loadable with one click
            assert config.steps == lesson["steps"]
    assert {"network", "lab"} <= {lesson["kind"] for lesson in lessons}


def test_one_lesson_and_an_unknown_one(client):
    lesson = client.get("/api/lessons/dead-relu").json()
    assert lesson["id"] == "dead-relu" and lesson["watch"] == "pathology"
    assert [arm["name"] for arm in lesson["arms"]] == ["relu", "leaky_relu", "elu"]
    assert lesson["arms"][0]["config"]["model"]["activation"] == "relu"
    missing = client.get("/api/lessons/nope")
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"] and "dead-relu" in missing.json()["detail"]


def test_running_a_lesson_checks_its_claim(client):
    response = client.post("/api/lessons/dead-relu/run")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["lesson"] == "dead-relu"
    verdict = result["verdict"]
    assert verdict["passed"], verdict
    # judged on seeds 0-4, the figures shown those of seed 0 (the seed the arms carry)
    assert (verdict["held"], verdict["of"], verdict["need"]) == (5, 5, 4) and "held on 5 of 5 seeds" in verdict[
        "summary"
    ]["en"]
    assert [s["seed"] for s in verdict["seeds"]] == [0, 1, 2, 3, 4] and verdict["seeds"][0]["figures"] == verdict[
        "figures"
    ]
    assert verdict["figures"]["relu_dead"] > 0.5 and verdict["figures"]["leaky_relu_dead"] == 0.0
    assert "ReLU" in verdict["summary"]["en"] and "死亡" in verdict["summary"]["zh"]
    # every figure has a name in words in both languages, from the lesson's arms and lessons/figures.py
    assert set(verdict["labels"]) == set(verdict["figures"])
    assert verdict["labels"]["relu_dead"] == {
        "en": "ReLU: share of dead hidden units at the end",
        "zh": "ReLU：训练结束时隐藏层中死亡单元的比例",
    }
    for key, label in verdict["labels"].items():
        assert "_" not in label["en"] + label["zh"] and re.search("[\u4e00-\u9fff]", label["zh"]), (key, label)
    assert [run["arm"] for run in result["runs"]] == ["relu", "leaky_relu", "elu"]
    steps = LESSONS["dead-relu"].steps
    for run in result["runs"]:
        assert run["seconds"] > 0 and run["config"]["steps"] == steps
        assert set(run["final"]) == {"train_loss", "test_loss", "train_acc", "test_acc"}
        assert run["final"]["train_loss"] is not None
        # the loss curve: step 1, every 25 steps, the last step; it ends at the last step's training loss
        curve = run["curve"]
        assert curve["step"] == [1, *range(25, steps + 1, 25)]
        assert len(curve["loss"]) == len(curve["step"]) and None not in curve["loss"]
        assert curve["loss"][-1] == pytest.approx(run["final"]["train_loss"])
        # its curve on every seed the claim was judged on, on the same steps; the lesson's own seed's is `curve`
        curves = run["curves"]
        assert [c["seed"] for c in curves] == [s["seed"] for s in verdict["seeds"]] == [0, 1, 2, 3, 4]
        for seeded in curves:
            assert seeded["step"] == curve["step"] and len(seeded["loss"]) == len(curve["step"])
            assert None not in seeded["loss"]
        assert {"step": curves[0]["step"], "loss": curves[0]["loss"]} == curve
        assert len({tuple(c["loss"]) for c in curves}) == len(curves)  # the seeds train differently
    relu, leaky = result["runs"][0]["curve"]["loss"], result["runs"][1]["curve"]["loss"]
    assert leaky[-1] < 0.5 * leaky[0] and relu[-1] > 0.6  # leaky ReLU learns; the dead ReLU net stays at ln 2


def test_a_lab_lessons_arms_run_in_the_lab_and_its_check_reports_each_path(client):
    lesson = client.get("/api/lessons/saddle-points").json()
    assert lesson["kind"] == "lab" and lesson["watch"] == "optimizer-lab"
    saddle = lesson["arms"][0]["lab"]
    # the arm, sent to the lab as it is, gives the paths the check judges
    paths = client.post("/api/lab/run", json=saddle).json()["paths"]
    assert [p["optimizer"]["name"] for p in paths] == ["sgd", "momentum", "adam"]
    result = client.post("/api/lessons/saddle-points/run").json()
    assert result["verdict"]["passed"], result["verdict"]
    run = result["runs"][0]
    assert run["arm"] == "saddle" and run["config"] is None and run["final"] is None and run["curves"] is None
    assert run["lab"]["surface"] == "saddle"
    assert [p["optimizer"] for p in run["paths"]] == ["sgd", "momentum", "adam"]
    assert [p["final_loss"] for p in run["paths"]] == [p["final_loss"] for p in paths]
    escape = next(i for i, y in enumerate(paths[0]["y"]) if abs(y) > 1)  # SGD leaves the saddle
    for shown, path in zip(run["paths"], paths, strict=True):  # each path's loss curve, thinned
        curve = shown["curve"]
        assert curve["step"][0] == 0 and curve["step"][-1] == len(path["loss"]) - 1 and len(curve["step"]) <= 101
        assert curve["loss"] == [path["loss"][i] for i in curve["step"]]
    assert set(result["verdict"]["labels"]) == set(result["verdict"]["figures"])
    assert result["verdict"]["figures"]["sgd_steps_to_escape"] == escape


def test_running_an_unknown_lesson_is_404(client):
    response = client.post("/api/lessons/nope/run")
    assert response.status_code == 404 and "nope" in response.json()["detail"]


def test_a_lesson_checked_before_is_answered_at_once_even_when_the_server_is_busy(client, monkeypatch):
    first = client.post("/api/lessons/dead-relu/run").json()

    def train(configs):
        raise AssertionError("a kept check trained again")

    monkeypatch.setattr(runner, "measure_arms", train)
    state = client.app.state
    state.lesson_checks = MAX_CHECKS  # as if that many were running
    try:
        response = client.post("/api/lessons/dead-relu/run")
    finally:
        state.lesson_checks = 0
    assert response.status_code == 200 and response.json()["cached"] is True
    assert {**response.json(), "cached": first["cached"]} == first


def test_at_most_a_few_checks_run_at_once(client):
    runner.forget_checks()  # (a lesson checked before is answered at once)
    state = client.app.state
    state.lesson_checks = MAX_CHECKS  # as if that many were running
    try:
        response = client.post("/api/lessons/dead-relu/run")
    finally:
        state.lesson_checks = 0
    assert response.status_code == 429 and f"limit is {MAX_CHECKS}" in response.json()["detail"]


def test_the_lessons_need_the_token_when_one_is_set(tmp_path):
    settings = Settings(workers=0, data_dir=tmp_path, token="correct-horse-battery")
    with TestClient(create_app(settings)) as secured:
        for path in ("/api/lessons", "/api/lessons/dead-relu"):
            assert secured.get(path).status_code == 401, path
        assert secured.post("/api/lessons/dead-relu/run").status_code == 401
        auth = {"Authorization": "Bearer correct-horse-battery"}
        assert secured.get("/api/lessons", headers=auth).status_code == 200


def test_the_lessons_are_in_the_openapi_schema(client):
    schema = client.get("/openapi.json").json()
    assert "/api/lessons/{lesson_id}/run" in schema["paths"]
    run = schema["paths"]["/api/lessons/{lesson_id}/run"]["post"]
    assert run["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/LessonCheck")
    assert {"404", "429"} <= set(run["responses"])
    assert "LessonOut" in schema["components"]["schemas"]


@pytest.fixture(autouse=True)
def _no_checks_left_over(client):
    yield
    assert getattr(client.app.state, "lesson_checks", 0) == 0
