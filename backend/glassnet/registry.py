"""The single source of truth for every user-facing choice.

Each entry has a name (what configs and URLs use), a label and a one-line description (what the UI
shows as a tooltip). /api/options serves these lists; config.py builds its enums from them, so adding an
entry here adds it to the API, the UI and the docs at once.
"""

from dataclasses import asdict, dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Choice:
    name: str
    label: str
    description: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


ACTIVATIONS: tuple[Choice, ...] = (
    Choice("relu", "ReLU", "max(0, x). Fast to train, but a unit whose input is always negative dies."),
    Choice("tanh", "Tanh", "Squashes to (-1, 1), zero-centred; saturates (gradient near 0) for large |x|."),
    Choice(
        "sigmoid",
        "Sigmoid",
        "Squashes to (0, 1); saturates and its gradient is at most 0.25, so deep stacks vanish.",
    ),
)

OPTIMIZERS: tuple[Choice, ...] = (
    Choice("sgd", "SGD", "Plain stochastic gradient descent: w -= lr * grad."),
    Choice("adam", "Adam", "Momentum plus a per-weight step size from a running mean of squared gradients."),
)

DATASETS: tuple[Choice, ...] = (
    Choice("circle", "Circle", "Two classes: points inside a circle and points on a ring around it."),
    Choice("xor", "XOR", "Two classes by the sign of x1 * x2: not separable by one line."),
    Choice("gauss", "Gaussians", "Two Gaussian blobs: the easiest, almost linearly separable."),
    Choice("spiral", "Spiral", "Two interleaved spirals: needs depth or many units."),
    Choice("moons", "Moons", "Two interleaving half circles."),
)

DEVICES: tuple[Choice, ...] = (
    Choice("auto", "Auto", "CUDA when the server has a GPU, else the CPU."),
    Choice("cpu", "CPU", "Always train on the CPU."),
    Choice("cuda", "CUDA", "Train on the GPU; the run fails if the server has none."),
)


def enum_of(name: str, choices: tuple[Choice, ...]) -> type[StrEnum]:
    """A str enum of the choices' names, so pydantic validates them and OpenAPI lists them."""
    return StrEnum(name, {c.name: c.name for c in choices})  # type: ignore[return-value]


def find(choices: tuple[Choice, ...], name: str) -> Choice:
    for choice in choices:
        if choice.name == name:
            return choice
    raise KeyError(name)
