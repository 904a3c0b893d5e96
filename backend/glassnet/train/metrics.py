"""The metric registry: every measurement Glassnet makes, defined once.

Each Metric has a name (the key in frames, history, /metrics, exports), a scope (one value per run, per
layer or per time step), a cadence (measured on every frame, or on detail frames only), a unit, a label and
a one-line meaning in English and Simplified Chinese, and the function that measures it from a Probe (which
holds the fixed batches, the hooks' records and the intermediates that several metrics share). Frames,
the history, `GET /api/metrics`, exports, the CLI, the lessons and the UI's charts all read this list:
adding a metric is one entry here plus its oracle test.

A measure function returns a tensor shaped like its scope: () for a run, (layers, *trailing) for a layer
metric (NaN where it does not apply to a layer), (time steps,) for a time metric. Views are the dense
arrays of detail frames (grids, histograms, maps): only the newest is kept, never a history of them; a
per-layer view returns {layer index: tensor} for the layers it applies to.

Cohorts (many runs batched as one model, issue 10) keep this contract with a leading member dimension: a
measure function then returns (members, *scope shape), the one host copy (probe.fetch) splits it into a
reading per member, and the history, the wire and the UI stay as they are.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import torch

if TYPE_CHECKING:
    from glassnet.train.probe import Probe

Scope = Literal["run", "layer", "time"]
Cadence = Literal["frame", "detail"]
Kind = Literal["series", "view"]
# None: nothing to measure this time (no training step since the last reading, for the train loss)
Measure = Callable[["Probe"], "torch.Tensor | float | dict[int, torch.Tensor] | None"]

PERCENTILES = (0, 7, 16, 31, 50, 69, 84, 93, 100)  # TensorBoard's distribution bands
# a metric's unit: its key, and how an axis names it in English and Simplified Chinese ("" for a plain number)
UNITS: dict[str, tuple[str, str]] = {
    "": ("", ""),
    "share": ("share, 0-1", "比例，0-1"),
    "log10": ("log10", "log10"),
    "s": ("s", "秒"),
}
HIST_BINS = 30


GATE_NAMES = (("input", "输入"), ("forget", "遗忘"), ("output", "输出"), ("update", "更新"), ("reset", "重置"))


def _always(_probe: "Probe") -> bool:
    return True


@dataclass(frozen=True)
class Metric:
    name: str
    scope: Scope
    cadence: Cadence
    unit: str  # one of UNITS
    label: str
    label_zh: str
    meaning: str
    meaning_zh: str
    measure: Measure
    kind: Kind = "series"
    # the meaning of a trailing axis (a layer metric with several values per layer), e.g. the percentiles
    trailing: tuple[str, ...] = ()
    applies: Callable[["Probe"], bool] = _always  # whether a model has this figure at all
    log: bool = False  # best plotted on a log axis
    summary: bool = False  # one of the run's headline figures (RunInfo.summary, the CLI's table)
    keyed: bool = False  # a view with one array per layer it applies to: {layer index: array}

    @property
    def in_history(self) -> bool:
        return self.kind == "series"

    def to_json(self) -> dict[str, Any]:
        """As GET /api/metrics serves it."""
        return {
            "name": self.name,
            "scope": self.scope,
            "cadence": self.cadence,
            "kind": self.kind,
            "unit": self.unit,
            "unit_label": UNITS[self.unit][0],
            "unit_label_zh": UNITS[self.unit][1],
            "label": self.label,
            "label_zh": self.label_zh,
            "meaning": self.meaning,
            "meaning_zh": self.meaning_zh,
            "trailing": list(self.trailing),
            "log": self.log,
            "summary": self.summary,
        }


def _recurrent(p: "Probe") -> bool:
    return bool(p.recurrent)


def _gate(name: str) -> Callable[["Probe"], bool]:
    return lambda p: any(name in gates for gates in p.gate_names)


def _classifies(p: "Probe") -> bool:
    return p.objective.task != "regression"


def _has_bn(p: "Probe") -> bool:
    return bool(p.norms)


METRICS: tuple[Metric, ...] = (
    # ---- run scope, every frame
    Metric(
        "train_loss", "run", "frame", "", "train loss", "训练损失",
        "Mean of the training batches' losses since the previous frame.",
        "自上一帧以来各训练批次损失的平均值。",
        lambda p: None if p.tick.losses is None else p.tick.losses.mean(), summary=True, log=True,
    ),
    Metric(
        "lr", "run", "frame", "", "learning rate", "学习率",
        "The learning rate of the frame's step, after the schedule.",
        "该帧这一步所用的学习率（已按调度调整）。",
        lambda p: p.tick.lr, log=True,
    ),
    Metric(
        "epoch", "run", "frame", "", "epoch", "轮次",
        "Passes over the training set so far.", "到目前为止遍历训练集的次数。",
        lambda p: p.tick.epoch,
    ),
    Metric(
        "time", "run", "frame", "s", "time", "时间",
        "Seconds since the run started training.", "自训练开始以来的秒数。",
        lambda p: p.tick.elapsed, summary=True,
    ),
    # ---- run scope, detail
    Metric(
        "test_loss", "run", "detail", "", "test loss", "测试损失",
        "Loss on the held-out test set (at most 1024 points), in eval mode.",
        "在留出的测试集（至多 1024 个点）上的损失，评估模式。",
        lambda p: p.test_loss, summary=True, log=True,
    ),
    Metric(
        "train_acc", "run", "detail", "share", "train accuracy", "训练准确率",
        "Share of the fixed probe batch (256 training points) classified right; none for regression.",
        "固定探测批次（256 个训练点）中分类正确的比例；回归任务没有此项。",
        lambda p: p.train_acc, summary=True, applies=_classifies,
    ),
    Metric(
        "test_acc", "run", "detail", "share", "test accuracy", "测试准确率",
        "Share of the test set classified right; none for regression.",
        "测试集中分类正确的比例；回归任务没有此项。",
        lambda p: p.test_acc, summary=True, applies=_classifies,
    ),
    # ---- per layer, every frame
    Metric(
        "grad_norm", "layer", "frame", "", "gradient norm", "梯度范数",
        "L2 norm of the layer's weight gradient in the frame's step, before clipping.",
        "该帧这一步中该层权重梯度的 L2 范数（裁剪之前）。",
        lambda p: p.tick.grad_norms, log=True,
    ),
    Metric(
        "act_grad_norm", "layer", "frame", "", "output gradient norm", "输出梯度范数",
        "L2 norm of dL/d(layer output) over the training batch of the frame's step.",
        "该帧这一步训练批次上 dL/d(层输出) 的 L2 范数。",
        lambda p: p.act_grad_norms(), log=True,
    ),
    Metric(
        "weight_norm", "layer", "frame", "", "weight norm", "权重范数",
        "L2 norm of the layer's weights (no biases, no norm parameters).",
        "该层权重的 L2 范数（不含偏置和归一化参数）。",
        lambda p: p.weight_norms(),
    ),
    Metric(
        "update_norm", "layer", "frame", "", "update norm", "更新范数",
        "L2 norm of the change of the layer's weights in the frame's step, ‖ΔW‖.",
        "该帧这一步中该层权重变化量的 L2 范数 ‖ΔW‖。",
        lambda p: p.update_norms(), log=True,
    ),
    Metric(
        "update_ratio", "layer", "frame", "log10", "update ratio", "更新比",
        "log10(‖ΔW‖ / ‖W‖) of the frame's step; about -3 is healthy.",
        "该帧这一步的 log10(‖ΔW‖ / ‖W‖)；约为 -3 属于健康。",
        lambda p: torch.log10(p.update_norms() / p.weight_norms()),
    ),
    # ---- per layer, detail (on the fixed probe batch, in eval mode)
    Metric(
        "act_mean", "layer", "detail", "", "activation mean", "激活均值",
        "Mean of the layer's output over the probe batch.", "该层输出在探测批次上的均值。",
        lambda p: p.by_group(lambda g: g.flat.mean(1)),
    ),
    Metric(
        "act_std", "layer", "detail", "", "activation std", "激活标准差",
        "Standard deviation of the layer's output over the probe batch.", "该层输出在探测批次上的标准差。",
        lambda p: p.by_group(lambda g: (g.flat - g.flat.mean(1, keepdim=True)).pow(2).mean(1).sqrt()),
    ),
    Metric(
        "percentiles", "layer", "detail", "", "activation percentiles", "激活分位数",
        "Percentiles 0, 7, 16, 31, 50, 69, 84, 93, 100 of the layer's output over the probe batch.",
        "该层输出在探测批次上的第 0、7、16、31、50、69、84、93、100 百分位数。",
        lambda p: p.by_group(lambda g: percentiles(g.ordered), len(PERCENTILES)),
        trailing=tuple(str(q) for q in PERCENTILES),  # the percentile of each value
    ),
    Metric(
        "hist_range", "layer", "detail", "", "histogram range", "直方图范围",
        "The lowest and highest output of the layer: the range its histogram's bins divide.",
        "该层输出的最小值和最大值：直方图各箱划分的范围。",
        lambda p: p.by_group(lambda g: torch.stack([g.lo, g.hi], 1), 2),
        trailing=("low", "high"),
    ),
    Metric(
        "hist", "layer", "detail", "share", "activation histogram", "激活直方图",
        f"Share of the layer's outputs in each of {HIST_BINS} equal bins over its range.",
        f"该层输出落在其范围内 {HIST_BINS} 个等宽箱中每一箱的比例。",
        lambda p: p.by_group(lambda g: histogram(g.ordered, g.lo, g.hi), HIST_BINS),
        kind="view",
    ),
    Metric(
        "dead_fraction", "layer", "detail", "share", "dead units", "死亡单元",
        "Share of units whose output is exactly 0 for every probe example (ReLU family only).",
        "对每个探测样本输出都恰好为 0 的单元比例（仅 ReLU 一族）。",
        lambda p: p.dead_fractions(),
    ),
    Metric(
        "saturation", "layer", "detail", "share", "saturation", "饱和度",
        "Share of outputs within 3% of the activation's bounds (bounded activations only).",
        "落在激活函数边界 3% 以内的输出比例（仅有界激活函数）。",
        lambda p: p.saturations(),
    ),
    Metric(
        "unit_diversity", "layer", "detail", "", "unit diversity", "单元多样性",
        "Spread of the units' incoming weight vectors: RMS distance to unit 0's over their RMS norm; "
        "exactly 0 when every unit is the same (zero init).",
        "各单元输入权重向量的离散程度：到第 0 个单元的均方根距离除以均方根范数；所有单元相同时（零初始化）恰为 0。",
        lambda p: p.diversities(),
    ),
    Metric(
        "bn_batch_mean", "layer", "detail", "", "BN batch mean", "BN 批均值",
        "Batch norm: mean over channels of the training batch's mean, as the norm saw it.",
        "批归一化：训练批次均值在各通道上的平均。",
        lambda p: p.bn_stat(0), applies=_has_bn,
    ),
    Metric(
        "bn_batch_var", "layer", "detail", "", "BN batch variance", "BN 批方差",
        "Batch norm: mean over channels of the training batch's variance.",
        "批归一化：训练批次方差在各通道上的平均。",
        lambda p: p.bn_stat(1), applies=_has_bn,
    ),
    Metric(
        "bn_running_mean", "layer", "detail", "", "BN running mean", "BN 滑动均值",
        "Batch norm: mean over channels of the running mean used in eval mode.",
        "批归一化：评估模式所用滑动均值在各通道上的平均。",
        lambda p: p.bn_stat(2), applies=_has_bn,
    ),
    Metric(
        "bn_running_var", "layer", "detail", "", "BN running variance", "BN 滑动方差",
        "Batch norm: mean over channels of the running variance used in eval mode.",
        "批归一化：评估模式所用滑动方差在各通道上的平均。",
        lambda p: p.bn_stat(3), applies=_has_bn,
    ),
    *(
        Metric(
            f"gate_{gate}", "layer", "detail", "share", f"{gate} gate", f"{zh}门",
            f"Mean activation of the recurrent layer's {gate} gate over the probe batch and every time step.",
            f"循环层{zh}门在探测批次和所有时间步上的平均激活。",
            (lambda g: lambda p: p.gate_means(g))(gate), applies=_gate(gate),
        )
        for gate, zh in GATE_NAMES
    ),
    # ---- per time step, detail
    Metric(
        "grad_time", "time", "detail", "", "gradient through time", "随时间的梯度",
        "‖dL/dh_t‖ of the last recurrent layer for every time step t, on the probe batch.",
        "最后一个循环层在每个时间步 t 的 ‖dL/dh_t‖（探测批次上）。",
        lambda p: p.through_time()[0], applies=_recurrent, log=True,
    ),
    # ---- views: dense arrays of detail frames, newest only
    Metric(
        "grid", "run", "detail", "", "output over the plane", "平面上的输出",
        "The net's output over a 24x24 grid of the input plane (the decision boundary).",
        "网络在输入平面 24x24 网格上的输出（决策边界）。",
        lambda p: p.grid_output(), kind="view", applies=lambda p: p.grid_x is not None,
    ),
    Metric(
        "unit_maps", "layer", "detail", "", "unit maps", "单元图",
        "Each unit's output over the input plane (12x12), for layers of at most 16 units.",
        "每个单元在输入平面上的输出（12x12），仅限至多 16 个单元的层。",
        lambda p: p.unit_maps(), kind="view", keyed=True, applies=lambda p: p.grid_x is not None,
    ),
    Metric(
        "curve", "run", "detail", "", "fitted curve", "拟合曲线",
        "The net's output at 100 points of the 1-D input range.", "网络在一维输入范围内 100 个点上的输出。",
        lambda p: p.curve_output(), kind="view", applies=lambda p: p.curve_x is not None,
    ),
    Metric(
        "weights", "layer", "detail", "", "weight matrix", "权重矩阵",
        "The weight matrix (fan-out x fan-in) of linear layers with at most 16 inputs and outputs: the graph's edges.",
        "输入和输出都不超过 16 的线性层的权重矩阵（输出 x 输入）：网络图的边。",
        lambda p: {i: p.layer_weights[i][0] for i in p.edges}, kind="view", keyed=True, applies=lambda p: bool(p.edges),
    ),
    Metric(
        "feature_maps", "layer", "detail", "", "feature maps", "特征图",
        "Conv layers' outputs for one test image of each class (images, channels, H, W).",
        "卷积层对每个类别一张测试图像的输出（图像、通道、高、宽）。",
        lambda p: p.feature_maps(), kind="view", keyed=True, applies=lambda p: bool(p.convs),
    ),
    Metric(
        "filters", "run", "detail", "", "first-layer filters", "第一层滤波器",
        "The first conv layer's kernels, averaged over input channels.", "第一个卷积层的卷积核（对输入通道取平均）。",
        lambda p: p.first_filters(), kind="view", applies=lambda p: bool(p.convs),
    ),
    Metric(
        "confusion", "run", "detail", "", "confusion matrix", "混淆矩阵",
        "Test examples by true class (rows) and predicted class (columns).",
        "按真实类别（行）和预测类别（列）统计的测试样本数。",
        lambda p: p.confusion(), kind="view", applies=lambda p: p.objective.task == "multiclass",
    ),
)  # fmt: skip

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
SERIES: tuple[Metric, ...] = tuple(m for m in METRICS if m.kind == "series")
VIEWS: tuple[Metric, ...] = tuple(m for m in METRICS if m.kind == "view")
SUMMARY: tuple[str, ...] = tuple(m.name for m in METRICS if m.summary)
# the headline figures of the net itself (the summary less the clock): a lesson arm's final figures
FINAL: tuple[str, ...] = tuple(name for name in SUMMARY if BY_NAME[name].unit != "s")


def percentiles(ordered: torch.Tensor) -> torch.Tensor:
    """PERCENTILES of each row of sorted values, interpolated linearly as numpy.percentile does."""
    n = ordered.shape[-1]
    position = torch.tensor([q / 100 * (n - 1) for q in PERCENTILES], device=ordered.device)
    low = position.floor().long()
    high = (low + 1).clamp(max=n - 1)
    return torch.lerp(ordered[..., low], ordered[..., high], position - low)


def histogram(ordered: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Share of each row's sorted values in each of HIST_BINS equal bins over [lo, hi] of that row."""
    steps = torch.linspace(0, 1, HIST_BINS + 1, device=ordered.device)[1:-1]
    edges = lo[:, None] + (hi - lo)[:, None] * steps  # (rows, inner edges)
    cuts = torch.searchsorted(ordered, edges)  # values below each inner edge
    total = ordered.shape[-1]
    counts = torch.diff(cuts, dim=1, prepend=cuts.new_zeros(len(cuts), 1), append=cuts.new_full((len(cuts), 1), total))
    return counts.float() / total
