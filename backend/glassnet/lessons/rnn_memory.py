"""Memory through time: a vanilla tanh RNN's gradient ||dL/dh_t|| shrinks by a factor at every step back in time,
so almost nothing reaches the first steps and it cannot learn the adding problem (the sum of two marked values, one
in the first half of the sequence). Gated cells carry the gradient: the LSTM through its cell state (its forget
gate starts mostly open: bias 1), the GRU through its update gate; the GRU learns the task within 150 steps. A ReLU
RNN with identity recurrent weights (IRNN, Le et al. 2015) passes the gradient back unchanged through its active
units, so it reaches the first step too; but its unbounded state makes it unstable, and here it does not learn.

Adding problem, T = 30, 1600 training sequences, hidden 32, Adam lr 0.01, batch 64, 150 steps (cf.
tests/phenomena/test_rnn_memory.py). ||dL/dh_1|| / ||dL/dh_T||, measured on seeds 0-4:
- at initialization: tanh RNN 3.9e-8 .. 1.4e-5 (threshold: below 1e-4); LSTM 1.0e-3 .. 2.7e-3 (threshold: above
  2e-4); GRU 5.1e-7 .. 1.8e-6 (not checked); IRNN 3.1 .. 19 (threshold: above 0.1). "At initialization" is the
  first frame, measured after the first update: for the IRNN that update matters (at lr 1e-6 the IRNN's ratio is
  0.59 .. 0.75; Adam's first step moves every recurrent weight by 0.01, which makes I + dU expansive).
- after 150 steps: GRU 0.41 .. 0.79 (threshold: above 0.1); test MSE GRU 0.024 .. 0.046, tanh RNN 0.155 .. 0.184
  (the baseline of predicting the mean sum is ~1/6; thresholds: tanh above 0.125, GRU below 0.5x the tanh RNN's;
  measured 0.15 .. 0.26x). The LSTM is still at the baseline at step 150 (0.154 .. 0.179; it leaves it after
  400-700 steps): not checked.
- the IRNN after 150 steps (not checked): its initial outputs are huge (test MSE at step 1: 5.4 .. 418, the ReLU
  state adds up 30 inputs), and Adam at lr 0.01 leaves it at or above the baseline, test MSE 0.17 .. 0.49; its
  gradient no longer reaches the start, ratio 0 .. 0.20 (exactly 0 over the first ~20 steps on three seeds: the
  ReLUs there are off). With gradient clipping at norm 1 its ratio stays 0.33 .. 0.70, but its test MSE is still
  near the baseline (0.077 .. 0.186).
Each seed took 2.8 .. 3.0 s here (four arms, the IRNN 0.5 s of it) while another job shared the CPU.
"""

from typing import TYPE_CHECKING

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict
from glassnet.lessons.figures import MEASURES, named

THRESHOLDS = {"tanh_init": 1e-4, "lstm_init": 2e-4, "gru_trained": 0.1, "tanh_loss": 0.125, "gru_vs_tanh": 0.5}
THRESHOLDS |= {"irnn_init": 0.1}
TANH_LABEL = Text("Vanilla RNN (tanh)", "普通 RNN（tanh）")

if TYPE_CHECKING:
    from glassnet.train.probe import Reading


def _carry(frame: "Reading") -> float:
    """||dL/dh_1|| / ||dL/dh_T||: how much of the gradient at the last step reaches the first."""
    grads = frame.get("grad_time") or []
    if not grads or grads[0] is None or not grads[-1]:
        return 0.0
    return grads[0] / grads[-1]


def verify(measured: dict[str, Measured]) -> Verdict:
    tanh, lstm, gru, irnn = measured["rnn_tanh"], measured["lstm"], measured["gru"], measured["irnn"]
    carry = {
        "tanh_init": _carry(tanh.first),
        "lstm_init": _carry(lstm.first),
        "gru_init": _carry(gru.first),
        "irnn_init": _carry(irnn.first),
        "tanh_trained": _carry(tanh.last),
        "lstm_trained": _carry(lstm.last),
        "gru_trained": _carry(gru.last),
        "irnn_trained": _carry(irnn.last),
    }
    tanh_loss = tanh.last["test_loss"] or float("inf")
    gru_loss = gru.last["test_loss"] or float("inf")
    lstm_loss = lstm.last["test_loss"]
    passed = (
        0.0 < carry["tanh_init"] < THRESHOLDS["tanh_init"]
        and carry["lstm_init"] > THRESHOLDS["lstm_init"]
        and carry["irnn_init"] > THRESHOLDS["irnn_init"]
        and carry["gru_trained"] > THRESHOLDS["gru_trained"]
        and tanh_loss > THRESHOLDS["tanh_loss"]
        and gru_loss < THRESHOLDS["gru_vs_tanh"] * tanh_loss
    )
    figures: dict[str, float | None] = {f"{k}_grad_ratio": v for k, v in carry.items()}
    irnn_loss = irnn.last["test_loss"]
    figures.update(
        {
            "tanh_test_loss": tanh_loss,
            "lstm_test_loss": lstm_loss,
            "gru_test_loss": gru_loss,
            "irnn_test_loss": irnn_loss,
        }
    )
    return Verdict(
        passed,
        figures,
        Text(
            "After the first update the gradient at the first step, relative to the last, is {ti:.1e} in the tanh RNN, "
            "{li:.1e} in the LSTM, {gi:.1e} in the GRU and {ii:.2g} in the IRNN. After training it is {gt:.2f} in the "
            "GRU, whose test "
            "MSE fell to {gl:.3f}, while the tanh RNN stayed at {tl:.3f} (guessing the mean sum gives about 0.167) "
            "and the IRNN ended at {il:.3f}.",
            "第一次更新后，能传到第一个时间步的梯度比例：tanh RNN 为 {ti:.1e}，LSTM 为 {li:.1e}，GRU 为 {gi:.1e}，"
            "IRNN 为 {ii:.2g}。训练后 GRU 的这一比例为 {gt:.2f}，其测试 MSE 降到 {gl:.3f}；"
            "而 tanh RNN 停留在 {tl:.3f}（总是猜平均和约为 0.167），IRNN 最终为 {il:.3f}。",
        ).format(
            ti=carry["tanh_init"],
            gi=carry["gru_init"],
            li=carry["lstm_init"],
            ii=carry["irnn_init"],
            gt=carry["gru_trained"],
            gl=gru_loss,
            tl=tanh_loss,
            il=irnn_loss if irnn_loss is not None else float("nan"),
        ),
    )


LESSON = Lesson(
    id="rnn-memory",
    order=15,
    title=Text("Memory in recurrent networks", "循环网络的记忆"),
    question=Text(
        "The adding problem: a sequence of 30 random values, two of them marked (one in the first half); the "
        "target is the sum of the two marked values. How much of the gradient at the last step reaches the first "
        "step, in a tanh RNN, a ReLU RNN with identity recurrent weights (IRNN), an LSTM and a GRU, and which of them "
        "learns the task?",
        "加法问题：一个由 30 个随机数组成的序列，其中两个被标记（一个在前半段），目标是这两个被标记的数之和。"
        "在 tanh RNN、循环权重初始化为单位矩阵的 ReLU RNN（IRNN）、LSTM 和 GRU 中，最后一步的梯度有多少能传回第一步？"
        "哪个能学会这个任务？",
    ),
    predictions=(
        Text(
            "Almost none in the tanh RNN, which never learns the sum; a GRU learns to carry it, and learns the sum",
            "tanh RNN 中几乎传不到，它始终学不会求和；GRU 学会了把梯度传回去，也学会了求和",
        ),
        Text(
            "All the same: backpropagation through time reaches every step equally, so all four learn the sum",
            "都一样：随时间反向传播能同样地到达每一步，所以四个都能学会求和",
        ),
        Text(
            "The tanh RNN learns fastest: it has the fewest parameters, and gates only slow the others down",
            "tanh RNN 学得最快：它的参数最少，门控只会拖慢其他网络",
        ),
    ),
    answer=0,
    base={
        "dataset": {"name": "adding", "n_samples": 2000, "noise": 0.0, "seq_len": 30, "train_fraction": 0.8},
        "model": {"kind": "rnn", "hidden": [], "activation": "tanh", "rnn_hidden": 32},
        "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 64,
    },
    arms=(
        Arm("rnn_tanh", TANH_LABEL, {"model": {"cell": "rnn_tanh"}}),
        Arm("lstm", Text("LSTM", "LSTM"), {"model": {"cell": "lstm"}}),
        Arm("gru", Text("GRU", "GRU"), {"model": {"cell": "gru"}}),
        Arm(
            "irnn",
            Text("ReLU RNN, identity init (IRNN)", "ReLU RNN，单位矩阵初始化（IRNN）"),
            {"model": {"cell": "rnn_relu", "recurrent_init": {"name": "identity", "gain": 1.0}}},
        ),
    ),
    steps=150,
    watch="sequences",
    explanation=Text(
        "Backpropagating one step through h_t = tanh(W x_t + U h_(t-1)) multiplies the gradient by U^T and by the "
        "tanh's slope (at most 1); when that product shrinks vectors, 29 steps shrink the gradient by orders of "
        "magnitude, so the first marked value has no influence on the update. An LSTM's cell state is updated "
        "additively, c_t = f c_(t-1) + i g, so the gradient flows back multiplied only by the forget gate f, which "
        "starts near sigmoid(1) ≈ 0.73 and can learn to stay near 1; a GRU's update gate mixes the old state in "
        "directly in the same way, but it starts half closed, so at first its gradient fades as fast as the tanh "
        "RNN's; within 150 steps it learns to keep the memory. The gates learn when to keep the memory, and the "
        "gradient through them stays "
        "large enough to learn from. The LSTM needs a few hundred steps more than the GRU here: run it longer. The "
        "IRNN, h_t = relu(W x_t + h_(t-1)) at the start, passes the gradient back unchanged through every active "
        "unit, so it reaches the first step as well as the gated cells; but its state is unbounded (it adds up the "
        "inputs), its first outputs are huge, and with the same Adam step it does not learn the sum here: carrying "
        "the gradient is necessary, not sufficient.",
        "沿 h_t = tanh(W x_t + U h_(t-1)) 反向传播一步，梯度要乘以 U^T 和 tanh 的斜率（最大为 1）；当这个乘积使向量"
        "变短时，29 步下来梯度会缩小好几个数量级，第一个被标记的数对参数更新毫无影响。LSTM 的细胞状态以加法更新："
        "c_t = f c_(t-1) + i g，梯度往回传时只乘以遗忘门 f，它一开始约为 sigmoid(1) ≈ 0.73，并能学会保持在 1 附近；"
        "GRU 的更新门也以同样的方式直接混入旧状态，但它一开始半开半闭，所以起初梯度衰减得和 tanh RNN 一样快；"
        "150 步之内它学会了保留记忆。门控学会何时保留记忆，经过它们的梯度也足够大，能够用来学习。"
        "在这里 LSTM 比 GRU 多需要几百步：让它多训练一会儿。IRNN 一开始是 h_t = relu(W x_t + h_(t-1))，梯度经过每个"
        "激活的单元时原样传回，所以它和门控单元一样能传到第一步；但它的状态没有上界（会把输入不断累加），最初的输出"
        "非常大，用同样的 Adam 步长它在这里学不会求和：能传回梯度是必要条件，但不是充分条件。",
    ),
    measures={
        "init_grad_ratio": Text(
            "share of the last step's gradient reaching the first step, at the start",
            "初始时最后一步的梯度传回第一步的比例",
        ),
        "trained_grad_ratio": Text(
            "share of the last step's gradient reaching the first step, after training",
            "训练后最后一步的梯度传回第一步的比例",
        ),
    },
    figures={
        "tanh_init_grad_ratio": named(
            TANH_LABEL,
            Text(
                "share of the last step's gradient reaching the first step, at the start",
                "初始时最后一步的梯度传回第一步的比例",
            ),
        ),
        "tanh_trained_grad_ratio": named(
            TANH_LABEL,
            Text(
                "share of the last step's gradient reaching the first step, after training",
                "训练后最后一步的梯度传回第一步的比例",
            ),
        ),
        "tanh_test_loss": named(TANH_LABEL, MEASURES["test_loss"]),
    },
    verify=verify,
)
