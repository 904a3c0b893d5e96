"""Every choice and parameter /api/options serves has a Simplified Chinese label and description."""

import re

import pytest

from glassnet.registry import CHOICES, PARAMS
from glassnet.registry_zh import CHOICES_ZH, PARAMS_ZH

CJK = re.compile(r"[\u4e00-\u9fff]")
ENTRIES = [(group, choice) for group, choices in CHOICES.items() for choice in choices]


@pytest.mark.parametrize(("group", "choice"), ENTRIES, ids=[f"{g}.{c.name}" for g, c in ENTRIES])
def test_every_choice_has_chinese(group, choice):
    served = choice.to_json(group)
    assert served["label_zh"].strip(), f"{group}.{choice.name}: no Chinese label in registry_zh.CHOICES_ZH"
    assert CJK.search(served["description_zh"]), f"{group}.{choice.name}: no Chinese description"
    assert served["label"] == choice.label and served["description"] == choice.description  # English as is


@pytest.mark.parametrize("name", list(PARAMS))
def test_every_parameter_has_chinese(name):
    served = PARAMS[name].to_json()
    assert served["label_zh"].strip(), f"{name}: no Chinese label in registry_zh.PARAMS_ZH"
    assert CJK.search(served["description_zh"]), f"{name}: no Chinese description"


def test_no_translation_of_something_that_is_not_there():
    assert set(CHOICES_ZH) == set(CHOICES)
    for group, translations in CHOICES_ZH.items():
        assert set(translations) == {c.name for c in CHOICES[group]}, group
    assert set(PARAMS_ZH) == set(PARAMS)


def test_every_metric_has_its_label_meaning_and_unit_in_both_languages():
    from glassnet.train.metrics import METRICS, UNITS

    for metric in METRICS:
        assert metric.unit in UNITS, metric.name
        assert metric.label and metric.meaning and metric.label_zh and metric.meaning_zh, metric.name
        assert any("\u4e00" <= c <= "\u9fff" for c in metric.label_zh + metric.meaning_zh), metric.name
        assert metric.label_zh != metric.label and metric.meaning_zh != metric.meaning, metric.name
    assert len({m.name for m in METRICS}) == len(METRICS)  # a name is defined once
