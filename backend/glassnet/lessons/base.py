"""What a lesson is: a question, predictions to pick from, one-click configs (arms), the panel to watch,
a check of the claim against the arms' measured figures, and an explanation, all in English and
Simplified Chinese. Each lesson lives in its own module of this package as `LESSON = Lesson(...)`."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# the panels a lesson can point at (the UI highlights the one with this test id)
PANELS = (
    "loss-chart",
    "boundary",
    "network-graph",
    "grad-flow",
    "activation-bands",
    "pathology",
    "insights",
    "images",
    "sequences",
    "optimizer-lab",
)


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def format(self, **values: Any) -> "Text":
        return Text(self.en.format(**values), self.zh.format(**values))

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class Arm:
    """One one-click config of a lesson: `changes` merged into the lesson's base config."""

    name: str
    label: Text
    changes: dict[str, Any]


@dataclass
class Measured:
    """What running one arm measured (lessons/runner.py)."""

    config: dict[str, Any]
    first: dict[str, Any]  # the detail frame of the first step (the network at initialization)
    last: dict[str, Any]  # the detail frame of the last step
    train_loss: list[float | None]  # mean training loss of each window of TRACE_EVERY steps
    seconds: float


@dataclass(frozen=True)
class Verdict:
    passed: bool
    figures: dict[str, float | None]  # the numbers the check used, named
    summary: Text  # one sentence with the numbers

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "figures": self.figures, "summary": self.summary.to_json()}


@dataclass(frozen=True)
class Lesson:
    id: str  # url-safe, e.g. "activations"
    order: int  # the position in the list (1 = first)
    title: Text
    question: Text
    predictions: tuple[Text, ...]  # multiple choice, picked before running
    answer: int  # index of the right prediction
    base: dict[str, Any]  # the config every arm starts from (merged onto config.DEFAULT_CONFIG)
    arms: tuple[Arm, ...]
    steps: int  # steps each arm trains for the check (a few seconds on a CPU)
    watch: str  # one of PANELS
    explanation: Text
    verify: Callable[[dict[str, Measured]], Verdict] = field(repr=False)
    seed: int = 0

    def arm_config(self, arm: Arm) -> dict[str, Any]:
        """The full config of `arm`, as POST /api/runs takes it (the UI loads it with one click)."""
        from glassnet.config import DEFAULT_CONFIG, merge_config

        config = merge_config(merge_config(DEFAULT_CONFIG, self.base), arm.changes)
        return merge_config(config, {"seed": self.seed, "steps": self.steps})

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "order": self.order,
            "title": self.title.to_json(),
            "question": self.question.to_json(),
            "predictions": [p.to_json() for p in self.predictions],
            "answer": self.answer,
            "arms": [{"name": a.name, "label": a.label.to_json(), "config": self.arm_config(a)} for a in self.arms],
            "steps": self.steps,
            "watch": self.watch,
            "explanation": self.explanation.to_json(),
        }
