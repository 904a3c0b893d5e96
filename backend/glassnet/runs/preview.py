"""The untrained network of a config at step 0, computed in the server process for the page to show before a
run (POST /api/preview): no worker is held for it.

A throw-away Trainer, seeded as the run would be, reads its step 0 in full (Trainer.read_step_zero): the output
over the input plane, unit maps, activations, and the loss and gradients of the batch the run's first step
trains on. The reading becomes a frame exactly as a worker makes one, so the page draws it with the code that
draws a run. It builds no optimizer, so the torch._dynamo import of a process's first one is never paid here.

Trainers seed torch's process-wide generator, so previews are computed one at a time.
"""

import json
import math
import threading
from typing import Any

from glassnet.config import ExperimentConfig
from glassnet.nn.models import count_parameters
from glassnet.nn.shapes import input_shape, n_outputs
from glassnet.runs.rules import InvalidRequest
from glassnet.train.probe import EVAL_POINTS, GRID, PROBE_POINTS

# The multiply-adds a preview may cost by preview_work's generous count (measured: 0.2 to 0.7 s of a 2-core CPU near
# it, most previews take 10 to 30 ms): a run may be far larger (its worker is its own process), but a preview is
# computed in the server's, so a network past this trains as a run (Play or Step).
MAX_PREVIEW_WORK = 20_000_000_000
# the samples a preview passes through the net besides the first batch (forward and backward: about three
# passes): the probe's fixed batches of train points, test points and the plane's grid
PROBE_SAMPLES = PROBE_POINTS + EVAL_POINTS + GRID * GRID

_one_at_a_time = threading.Lock()


def preview_work(config: ExperimentConfig) -> int:
    """An upper bound on a preview's multiply-adds: every parameter used once per sample, at every position of an
    image (a CNN) or every time step of a sequence (an RNN), for each sample passed."""
    shape = input_shape(config.dataset)
    parameters = count_parameters(shape, n_outputs(config.dataset), config.model)
    reuse = {"cnn": math.prod(shape[1:]), "rnn": shape[0]}.get(config.model.kind, 1)
    return parameters * reuse * (3 * config.batch_size + PROBE_SAMPLES)


def check_preview(config: ExperimentConfig) -> None:
    """Refuse (422) a network too large to preview in the server's process, saying what to do instead."""
    work = preview_work(config)
    if work > MAX_PREVIEW_WORK:
        raise InvalidRequest(
            f"model: its step 0 takes about {work / 1e9:,.0f} billion multiply-adds, over the preview's limit of "
            f"{MAX_PREVIEW_WORK / 1e9:,.0f} billion; it trains as a run (press Play or Step), or use a smaller "
            "network or batch_size"
        )


def step_zero(config: ExperimentConfig) -> str:
    """PreviewOut as JSON text: the config, the device, the layers, the data, the metrics and the step-0 frame.
    Blocking (a second or less for the models the limits allow): call it in a thread."""
    from glassnet.protocol import DataInfo, Layer, frame_of
    from glassnet.train.loop import Trainer

    with _one_at_a_time:
        trainer = Trainer(config, trains=False)
        reading = trainer.read_step_zero()
        frame = frame_of(reading).model_dump_json(exclude_unset=True)
    preview: dict[str, Any] = {
        "config": config.model_dump(mode="json"),
        "device": trainer.device.type,
        # as a run's hello has them (the worker's Started message)
        "layers": [Layer.model_validate(vars(layer)).model_dump(mode="json") for layer in trainer.layers],
        "data": DataInfo.model_validate(trainer.describe_data()).model_dump(mode="json"),
        "metrics": [metric.name for metric in trainer.probe.metrics],
        "frame": json.loads(frame),  # as a worker serialises it: figures absent where not measured
    }
    return json.dumps(preview)
