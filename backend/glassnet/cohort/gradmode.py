"""torch.no_grad() for the steps of tiny nets, at a fraction of its cost: as a decorator it costs a few
microseconds a call (a contextlib wrapper, a context manager made, entered and left), about what one small tensor
op costs, and a run of the playground's default net takes thousands of steps a second."""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import torch

P = ParamSpec("P")
R = TypeVar("R")


def without_grad(function: Callable[P, R]) -> Callable[P, R]:
    """`function` with gradient recording off, as under torch.no_grad(); left as it is when it already is."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not torch.is_grad_enabled():
            return function(*args, **kwargs)
        torch._C._set_grad_enabled(False)
        try:
            return function(*args, **kwargs)
        finally:
            torch._C._set_grad_enabled(True)

    return wrapper
