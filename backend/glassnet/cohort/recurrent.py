"""K RNNs (nn/models.py's RNN: recurrent layers, the last step's state into dense blocks and the head) as one batched
model: each recurrent layer of all members runs with batched matmuls per time step (weights [K, gates * H, in]),
its input projection for all T steps at once, as ATen's CPU cells compute it (lstm, gru, rnn_tanh, rnn_relu; a
single LSTM runs oneDNN's cell, which rounds otherwise: the losses agree within float32 round-off).

Layout: time-major inside, (K, T, B, H), because that is how nn.RNNBase's batch_first output lies in memory, and
nn.Dropout draws its mask in memory order: each member's mask over a layer's output is drawn as a (T, B, H) tensor
from its own generator, exactly as its single model draws it. The probe's hook gets each recurrent layer's output
(after its dropout), as the single probe's forward hook on the RecurrentBlock sees it.

The time loop is Python-level, about a dozen autograd ops a step for all members, against K fused C++ loops alone.
Measured on one thread (hidden 32, T 50, batch 64, probe at 20 Hz; bench/cohort.py cases c and e): a GRU cohort beats
K separate nn.GRU loops from K=2 on (1.6x at K=2, 2.7x at K=8, 2.9x at K=64; nn.GRU/nn.RNN run ATen ops step by step
too), tanh/ReLU RNNs likewise (2.5x at K=2), and one alone gains little (1.1x GRU, 1.3-1.5x RNN); an LSTM cohort loses
at every K (0.4x at K=1, 0.9x at K=8, 0.7x at K=64), because nn.LSTM runs oneDNN's fused cell on the CPU (ATen's own
tanh costs about 5 ns an element here, and large K spills the per-step tensors out of cache). So compat.py lets GRUs
and RNNs batch only when at least two start together (a sweep or seed band), and an LSTM trains alone, each with
that reason recorded. The LSTM path is exact and tested all the same (the bench measures it; a faster cell would
only change the policy).
"""

import torch
import torch.nn.functional as F

from glassnet.cohort.model import Batched
from glassnet.nn.blocks import RecurrentBlock
from glassnet.nn.models import RNN, Net


class CohortRNN(Batched):
    """K RNNs of one architecture: their batched forward pass (autograd steps them)."""

    def __init__(self, members: list[Net], dropouts: list[float]) -> None:
        template = members[0]
        if not isinstance(template, RNN):
            raise TypeError("CohortRNN batches RNNs")
        super().__init__(members, dropouts)
        self.n_recurrent = template.n_recurrent
        self.cells: list[str] = []
        for block in self.blocks[: self.n_recurrent]:
            assert isinstance(block, RecurrentBlock)
            self.cells.append(block.cell)
        self.fast_reason = "a recurrent net steps through autograd"

    def __call__(self, x: torch.Tensor, generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """(K, B, T, d) -> (K, B, outputs). In training, dropout masks come from each member's `generators`,
        drawn as the single model's nn.Dropout draws them."""
        h = x.transpose(1, 2)  # (K, T, B, d)
        for i, cell in enumerate(self.cells):
            h = self._recurrent(i, cell, h)
            if self.drops and self.training:  # (a member without dropout draws nothing: its mask is ones)
                h = self._dropout(h, generators)
            if self.on_output is not None:
                self.on_output(i, h)
        return self._head(self._dense(h[:, -1], self.n_recurrent, generators))

    def _recurrent(self, i: int, cell: str, x: torch.Tensor) -> torch.Tensor:
        """One recurrent layer of every member over the whole sequence: (K, T, B, in) -> (K, T, B, H), from zero
        states, step by step as ATen's CPU cell (aten/src/ATen/native/RNN.cpp) computes it."""
        p = f"blocks.{i}.rnn."
        w_ih, w_hh = self.params[p + "weight_ih_l0"], self.params[p + "weight_hh_l0"]
        b_ih, b_hh = self.params[p + "bias_ih_l0"].unsqueeze(1), self.params[p + "bias_hh_l0"].unsqueeze(1)
        k, steps, batch, n_in = x.shape
        hidden = w_hh.shape[2]
        w_hh_t = w_hh.transpose(1, 2)
        # the input projection of every step at once; where the cell adds the recurrent bias to it, that too (one
        # baddbmm a step then adds the recurrent product: the same sum, rounded in another order)
        if cell == "gru":  # r and z add both biases to the sum; n's recurrent part has its own, inside r * (...)
            b_n = b_hh[:, :, 2 * hidden :]
            bias = b_ih + F.pad(b_hh[:, :, : 2 * hidden], (0, hidden))
        else:
            bias = b_ih + b_hh
        projected = torch.baddbmm(bias, x.reshape(k, steps * batch, n_in), w_ih.transpose(1, 2))
        # unbind (not indexing) keeps the backward one stack, not a full-size zero tensor per step
        inputs = projected.view(k, steps, batch, -1).unbind(1)
        states: list[torch.Tensor] = []
        if cell == "gru":
            w_rz, w_n = w_hh_t.split([2 * hidden, hidden], 2)
            h = x.new_zeros(k, batch, hidden)
            for x_t in inputs:
                x_rz, x_n = x_t.split([2 * hidden, hidden], 2)
                reset, update = torch.baddbmm(x_rz, h, w_rz).sigmoid().chunk(2, 2)
                new = (x_n + torch.baddbmm(b_n, h, w_n) * reset).tanh()
                h = (h - new) * update + new
                states.append(h)
        elif cell == "lstm":
            h = c = x.new_zeros(k, batch, hidden)
            for t, x_t in enumerate(inputs):
                gates = torch.baddbmm(x_t, h, w_hh_t) if t else x_t  # (zero states: no recurrent product at first)
                i_gate, f_gate, g_gate, o_gate = gates.chunk(4, 2)
                c = f_gate.sigmoid() * c + i_gate.sigmoid() * g_gate.tanh()
                h = o_gate.sigmoid() * c.tanh()
                states.append(h)
        else:
            act = torch.tanh if cell == "rnn_tanh" else torch.relu
            for t, x_t in enumerate(inputs):
                h = act(torch.baddbmm(x_t, h, w_hh_t) if t else x_t)
                states.append(h)
        return torch.stack(states, 1)
