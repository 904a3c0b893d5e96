"""The single source of truth for every user-facing choice.

A Choice has a name (what configs and URLs use), a label, a one-line description (the UI's tooltip) and
the names of the parameters it reads. Every parameter is defined once in PARAMS, with its range and
default (a choice may have its own default for one: RMSprop's momentum is 0); config.py builds its
pydantic fields from PARAMS and its enums from the choice lists, and /api/options serves both. Adding an
entry here adds it to the API, the UI and the docs at once; its Simplified Chinese label and description
go in registry_zh.py (a test fails for an entry without them).
"""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from glassnet.registry_zh import CHOICES_ZH, PARAMS_ZH


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    description: str
    default: float | int | str
    min: float | None = None
    max: float | None = None
    log: bool = False  # a log-scale slider suits it (learning rates, epsilons)
    integer: bool = False
    options: tuple[str, ...] = ()  # for a parameter that is itself a choice

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["options"] = list(self.options)
        out["label_zh"], out["description_zh"] = PARAMS_ZH.get(self.name, (self.label, self.description))
        return out


@dataclass(frozen=True)
class Choice:
    name: str
    label: str
    description: str
    params: tuple[str, ...] = ()
    tags: dict[str, Any] = field(default_factory=dict)  # facts others read (an activation's bounds, a task)
    # this choice's own defaults for some of its parameters (RMSprop's momentum is 0, the Momentum optimizer's 0.9)
    defaults: dict[str, Any] = field(default_factory=dict)

    def to_json(self, group: str) -> dict[str, Any]:
        """As /api/options serves it; `group` is the name of its list in CHOICES (for the translation)."""
        label_zh, description_zh = CHOICES_ZH.get(group, {}).get(self.name, (self.label, self.description))
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "label_zh": label_zh,
            "description_zh": description_zh,
            "params": [{**PARAMS[p].to_json(), **self._default_of(p)} for p in self.params],
            "tags": self.tags,
        }

    def _default_of(self, param: str) -> dict[str, Any]:
        return {"default": self.defaults[param]} if param in self.defaults else {}


def _p(*args: Any, **kwargs: Any) -> tuple[str, Param]:
    param = Param(*args, **kwargs)
    return param.name, param


PARAMS: dict[str, Param] = dict(
    [
        # activations
        _p("slope", "Negative slope", "Slope for x < 0 (leaky ReLU).", 0.01, 0.0, 1.0),
        _p("alpha", "Alpha", "Value ELU tends to for very negative x (its lower bound is -alpha).", 1.0, 0.01, 5.0),
        _p(
            "beta",
            "Beta",
            "Sharpness of softplus: log(1 + exp(beta x)) / beta; large beta is close to ReLU.",
            1.0,
            0.1,
            50.0,
        ),
        # initializers
        _p("value", "Value", "Every weight starts at this value.", 0.0, -10.0, 10.0),
        _p("std", "Std", "Standard deviation of the normal the weights are drawn from.", 0.1, 0.0, 10.0, log=False),
        _p("bound", "Bound", "Weights are drawn uniformly from [-bound, bound].", 0.1, 0.0, 10.0),
        _p("gain", "Gain", "Multiplies the initial weights (1 = the method's own scale).", 1.0, 0.0, 10.0),
        _p(
            "mode",
            "Fan mode",
            "fan_in keeps the forward signal's scale, fan_out the backward gradient's.",
            "fan_in",
            options=("fan_in", "fan_out"),
        ),
        # optimizers
        _p("lr", "Learning rate", "Step size of each update.", 0.01, 1e-6, 10.0, log=True),
        _p("momentum", "Momentum", "Share of the previous update carried into this one.", 0.9, 0.0, 0.999),
        _p("beta1", "Beta 1", "Decay of the running mean of gradients (momentum).", 0.9, 0.0, 0.9999),
        _p("beta2", "Beta 2", "Decay of the running mean of squared gradients.", 0.999, 0.0, 0.99999),
        _p("eps", "Epsilon", "Added to the denominator so the step stays finite.", 1e-8, 1e-12, 1.0, log=True),
        _p("rho", "Rho", "Decay of AdaDelta's / RMSprop's running averages.", 0.9, 0.0, 0.9999),
        _p(
            "weight_decay",
            "Weight decay (L2)",
            "Shrinks every weight towards 0 each step (L2 regularization).",
            0.0,
            0.0,
            1.0,
        ),
        # schedules
        _p(
            "step_size",
            "Step every",
            "Multiply the learning rate by gamma every this many steps.",
            1000,
            1,
            10**6,
            integer=True,
        ),
        _p(
            "gamma",
            "Gamma",
            "Factor the learning rate is multiplied by (per step_size steps, or per step).",
            0.5,
            0.0,
            1.0,
        ),
        _p(
            "warmup_steps",
            "Warm-up steps",
            "Steps over which the learning rate rises linearly from 0.",
            200,
            0,
            10**6,
            integer=True,
        ),
        _p("min_lr_ratio", "Final ratio", "Learning rate at the end, as a share of the initial one.", 0.0, 0.0, 1.0),
        _p(
            "patience",
            "Patience",
            "Evaluations without improvement of the test loss before acting.",
            10,
            1,
            1000,
            integer=True,
        ),
        _p("factor", "Factor", "Factor the learning rate is multiplied by on a plateau.", 0.5, 0.01, 0.99),
        # clipping
        _p(
            "max_norm", "Max norm", "The global gradient norm is scaled down to at most this.", 1.0, 1e-4, 1e4, log=True
        ),
        _p("clip_value", "Max value", "Every gradient entry is clipped to [-value, value].", 1.0, 1e-4, 1e4, log=True),
    ]
)

# bounds (lo, hi) of an activation's output, for the saturation metric; None where it is unbounded
ACTIVATIONS: tuple[Choice, ...] = (
    Choice(
        "relu",
        "ReLU",
        "max(0, x). Fast to train, but a unit whose input is always negative dies.",
        tags={"bounds": [0.0, None], "dead": True},
    ),
    Choice(
        "leaky_relu",
        "Leaky ReLU",
        "x for x > 0, slope * x below: a small gradient keeps units alive.",
        ("slope",),
        tags={"bounds": [None, None], "dead": True},
    ),
    Choice(
        "prelu",
        "PReLU",
        "Leaky ReLU whose negative slope is learned (one per layer, starting at 0.25).",
        tags={"bounds": [None, None], "dead": True},
    ),
    Choice(
        "rrelu",
        "RReLU",
        "Leaky ReLU with a random slope in [1/8, 1/3] while training, the mean at test.",
        tags={"bounds": [None, None], "dead": True},
    ),
    Choice(
        "elu",
        "ELU",
        "x for x > 0, alpha * (exp(x) - 1) below: smooth, negative outputs push the mean to 0.",
        ("alpha",),
        tags={"bounds": ["-alpha", None], "dead": False},
    ),
    Choice(
        "selu",
        "SELU",
        "Scaled ELU whose fixed constants keep activations near mean 0, std 1 (self-normalizing).",
        tags={"bounds": [-1.7581, None], "dead": False},
    ),
    Choice("gelu", "GELU", "x * Phi(x): a smooth ReLU used in transformers.", tags={"bounds": [-0.17, None]}),
    Choice(
        "silu", "SiLU / Swish", "x * sigmoid(x): smooth, slightly negative for x < 0.", tags={"bounds": [-0.2785, None]}
    ),
    Choice(
        "softplus",
        "Softplus",
        "log(1 + exp(beta x)) / beta: a smooth ReLU that never has a zero gradient.",
        ("beta",),
        tags={"bounds": [0.0, None]},
    ),
    Choice(
        "sigmoid",
        "Sigmoid",
        "Squashes to (0, 1); saturates and its gradient is at most 0.25, so deep stacks vanish.",
        tags={"bounds": [0.0, 1.0]},
    ),
    Choice(
        "tanh",
        "Tanh",
        "Squashes to (-1, 1), zero-centred; saturates (gradient near 0) for large |x|.",
        tags={"bounds": [-1.0, 1.0]},
    ),
    Choice(
        "linear",
        "Linear",
        "No non-linearity: a stack of linear layers is just one linear map.",
        tags={"bounds": [None, None]},
    ),
)

INITIALIZERS: tuple[Choice, ...] = (
    Choice("default", "PyTorch default", "What nn.Linear / nn.Conv2d do: uniform with bound 1/sqrt(fan_in)."),
    Choice("zeros", "Zeros", "Every weight 0: all units of a layer compute the same thing and stay identical."),
    Choice("constant", "Constant", "Every weight the same value: symmetric, like zeros.", ("value",)),
    Choice(
        "normal", "Normal", "Weights from N(0, std^2): too small shrinks signals, too large saturates them.", ("std",)
    ),
    Choice("uniform", "Uniform", "Weights from U(-bound, bound).", ("bound",)),
    Choice(
        "xavier_uniform", "Xavier (uniform)", "Glorot: variance 2/(fan_in + fan_out), for tanh and sigmoid.", ("gain",)
    ),
    Choice("xavier_normal", "Xavier (normal)", "Glorot with a normal distribution.", ("gain",)),
    Choice(
        "kaiming_uniform",
        "Kaiming (uniform)",
        "He: variance 2/fan_in with the gain of the activation, for ReLU.",
        ("mode",),
    ),
    Choice("kaiming_normal", "Kaiming (normal)", "He with a normal distribution.", ("mode",)),
    Choice("orthogonal", "Orthogonal", "A (semi-)orthogonal matrix times gain: preserves norms exactly.", ("gain",)),
    Choice("identity", "Identity", "The identity matrix times gain (square weights; IRNN for ReLU RNNs).", ("gain",)),
)

BIAS_INITS: tuple[Choice, ...] = (
    Choice("zeros", "Zeros", "Biases start at 0."),
    Choice("constant", "Constant", "Biases start at a value; a negative one can kill ReLU units.", ("value",)),
)

OPTIMIZERS: tuple[Choice, ...] = (
    Choice("sgd", "SGD", "Plain stochastic gradient descent: w -= lr * grad.", ("lr", "weight_decay")),
    Choice(
        "momentum",
        "Momentum",
        "SGD with a velocity: v = momentum * v + grad; w -= lr * v.",
        ("lr", "momentum", "weight_decay"),
    ),
    Choice(
        "nesterov",
        "Nesterov",
        "Momentum that looks ahead: the gradient is taken where momentum is heading.",
        ("lr", "momentum", "weight_decay"),
    ),
    Choice(
        "adagrad",
        "AdaGrad",
        "Divides by the root of all past squared gradients: the step only ever shrinks.",
        ("lr", "eps", "weight_decay"),
    ),
    Choice(
        "rmsprop",
        "RMSprop",
        "Divides by a running root-mean-square of recent gradients.",
        ("lr", "rho", "momentum", "eps", "weight_decay"),
        defaults={"momentum": 0.0},  # plain RMSprop, as torch and Keras default to; momentum is an option
    ),
    Choice(
        "adadelta",
        "AdaDelta",
        "RMSprop with units fixed by a running mean of past updates; lr ~1 works.",
        ("lr", "rho", "eps", "weight_decay"),
    ),
    Choice(
        "adam",
        "Adam",
        "Momentum plus a per-weight step size from a running mean of squared gradients.",
        ("lr", "beta1", "beta2", "eps", "weight_decay"),
    ),
    Choice(
        "adamw",
        "AdamW",
        "Adam with weight decay applied to the weights directly, not through the gradient.",
        ("lr", "beta1", "beta2", "eps", "weight_decay"),
    ),
)

SCHEDULES: tuple[Choice, ...] = (
    Choice("constant", "Constant", "The learning rate never changes."),
    Choice("step", "Step decay", "Multiply the learning rate by gamma every step_size steps.", ("step_size", "gamma")),
    Choice("exponential", "Exponential", "Multiply the learning rate by gamma after every step.", ("gamma",)),
    Choice(
        "cosine", "Cosine", "Follow half a cosine from the initial rate down to min_lr_ratio of it.", ("min_lr_ratio",)
    ),
    Choice(
        "warmup_cosine",
        "Warm-up + cosine",
        "Rise linearly for warmup_steps, then follow a cosine down.",
        ("warmup_steps", "min_lr_ratio"),
    ),
    Choice(
        "plateau",
        "Reduce on plateau",
        "Multiply by factor when the test loss has not improved for patience evaluations.",
        ("patience", "factor"),
    ),
)

CLIPPING: tuple[Choice, ...] = (
    Choice("none", "None", "Gradients are used as they are."),
    Choice(
        "norm",
        "By global norm",
        "If the norm of all gradients together exceeds max_norm, scale them down.",
        ("max_norm",),
    ),
    Choice("value", "By value", "Clip every gradient entry to [-clip_value, clip_value].", ("clip_value",)),
)

NORMS: tuple[Choice, ...] = (
    Choice("none", "None", "No normalization."),
    Choice("batch", "Batch norm", "Normalize each unit over the batch (running statistics at evaluation)."),
    Choice("layer", "Layer norm", "Normalize each example over the layer's units (the same in training and test)."),
)

NORM_POSITIONS: tuple[Choice, ...] = (
    Choice("before", "Before activation", "Linear -> Norm -> Activation (as in the BN paper)."),
    Choice("after", "After activation", "Linear -> Activation -> Norm."),
)

LOSSES: tuple[Choice, ...] = (
    Choice("auto", "By task", "Cross-entropy for classification, MSE for regression."),
    Choice("mse", "MSE", "Mean squared error; on a sigmoid output it learns slowly when confidently wrong."),
    Choice("bce", "Binary cross-entropy", "For two classes: -log of the sigmoid probability of the right class."),
    Choice("ce", "Cross-entropy", "For several classes: -log softmax of the right class."),
)

PREPROCESSING: tuple[Choice, ...] = (
    Choice("none", "None", "Inputs as generated."),
    Choice("minmax", "Min-max", "Scale every feature to [0, 1] (statistics from the training set)."),
    Choice("standardize", "Standardize", "Every feature to mean 0, std 1."),
    Choice("whiten", "PCA whitening", "Decorrelate the features and give each unit variance (condition number 1)."),
)

MODEL_KINDS: tuple[Choice, ...] = (
    # reads: the dataset inputs (a dataset's "input" tag) the model can train on; made_for: those it is the one
    # to pick for (the UI switches to it when such a dataset is chosen)
    Choice(
        "mlp",
        "MLP",
        "Fully connected blocks: Linear -> (Norm) -> Activation -> (Dropout).",
        tags={"reads": ["plane", "curve", "table", "sequence", "image"], "made_for": ["plane", "curve", "table"]},
    ),
    Choice(
        "cnn",
        "CNN",
        "Convolution blocks with pooling, then a linear head (images only).",
        tags={"reads": ["image"], "made_for": ["image"]},
    ),
    Choice(
        "rnn",
        "RNN",
        "A recurrent network over the sequence, its last state into a linear head.",
        tags={"reads": ["sequence"], "made_for": ["sequence"]},
    ),
)

# tags: "activation" names the ACTIVATIONS entry of the cell's state (what the model reports and inits for)
RNN_CELLS: tuple[Choice, ...] = (
    Choice(
        "rnn_tanh",
        "RNN (tanh)",
        "h_t = tanh(W x_t + U h_(t-1) + b): gradients through time vanish or explode.",
        tags={"activation": "tanh"},
    ),
    Choice(
        "rnn_relu",
        "RNN (ReLU)",
        "A ReLU recurrence; with identity recurrent init (IRNN) it remembers longer.",
        tags={"activation": "relu"},
    ),
    Choice(
        "lstm",
        "LSTM",
        "Gates and an additive cell state carry gradients over many steps (the forget gate's bias starts at 1).",
        tags={"activation": "tanh"},
    ),
    Choice(
        "gru", "GRU", "An update gate interpolates between the old state and a new one.", tags={"activation": "tanh"}
    ),
)

POOLING: tuple[Choice, ...] = (
    Choice("max", "Max", "Keep the largest value of each 2x2 window."),
    Choice("avg", "Average", "Average each 2x2 window."),
    Choice("none", "None", "No pooling: the maps keep their size."),
)

FEATURES: tuple[Choice, ...] = (
    Choice("x1", "X1", "The first coordinate."),
    Choice("x2", "X2", "The second coordinate."),
    Choice("x1_sq", "X1²", "The first coordinate squared."),
    Choice("x2_sq", "X2²", "The second coordinate squared."),
    Choice("x1x2", "X1·X2", "The product of the coordinates."),
    Choice("sin_x1", "sin(πX1)", "Sine of pi times the first coordinate."),
    Choice("sin_x2", "sin(πX2)", "Sine of pi times the second coordinate."),
)

# task: binary | multiclass | regression;  input: plane (2-D points) | curve (1-D) | sequence | image
DATASETS: tuple[Choice, ...] = (
    Choice(
        "circle",
        "Circle",
        "Two classes: points inside a circle and points on a ring around it.",
        tags={"task": "binary", "input": "plane"},
    ),
    Choice(
        "xor",
        "XOR",
        "Two classes by the sign of x1 * x2: not separable by one line.",
        tags={"task": "binary", "input": "plane"},
    ),
    Choice(
        "gauss",
        "Gaussians",
        "Two Gaussian blobs: the easiest, almost linearly separable.",
        tags={"task": "binary", "input": "plane"},
    ),
    Choice(
        "spiral",
        "Spiral",
        "Two interleaved spirals: needs depth or many units.",
        tags={"task": "binary", "input": "plane"},
    ),
    Choice("moons", "Moons", "Two interleaving half circles.", tags={"task": "binary", "input": "plane"}),
    Choice(
        "plane",
        "Plane",
        "Regression: the target is a linear function of x1 and x2.",
        tags={"task": "regression", "input": "plane"},
    ),
    Choice(
        "multigauss",
        "Multi-Gaussian",
        "Regression: the target is a sum of Gaussian bumps over the plane.",
        tags={"task": "regression", "input": "plane"},
    ),
    Choice(
        "sine",
        "Sine",
        "1-D regression: y = sin(3x). Universal approximation with one hidden layer.",
        tags={"task": "regression", "input": "curve"},
    ),
    Choice(
        "step",
        "Step",
        "1-D regression: a step at x = 0, hard for smooth units.",
        tags={"task": "regression", "input": "curve"},
    ),
    Choice(
        "abs",
        "Absolute value",
        "1-D regression: y = |x|, two ReLUs are enough.",
        tags={"task": "regression", "input": "curve"},
    ),
    Choice(
        "poly", "Polynomial", "1-D regression: a cubic with two bends.", tags={"task": "regression", "input": "curve"}
    ),
    Choice(
        "adding",
        "Adding problem",
        "Sequence of (value, marker) pairs; output the sum of the two marked values.",
        tags={"task": "regression", "input": "sequence"},
    ),
    Choice(
        "copy",
        "Copy / memory",
        "Remember the symbol shown at the first step and output it after T steps.",
        tags={"task": "multiclass", "input": "sequence"},
    ),
    Choice(
        "parity", "Parity", "Is the number of ones in a bit sequence odd?", tags={"task": "binary", "input": "sequence"}
    ),
    Choice(
        "digits",
        "Digits 8x8",
        "scikit-learn's 1797 handwritten digits, 8x8 pixels, 10 classes.",
        tags={"task": "multiclass", "input": "image"},
    ),
    Choice(
        "upload",
        "Uploaded CSV",
        "Your own data: a CSV uploaded with POST /api/datasets; set dataset.upload to its id.",
        tags={"task": "from the file", "input": "from the file"},
    ),
)

DEVICES: tuple[Choice, ...] = (
    Choice("auto", "Auto", "CUDA when the server has a GPU, else the CPU."),
    Choice("cpu", "CPU", "Always train on the CPU."),
    Choice("cuda", "CUDA", "Train on the GPU; refused if the server has none."),
)


# the enum of each list of CHOICES, by the list's name (enum_of records them; /api/options names each list's enum)
CHOICE_ENUMS: dict[str, type[StrEnum]] = {}


def enum_of(name: str, choices: tuple[Choice, ...]) -> type[StrEnum]:
    """A str enum of the choices' names, so pydantic validates them and OpenAPI lists them."""
    enum = StrEnum(name, {c.name: c.name for c in choices})  # type: ignore[misc]
    for group, listed in CHOICES.items():
        if listed is choices:
            CHOICE_ENUMS[group] = enum
    return enum


def find(choices: tuple[Choice, ...], name: str) -> Choice:
    for choice in choices:
        if choice.name == name:
            return choice
    raise KeyError(name)


# every list of choices, by the name /api/options serves it under
CHOICES: dict[str, tuple[Choice, ...]] = {
    "activations": ACTIVATIONS,
    "initializers": INITIALIZERS,
    "bias_inits": BIAS_INITS,
    "optimizers": OPTIMIZERS,
    "schedules": SCHEDULES,
    "clipping": CLIPPING,
    "norms": NORMS,
    "norm_positions": NORM_POSITIONS,
    "losses": LOSSES,
    "preprocessing": PREPROCESSING,
    "model_kinds": MODEL_KINDS,
    "rnn_cells": RNN_CELLS,
    "pooling": POOLING,
    "features": FEATURES,
    "datasets": DATASETS,
    "devices": DEVICES,
}
