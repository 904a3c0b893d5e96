"""Sweeps as pure logic: which grid paths may vary, the members a grid makes (and in what order), the errors a
bad grid gets (located at the axis and value at fault), the results table and the CLI's --grid."""

import csv
import io
import time
from typing import Any

import pytest
from pydantic import ValidationError

from glassnet.runs.sweeps import (
    CONFIG_PATHS,
    InvalidSweep,
    Member,
    SweepRequest,
    check_path,
    default_name,
    distinct_name,
    expand,
    locate,
    parse_grid_arg,
    summary_rows,
    to_csv,
)

BASE: dict[str, Any] = {
    "dataset": {"name": "circle"},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "steps": 500,
}


def members(grid: dict[str, list[Any]], max_members: int = 256, config: dict[str, Any] | None = None) -> list[Member]:
    return expand(SweepRequest(config=config or BASE, grid=grid), max_members)


def errors_of(grid: dict[str, list[Any]], max_members: int = 256) -> list[dict[str, Any]]:
    with pytest.raises(InvalidSweep) as caught:
        members(grid, max_members)
    return caught.value.errors


# ---- the request


def test_the_request_needs_an_axis_with_values_and_refuses_unknown_keys():
    with pytest.raises(ValidationError) as no_axis:
        SweepRequest(config=BASE, grid={})
    assert no_axis.value.errors()[0]["loc"] == ("grid",)
    with pytest.raises(ValidationError) as empty_axis:
        SweepRequest(config=BASE, grid={"seed": []})
    assert empty_axis.value.errors()[0]["loc"] == ("grid", "seed")
    with pytest.raises(ValidationError) as long_name:
        SweepRequest(config=BASE, grid={"seed": [0]}, name="x" * 121)
    assert long_name.value.errors()[0]["loc"] == ("name",)
    with pytest.raises(ValidationError):
        SweepRequest.model_validate({"config": BASE, "grid": {"seed": [0]}, "grids": {}})


def test_the_schema_documents_the_fields_and_gives_an_example():
    schema = SweepRequest.model_json_schema()
    assert all(schema["properties"][name].get("description") for name in ("config", "grid", "name"))
    (example,) = schema["examples"]
    assert len(members(example["grid"], config=example["config"])) == 15


# ---- paths


def test_every_field_of_the_config_is_a_path_and_sections_are_marked():
    assert CONFIG_PATHS["optimizer"] and CONFIG_PATHS["model.init"]
    assert not CONFIG_PATHS["optimizer.lr"] and not CONFIG_PATHS["model.hidden"]
    assert "model.init.name" in CONFIG_PATHS and "regularization.l1" in CONFIG_PATHS
    assert "model.layers.index" not in CONFIG_PATHS  # a list of models is a value, not a section


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("optimizer.lrr", "not a field of the config (did you mean optimizer.lr?)"),
        ("lr", "not a field of the config (did you mean optimizer.lr?)"),
        ("model.hiden", "not a field of the config (did you mean model.hidden?)"),
        ("zzz", "not a field of the config"),
        ("model.hidden.0", "not a field of the config: model.hidden has no fields; vary model.hidden itself"),
    ],
)
def test_an_unknown_path_is_named_with_a_suggestion(path, expected):
    (error,) = errors_of({path: [1]})
    assert error["loc"] == ("grid", path) and error["type"] == "sweep_path"
    assert error["msg"].startswith(expected)


def test_device_and_uploads_cannot_vary_and_say_why():
    device, upload = errors_of({"device": ["cpu"], "dataset.upload": ["0123456789ab"]})
    assert device["loc"] == ("grid", "device") and "server's device" in device["msg"]
    assert upload["loc"] == ("grid", "dataset.upload") and "uploads cannot vary" in upload["msg"]
    (inside,) = errors_of({"dataset": [{"name": "circle"}, {"name": "upload", "upload": "0123456789ab"}]})
    assert inside["loc"] == ("grid", "dataset", 1) and inside["msg"].startswith("dataset.upload: cannot vary")
    assert check_path("device") is not None and check_path("dataset.noise") is None


def test_a_section_given_plain_values_says_to_vary_one_of_its_fields_once():
    # `--grid optimizer=sgd,adam`: one error at the axis (not one per value), naming the fields that can vary
    errors = errors_of({"optimizer": ["sgd", "adam"]})
    assert [locate(e) for e in errors] == ["grid.optimizer"]
    assert "did you mean optimizer.name=sgd,adam?" in errors[0]["msg"]
    assert "vary one of its fields (optimizer.name, optimizer.lr" in errors[0]["msg"]
    (model,) = errors_of({"model": [3]})
    assert locate(model) == "grid.model" and "model.hidden" in model["msg"] and "did you mean" not in model["msg"]
    # the optimizer's name itself can vary: its members train in separate cohorts
    assert [m.config.optimizer.name for m in members({"optimizer.name": ["sgd", "adam"]})] == ["sgd", "adam"]


def test_a_path_that_cannot_vary_says_what_can():
    (device,) = errors_of({"device": ["cpu"]})
    assert "cannot vary" in device["msg"] and "a sweep can vary any other field" in device["msg"]


def test_a_default_name_says_what_varies_and_repeats_get_an_ordinal():
    request = SweepRequest(
        config=BASE, grid={"optimizer.lr": [0.1, 0.01], "model.hidden": [[8], [8, 8]], "seed": [0, 1]}
    )
    assert default_name(request) == "learning rate × hidden layers × 2 seeds · circle"
    assert default_name(SweepRequest(config=BASE, grid={"seed": [0, 1, 2, 3, 4]})) == "5 seeds · circle"
    assert default_name(SweepRequest(config=BASE, grid={"optimizer.weight_decay": [0, 0.1]})) == "weight decay · circle"
    assert distinct_name("a", {"b", None}) == "a"
    assert distinct_name("a", {"a"}) == "a #2"
    assert distinct_name("a", {"a", "a #2", "a #3"}) == "a #4"


def test_overlapping_axes_and_repeated_values_are_refused():
    (overlap,) = errors_of({"optimizer": [{"name": "sgd"}], "optimizer.lr": [0.1]})
    assert overlap["loc"] == ("grid", "optimizer.lr") and "overlaps the axis optimizer" in overlap["msg"]
    (repeat,) = errors_of({"seed": [0, 1, 0]})
    assert repeat["loc"] == ("grid", "seed", 2) and repeat["msg"].startswith("the same value as [0] (0)")


# ---- the size limit


def test_a_grid_over_the_limit_names_the_product_and_the_setting():
    (error,) = errors_of({"seed": list(range(6)), "optimizer.lr": [0.001 * (i + 1) for i in range(50)]}, 256)
    assert error == {
        "loc": ("grid",),
        "msg": "6 × 50 = 300 members, over the limit of 256 (GLASSNET_MAX_SWEEP)",
        "type": "sweep_too_large",
    }
    assert errors_of({"seed": list(range(5))}, 4)[0]["msg"] == "5 members, over the limit of 4 (GLASSNET_MAX_SWEEP)"
    assert len(members({"seed": list(range(4))}, 4)) == 4  # the limit itself is allowed


def test_a_huge_grid_fails_before_any_member_is_built():
    grid = {path: list(range(10)) for path in ("seed", "batch_size", "eval_every", "steps")}
    grid |= {path: [0.1 * i for i in range(1, 11)] for path in ("optimizer.lr", "dataset.noise", "model.dropout")}
    grid |= {"model.hidden": [[w] for w in range(1, 11)], "regularization.l1": [0.01 * i for i in range(10)]}
    started = time.perf_counter()
    errors = errors_of(grid, 256)
    assert time.perf_counter() - started < 0.5
    assert errors[0]["msg"].startswith("10 × 10 × 10 × 10 × 10 × 10 × 10 × 10 × 10 = 1000000000 members")


# ---- members


def test_members_are_in_row_major_order_the_last_axis_fastest():
    made = members({"seed": [0, 1], "optimizer.lr": [0.1, 0.01, 0.001]})
    assert [m.index for m in made] == list(range(6))
    assert [(m.values["seed"], m.values["optimizer.lr"]) for m in made] == [
        (0, 0.1),
        (0, 0.01),
        (0, 0.001),
        (1, 0.1),
        (1, 0.01),
        (1, 0.001),
    ]
    assert [(m.config.seed, m.config.optimizer.lr) for m in made] == [
        (s, lr) for s in (0, 1) for lr in (0.1, 0.01, 0.001)
    ]
    assert list(made[0].values) == ["seed", "optimizer.lr"]  # the axes in the order given
    assert all(m.config.model.hidden == [8, 8] and m.config.steps == 500 for m in made)  # the base elsewhere


def test_list_values_and_whole_sections_are_set_and_merged():
    made = members({"model.hidden": [[4], [8, 8, 8]], "optimizer": [{"name": "sgd", "lr": 0.5}, {"name": "rmsprop"}]})
    assert [m.config.model.hidden for m in made] == [[4], [4], [8, 8, 8], [8, 8, 8]]
    sgd, rmsprop = made[0].config.optimizer, made[1].config.optimizer
    assert (sgd.name, sgd.lr) == ("sgd", 0.5)
    assert (rmsprop.name, rmsprop.lr, rmsprop.momentum) == ("rmsprop", 0.01, 0.0)  # the base's lr, its own momentum
    init = members({"model.init.name": ["kaiming_normal", "xavier_uniform"]})
    assert [m.config.model.init.name for m in init] == ["kaiming_normal", "xavier_uniform"]


def test_a_choice_and_its_parameter_on_two_axes_keep_both():
    made = members({"optimizer.momentum": [0.5], "optimizer.name": ["rmsprop", "sgd"]})
    assert [(m.config.optimizer.name, m.config.optimizer.momentum) for m in made] == [("rmsprop", 0.5), ("sgd", 0.5)]


def test_values_across_axes_that_fit_only_together_are_accepted():
    (cnn,) = members({"dataset.name": ["digits"], "model.kind": ["cnn"]})
    assert (cnn.config.dataset.name, cnn.config.model.kind) == ("digits", "cnn")


# ---- a member's config errors, located at the value that caused them


def test_a_value_out_of_range_is_located_at_its_axis_and_index():
    errors = errors_of({"seed": [0, 1], "optimizer.lr": [0.1, 0.01, 0.001, 11]})
    assert errors == [
        {
            "loc": ("grid", "optimizer.lr", 3),
            "msg": "Input should be less than or equal to 10",
            "type": "less_than_equal",
        }
    ]  # once, though both seeds' members have it
    assert str(InvalidSweep(errors)) == "grid.optimizer.lr[3]: Input should be less than or equal to 10"


def test_an_item_of_a_list_value_is_named_inside_the_axis():
    (error,) = errors_of({"model.hidden": [[8], [8, 5000]]})
    assert error["loc"] == ("grid", "model.hidden", 1)
    assert error["msg"] == "model.hidden.1: Input should be less than or equal to 1024"


def test_a_sections_own_check_is_blamed_on_the_field_it_names():
    (error,) = errors_of({"seed": [0, 1], "model.kernel_size": [3, 4]})
    assert error["loc"] == ("grid", "model.kernel_size", 1) and error["msg"].startswith("must be odd")
    (kind,) = errors_of({"model.kind": ["mlp", "cnn"]})
    assert kind["loc"] == ("grid", "model.kind", 1) and "'cnn' needs image data" in kind["msg"]


def test_an_unknown_choice_and_an_unknown_key_in_a_section_value_are_located():
    errors = errors_of({"model.activation": ["relu", "relux"], "optimizer": [{"name": "sgd", "lrr": 1}]})
    key, choice = sorted(errors, key=lambda e: e["loc"][1], reverse=True)
    assert choice["loc"] == ("grid", "model.activation", 1) and choice["msg"].startswith("Input should be")
    assert key["loc"] == ("grid", "optimizer", 0) and key["msg"] == "optimizer.lrr: Extra inputs are not permitted"


def test_locate_writes_indices_in_brackets():
    assert locate({"loc": ("grid", "optimizer.lr", 3)}) == "grid.optimizer.lr[3]"
    assert locate({"loc": ("grid",)}) == "grid"


# ---- results


def member(index: int, values: dict[str, Any], status: str, **summary: float | None) -> dict[str, Any]:
    figures = {name: {"value": value, "step": 500} for name, value in summary.items()}
    return {"index": index, "run_id": f"r{index}", "values": values, "status": status, "step": 500, "summary": figures}


def test_summary_rows_flatten_values_and_figures():
    rows = summary_rows(
        [
            member(0, {"seed": 0, "model.hidden": [8, 8]}, "finished", train_loss=0.1, test_loss=0.2, test_acc=0.9),
            member(1, {"seed": 1, "model.hidden": [8, 8, 8]}, "diverged", train_loss=None),
            {"index": 2, "run_id": None, "values": {"seed": 2, "model.hidden": [4]}, "status": "pending", "step": 0},
        ]
    )
    assert list(rows[0]) == [
        "index",
        "run_id",
        "seed",
        "model.hidden",
        "status",
        "step",
        "train_loss",
        "test_loss",
        "train_acc",
        "test_acc",
    ]
    assert rows[0] == {
        "index": 0,
        "run_id": "r0",
        "seed": 0,
        "model.hidden": "[8, 8]",
        "status": "finished",
        "step": 500,
        "train_loss": 0.1,
        "test_loss": 0.2,
        "train_acc": None,
        "test_acc": 0.9,
    }
    assert rows[1]["model.hidden"] == "[8, 8, 8]" and rows[1]["train_loss"] is None
    assert rows[2]["status"] == "pending" and rows[2]["test_loss"] is None


def test_csv_has_a_header_and_empty_cells_where_missing():
    rows = summary_rows(
        [
            member(0, {"optimizer.lr": 0.1, "model.residual": True}, "finished", train_loss=0.25, test_loss=0.5),
            member(1, {"optimizer.lr": 0.01, "model.residual": False}, "stopped"),
        ]
    )
    text = to_csv(rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == [
        "index",
        "run_id",
        "optimizer.lr",
        "model.residual",
        "status",
        "step",
        "train_loss",
        "test_loss",
        "train_acc",
        "test_acc",
    ]
    assert parsed[1] == ["0", "r0", "0.1", "true", "finished", "500", "0.25", "0.5", "", ""]
    assert parsed[2] == ["1", "r1", "0.01", "false", "stopped", "500", "", "", "", ""]
    assert len(parsed) == 3 and to_csv([]) == ""


# ---- --grid PATH=VALUES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("optimizer.lr=0.1,0.03,0.01", ("optimizer.lr", [0.1, 0.03, 0.01])),
        ("seed=0..4", ("seed", [0, 1, 2, 3, 4])),
        ("seed=3..3", ("seed", [3])),
        ("model.hidden=[8,8];[8,8,8,8]", ("model.hidden", [[8, 8], [8, 8, 8, 8]])),
        ("model.hidden=[8,8],[16]", ("model.hidden", [[8, 8], [16]])),
        ("model.hidden=[8,8]", ("model.hidden", [[8, 8]])),
        ("model.activation=relu,tanh", ("model.activation", ["relu", "tanh"])),
        ("model.residual=true,false", ("model.residual", [True, False])),
        ("steps=null,100", ("steps", [None, 100])),
        (
            ' optimizer = {"name": "sgd", "lr": 0.1};{"name": "adam"} ',
            ("optimizer", [{"name": "sgd", "lr": 0.1}, {"name": "adam"}]),
        ),
        ('dataset.name="circle,2",NaN', ("dataset.name", ["circle,2", "NaN"])),
    ],
)
def test_grid_args_parse(text, expected):
    assert parse_grid_arg(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed", "--grid seed: expected PATH=VALUES"),
        ("=1,2", "--grid =1,2: expected PATH=VALUES"),
        ("seed=", "--grid seed=: no values after '='"),
        ("seed=4..1", "--grid seed=4..1: the range 4..1 is empty"),
        ("seed=0..1000000", "--grid seed=0..1000000: the range 0..1000000 has more than"),
        ("seed=1,,2", "--grid seed=1,,2: value 2 is empty"),
        ("model.hidden=[8,8", "--grid model.hidden=[8,8: [8,8 is not valid JSON"),
    ],
)
def test_bad_grid_args_name_the_argument(text, message):
    with pytest.raises(ValueError) as caught:
        parse_grid_arg(text)
    assert str(caught.value).startswith(message)
