"""Fixtures of the phenomena tests.

These tests train many tiny networks (widths up to 128, batches of 32-64) on the CPU. At that size one
thread is much faster than several, and far more predictable when other processes share the machine,
so every test here runs with torch limited to one thread (restored afterwards).
"""

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
