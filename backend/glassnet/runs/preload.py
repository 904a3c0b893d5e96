"""What the worker forkserver imports once, before it forks any worker (runs/pool.py).

Imports only: nothing here may start a thread or run a parallel torch op, since a fork copies one thread of
the process and an OpenMP team started before a fork hangs the child that uses it.
"""

import torch

import glassnet.cohort.alone
import glassnet.protocol
import glassnet.runs.cohort_worker
import glassnet.runs.warmup
import glassnet.runs.worker
import glassnet.train.driver
import glassnet.train.probe  # noqa: F401

# the first torch.optim optimizer built in a process imports torch._dynamo (seconds); building one here pays it
torch.optim.Adam([torch.zeros(1, requires_grad=True)])
