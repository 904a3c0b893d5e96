"""The loss for a task, and how to read the model's output (accuracy, probabilities).

Binary tasks have one logit; their cross-entropy is the binary one (2-class softmax with one logit fixed
at 0 is the same thing). `mse` on a classification task compares the sigmoid/softmax output with the
0/1 target: the classic slow learner when confidently wrong.
"""

import torch
import torch.nn.functional as F


class Objective:
    def __init__(self, task: str, loss: str, label_smoothing: float = 0.0) -> None:
        if loss == "auto":
            loss = {"binary": "bce", "multiclass": "ce", "regression": "mse"}[task]
        if loss == "ce" and task == "binary":
            loss = "bce"
        self.task, self.loss, self.smoothing = task, loss, label_smoothing

    def __call__(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.task == "regression":
            return F.mse_loss(logits.squeeze(-1), y)
        if self.task == "binary":
            target = y.float() * (1 - self.smoothing) + 0.5 * self.smoothing
            logit = logits.squeeze(-1)
            if self.loss == "mse":
                return F.mse_loss(torch.sigmoid(logit), target)
            return F.binary_cross_entropy_with_logits(logit, target)
        if self.loss == "mse":
            n = logits.shape[-1]
            target = F.one_hot(y, n).float() * (1 - self.smoothing) + self.smoothing / n
            return F.mse_loss(torch.softmax(logits, -1), target)
        return F.cross_entropy(logits, y, label_smoothing=self.smoothing)

    def correct(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
        """Share of correct predictions, as a 0-d tensor; None for regression."""
        if self.task == "regression":
            return None
        if self.task == "binary":
            return ((logits.squeeze(-1) > 0).long() == y).float().mean()
        return (logits.argmax(-1) == y).float().mean()

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        """What a plot shows: P(class 1) for binary, the value for regression, the class for multiclass."""
        if self.task == "binary":
            return torch.sigmoid(logits.squeeze(-1))
        if self.task == "regression":
            return logits.squeeze(-1)
        return logits.argmax(-1).float()
