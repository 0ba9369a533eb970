"""numba, when it is installed: what compiles the loop of :mod:`.vm` (and without it, or if it
fails, every run is numpy's)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.Lock()


@functools.cache
def numba() -> Any | None:
    """The numba module, imported on first use (it takes most of a second), or None."""
    try:
        import numba as nb
    except Exception:  # not installed, or broken against this numpy: numpy serves
        return None
    return nb


def jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled for floats in memory, releasing the GIL so that blocks of columns run
    on several cores; numpy's error model, so dividing by zero gives inf or NaN as numpy
    does."""
    nb = numba()
    assert nb is not None
    with _LOCK:  # numba compiles one function at a time anyway; this keeps its caches tidy
        return nb.njit(nogil=True, error_model="numpy", cache=False)(fn)
