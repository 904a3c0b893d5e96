"""Each member's loss on its own batch, in batched ops: (K, B, outputs) and (K, B) targets -> (K,) losses, the
same figures train/losses.py's Objective gives each member alone (label smoothing may differ per member)."""

import torch
import torch.nn.functional as F

from glassnet.train.losses import Objective


def member_losses(
    objective: Objective, logits: torch.Tensor, y: torch.Tensor, smoothing: torch.Tensor | None
) -> torch.Tensor:
    """`smoothing`: (K, 1), each member's label smoothing; None where no member smooths."""
    if objective.task == "regression":
        return F.mse_loss(logits.squeeze(-1), y, reduction="none").mean(1)
    if objective.task == "binary":
        target = y.float() if smoothing is None else y.float() * (1 - smoothing) + 0.5 * smoothing
        logit = logits.squeeze(-1)
        if objective.loss == "mse":
            return F.mse_loss(torch.sigmoid(logit), target, reduction="none").mean(1)
        return F.binary_cross_entropy_with_logits(logit, target, reduction="none").mean(1)
    n = logits.shape[-1]
    if objective.loss == "mse":
        target = F.one_hot(y, n).float()
        if smoothing is not None:
            target = target * (1 - smoothing.unsqueeze(-1)) + smoothing.unsqueeze(-1) / n
        return F.mse_loss(torch.softmax(logits, -1), target, reduction="none").flatten(1).mean(1)
    logp = torch.log_softmax(logits, -1)
    nll = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean(1)
    if smoothing is None:
        return nll
    # as F.cross_entropy's label smoothing: (1 - s) * nll + s * (mean over classes of -log p)
    uniform = -logp.mean(-1).mean(1)
    s = smoothing.squeeze(1)
    return (1 - s) * nll + s * uniform


def member_correct(objective: Objective, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
    """Each member's share of correct predictions, (K,); None for regression."""
    if objective.task == "regression":
        return None
    if objective.task == "binary":
        return ((logits.squeeze(-1) > 0).long() == y).float().mean(1)
    return (logits.argmax(-1) == y).float().mean(1)
