"""numba, when it is installed: what compiles the loop of :mod:`.vm` (and without it, or if it
fails, every run is numpy's)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def numba() -> Any | None:
    """The numba module, imported on first use (it takes most of a second), or None."""
    try:
        import numba as nb
    except Exception:  # not installed, or broken against this numpy: numpy serves
        return None
    return nb
