"""What a lesson is: a question, predictions to pick from, one-click configs (arms), the panel to watch,
a check of the claim against the arms' measured figures, and an explanation, all in English and
Simplified Chinese. Each lesson lives in its own module of this package as `LESSON = Lesson(...)`.

A lesson's arms are network runs (kind "network": configs as POST /api/runs takes them) or optimizer-lab
setups (kind "lab": requests as POST /api/lab/run takes them)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from glassnet.train.probe import Reading

# the panels a lesson can point at: the one list of them. GET /api/lessons types `watch` with this enum, and the UI's
# table of panels (frontend/src/lib/panels.ts: tab, test id, label) is keyed by it, so a panel missing there fails
# the UI's type check
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
Panel = StrEnum("Panel", {name: name for name in PANELS})  # type: ignore[misc]


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
    """One one-click config of a lesson: `changes` merged into the lesson's base config (or lab request)."""

    name: str
    label: Text
    changes: dict[str, Any]


@dataclass
class Measured:
    """What running one arm measured (lessons/runner.py)."""

    config: dict[str, Any]
    # the detail frame of the first step: its weight and activation gradients are those at initialization (the
    # step's own backward pass); activations, test loss and grad_time describe the net after that first update
    first: "Reading"
    last: "Reading"  # the full reading of the last step (of the first non-finite one, for a diverged arm)
    train_loss: list[float | None]  # mean training loss of each window of TRACE_EVERY steps
    seconds: float
    # the training loss at every reading, first to last: {"step": [...], "loss": [...]} (null where not finite)
    curve: dict[str, list[Any]] = field(default_factory=lambda: {"step": [], "loss": []})

    def late_train_loss(self) -> float:
        """Mean training loss of the last two trace windows (the last 50 steps); inf when not finite."""
        tail = [self.train_loss[-1] if self.train_loss else None, self.last["train_loss"]]
        values = [v for v in tail if v is not None]
        return sum(values) / 2 if len(values) == 2 else float("inf")


@dataclass
class LabMeasured:
    """What running one optimizer-lab arm measured: each optimizer's path (glassnet.lab.trajectory)."""

    config: dict[str, Any]  # the lab request
    paths: list[dict[str, Any]]  # one per optimizer, in the request's order, each with "optimizer" (its name)
    seconds: float

    def path(self, optimizer: str) -> dict[str, Any]:
        return next(p for p in self.paths if p["optimizer"] == optimizer)


HELD = Text("The claim held on {held} of {of} seeds", "结论在 {of} 个随机种子中的 {held} 个上成立")
NEEDED = Text(" (it has to on at least {need}). Seed {seed}: ", "（至少需要 {need} 个）。种子 {seed}：")


def seeds_needed(of: int) -> int:
    """How many of `of` seeds must bear a claim out: 4 of 5 (one unlucky seed is forgiven, two are not)."""
    return -(-4 * of // 5)


@dataclass(frozen=True)
class Verdict:
    """A lesson's check on one seed (what `verify` returns), or over several seeds (`over_seeds`): then it
    holds when at least `need` of them do, and shows the figures of one seed, the lesson's own."""

    passed: bool
    figures: dict[str, float | None]  # the numbers the check used, named
    summary: Text  # one sentence with the numbers
    seeds: dict[int, "Verdict"] = field(default_factory=dict)  # each seed's verdict (empty: a single check)
    need: int = 0  # seeds that must hold

    @classmethod
    def over_seeds(cls, seeds: dict[int, "Verdict"], shown: int) -> "Verdict":
        need = seeds_needed(len(seeds))
        held = sum(v.passed for v in seeds.values())
        one = seeds[shown]
        summary = HELD.format(held=held, of=len(seeds))
        words = NEEDED.format(need=need, seed=shown)
        text = Text(summary.en + words.en + one.summary.en, summary.zh + words.zh + one.summary.zh)
        return cls(held >= need, one.figures, text, dict(seeds), need)

    @property
    def held(self) -> int:
        return sum(v.passed for v in self.seeds.values())

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"passed": self.passed, "figures": self.figures, "summary": self.summary.to_json()}
        if self.seeds:
            result |= {
                "held": self.held,
                "of": len(self.seeds),
                "need": self.need,
                "seeds": [{"seed": seed, **v.to_json()} for seed, v in self.seeds.items()],
            }
        return result


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
    # measured by arm name: Measured for network lessons, LabMeasured for lab lessons
    verify: Callable[[dict[str, Any]], Verdict] = field(repr=False)
    seed: int = 0
    kind: Literal["network", "lab"] = "network"
    # names in words of the figures the check reports (lessons/figures.py): whole keys, and suffixes after an arm's
    # name that mean something of this lesson's own ("ratio" in `relu_ratio`)
    figures: dict[str, Text] = field(default_factory=dict)
    measures: dict[str, Text] = field(default_factory=dict)

    def arm_config(self, arm: Arm) -> dict[str, Any]:
        """The full config of `arm` (the UI loads it with one click): for a network lesson as POST /api/runs
        takes it; for a lab lesson the request of POST /api/lab/run (`steps` defaults to the lesson's)."""
        from glassnet.config import DEFAULT_CONFIG, merge_config

        if self.kind == "lab":
            return merge_config({"steps": self.steps, **self.base}, arm.changes)
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
            "kind": self.kind,
            "arms": [
                {
                    "name": a.name,
                    "label": a.label.to_json(),
                    ("lab" if self.kind == "lab" else "config"): self.arm_config(a),
                }
                for a in self.arms
            ],
            "steps": self.steps,
            "watch": self.watch,
            "explanation": self.explanation.to_json(),
        }
