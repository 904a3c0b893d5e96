"""The one-click demos of the Images and Sequences tabs: the config each loads, what its text promises, and the
measurable goals that back the promise. GET /api/options serves them (`demos`); the tabs load `config` and judge
the run shown against `goals`; tests/phenomena/test_demos.py trains every demo on seeds 0-4 and checks its goals.

Measured on a CPU with one thread (tests/phenomena/test_demos.py, seeds 0-4), figures at the last step:
- sequences (an LSTM on the adding problem, T = 20, 600 steps, about 1.5 s a seed): test MSE 0.004 .. 0.010 of the
  baseline (predicting the mean sum, 0.168 .. 0.172) at step 600 (0.001 .. 0.004 at step 1000); it sits at the
  baseline for about 200 steps, leaves it between steps 200 and 300 and is below a tenth of it by step 400 on every
  seed. ||dL/dh_1|| / ||dL/dh_T|| is 5e-4 .. 5e-3 while it sits at the baseline and 0.19 .. 0.30 at step 600: it
  learns to carry the gradient.
  The draft's defaults (400 sequences of which 200 train, noise 0.1, batch 16, dense layers 8-8 after the LSTM)
  stayed at the baseline on four seeds of five for 3000 steps: that was the demo issue 13 reported.
- images (a CNN on the 8x8 digits, 600 steps, about 1.2 s a seed): test accuracy 0.975 .. 0.989 (359 test digits);
  3658 parameters against the equivalent MLP's 18986.
  With the draft's defaults (400 digits of which 200 train, noise 0.1, dense 8-8 tanh, 3000 steps) it was
  0.78 .. 0.88 and the test loss rose from step 500 on (overfitting).
"""

import math
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from glassnet.config import DEFAULT_CONFIG, merge_config
from glassnet.lessons.base import Text

# what a goal measures, at the run's last step:
# test_loss: the test loss; test_acc: the test accuracy; grad_carry: ||dL/dh_1|| / ||dL/dh_T|| (RNNs), how much of
# the gradient at the last time step reaches the first
GoalMetric = Literal["test_loss", "test_acc", "grad_carry"]


@dataclass(frozen=True)
class Goal:
    """A bound that one figure of the run's last frame must meet."""

    metric: GoalMetric
    bound: float
    above: bool  # True: the figure must exceed the bound; False: it must stay below it
    of_baseline: bool = False  # the bound is a multiple of the dataset's baseline loss (test_loss only)

    def limit(self, baseline: float) -> float:
        return self.bound * baseline if self.of_baseline else self.bound

    def met(self, value: float | None, baseline: float) -> bool:
        if value is None or not math.isfinite(value):
            return False
        return value > self.limit(baseline) if self.above else value < self.limit(baseline)

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "bound": self.bound, "above": self.above, "of_baseline": self.of_baseline}


@dataclass(frozen=True)
class Demo:
    id: str  # the tab that offers it: images | sequences
    label: Text  # the button's words
    promise: Text  # what the run will show, with the numbers that `goals` check
    changes: dict[str, Any]  # merged onto config.DEFAULT_CONFIG: every setting the promise depends on
    goals: tuple[Goal, ...]

    def config(self, seed: int = 0) -> dict[str, Any]:
        """The full config the tab loads (seed 0; the test trains seeds 0-4), as POST /api/runs takes it."""
        return merge_config(merge_config(DEFAULT_CONFIG, self.changes), {"seed": seed})

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label.to_json(),
            "promise": self.promise.to_json(),
            "config": self.config(),
            "goals": [g.to_json() for g in self.goals],
        }


def grad_carry(grad_time: list[float | None] | None) -> float | None:
    """||dL/dh_1|| / ||dL/dh_T|| of a grad_time row; None when it was not measured or the last entry is 0."""
    if not grad_time or grad_time[0] is None or not grad_time[-1]:
        return None
    return grad_time[0] / grad_time[-1]


class Figures(Protocol):
    """A frame's figures by metric name: the stream's frame as a dict, or a probe Reading."""

    def get(self, name: str, default: Any = None) -> Any: ...


def goal_value(goal: Goal, frame: Figures) -> float | None:
    """The figure `goal` judges, from a detail frame (the stream's frame, or a Reading as JSON has it)."""
    if goal.metric == "grad_carry":
        return grad_carry(frame.get("grad_time"))
    value = frame.get(goal.metric)
    return None if value is None else float(value)


SEQUENCE_STEPS = 600
IMAGE_STEPS = 600

DEMOS: tuple[Demo, ...] = (
    Demo(
        id="sequences",
        label=Text("Load an LSTM on the adding problem", "载入加法问题上的 LSTM"),
        promise=Text(
            f"An LSTM reads sequences of 20 random numbers, two of them marked, and must output the sum of the two "
            f"marked numbers. Predicting the mean sum, the baseline, gives a test loss of about 0.17. For a couple of "
            f"hundred steps the LSTM sits at that baseline, while little of the gradient reaches the early steps; "
            f"then it learns to carry the gradient back and the numbers forward, and within {SEQUENCE_STEPS} steps "
            f"its test loss falls below a tenth of the baseline.",
            f"LSTM 读入由 20 个随机数组成的序列，其中两个被标记，要输出这两个被标记的数之和。"
            f"总是预测平均和（基线）的测试损失约为 0.17。在最初的一两百步里，LSTM 停在这条基线上，"
            f"这时传回早期时间步的梯度很少；随后它学会把梯度传回、把数记住，"
            f"{SEQUENCE_STEPS} 步之内测试损失降到基线的十分之一以下。",
        ),
        changes={
            "dataset": {"name": "adding", "n_samples": 2000, "train_fraction": 0.8, "noise": 0.0, "seq_len": 20},
            "model": {"kind": "rnn", "cell": "lstm", "rnn_hidden": 32, "rnn_layers": 1, "hidden": []},
            "optimizer": {"name": "adam", "lr": 0.01},
            "batch_size": 64,
            "steps": SEQUENCE_STEPS,
        },
        goals=(
            Goal("test_loss", 0.1, above=False, of_baseline=True),
            Goal("grad_carry", 0.01, above=True),
        ),
    ),
    Demo(
        id="images",
        label=Text("Load the digits CNN", "载入数字 CNN"),
        promise=Text(
            f"A small CNN (two conv blocks of 8 and 16 channels) learns the 1797 handwritten 8x8 digits, 80% of "
            f"them for training. Within {IMAGE_STEPS} steps it gets more than 95% of the test digits right, with "
            f"about a fifth of the weights of an MLP of the same widths; its learning rate follows a cosine down to "
            f"0 so that it ends calm.",
            f"一个小型 CNN（两个卷积块，8 和 16 个通道）学习 1797 张 8x8 手写数字，其中 80% 用于训练。"
            f"{IMAGE_STEPS} 步之内它能认对 95% 以上的测试数字，所用的权重约为同样宽度的 MLP 的五分之一；"
            f"学习率按余弦曲线降到 0，使训练平稳收尾。",
        ),
        changes={
            "dataset": {"name": "digits", "n_samples": 1797, "train_fraction": 0.8, "noise": 0.0},
            "model": {
                "kind": "cnn",
                "channels": [8, 16],
                "kernel_size": 3,
                "pooling": "max",
                "hidden": [32],
                "activation": "relu",
            },
            "optimizer": {"name": "adam", "lr": 0.01},
            "schedule": {"name": "cosine", "min_lr_ratio": 0.0},
            "batch_size": 32,
            "steps": IMAGE_STEPS,
        },
        goals=(Goal("test_acc", 0.95, above=True),),
    ),
)


def demo(demo_id: str) -> Demo:
    found = next((d for d in DEMOS if d.id == demo_id), None)
    if found is None:
        raise KeyError(f"demo: no demo '{demo_id}' (known: {', '.join(d.id for d in DEMOS)})")
    return found
