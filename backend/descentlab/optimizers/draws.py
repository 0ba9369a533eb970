"""Counter-based random draws: every number a run draws is a pure function of
(seed, row, t, i), so a run replays from its seed on any path, in any process, in any order.

The scheme (the one definition; the machine-code loop, :mod:`~..engine.vm_loop`, transcribes
it as its UNIFORM and NORMAL opcodes, and the tests hold the two equal):

- ``mix(z)`` is splitmix64's finaliser on 64-bit unsigned integers (arithmetic modulo 2**64)::

      z = z + 0x9E3779B97F4A7C15
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
      z = (z ^ (z >> 27)) * 0x94D049BB133111EB
      mix(z) = z ^ (z >> 31)

- the key of row ``b`` (of the batch) at step ``t``: ``k = mix(mix(mix(seed) ^ b) ^ t)``;
- draw ``i`` of that step: ``bits = mix(k ^ i)``, a uniform ``u_i = (bits >> 11) * 2**-53``
  in [0, 1) (a multiple of 2**-53: exact in float64);
- normals come in pairs, by Box-Muller: normals ``2p`` and ``2p + 1`` of a step are
  ``r cos θ`` and ``r sin θ`` with ``r = sqrt(-2 log(1 - u_2p))``, ``θ = 2π u_2p+1``
  (``1 - u`` is exact and > 0): normal j takes the draws j and j ± 1 of its pair, so a rule
  that draws both normals and uniforms in one step gives each its own range of draw numbers.

Uniforms are the same to the bit everywhere (integer arithmetic, then one exact scaling);
normals go through the C library's ``log`` and ``cos`` in compiled code and numpy's here, which
may differ in a last bit on some CPUs: the two paths agree on them to a few ulps.

Each rule says which draws it takes (its docstring): a row's draws do not depend on how many
rows the batch has, so row 0 of a batch with restarts is the run its start makes alone.
"""

from __future__ import annotations

import math

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MUL1 = 0xBF58476D1CE4E5B9
MUL2 = 0x94D049BB133111EB
TWO_PI = 2.0 * math.pi
UNIT = 2.0**-53  # a uniform's spacing

_U64 = np.uint64


def mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise on an array of uint64 (wrapping, never warning)."""
    z = z + _U64(GOLDEN)
    z = (z ^ (z >> _U64(30))) * _U64(MUL1)
    z = (z ^ (z >> _U64(27))) * _U64(MUL2)
    return z ^ (z >> _U64(31))


def row_keys(seed: int, rows: int) -> np.ndarray:
    """``mix(mix(seed) ^ b)`` for b = 0..rows-1: what each row's step keys start from."""
    return mix(mix(np.array([seed], dtype=_U64)) ^ np.arange(rows, dtype=_U64))


def step_keys(seed: int, t: int, rows: int) -> np.ndarray:
    """The key of every row at step ``t``, shape (rows,)."""
    return mix(row_keys(seed, rows) ^ _U64(t))


def uniforms(keys: np.ndarray, n: int, first: int = 0) -> np.ndarray:
    """Draws ``first .. first + n - 1`` of each key as uniforms in [0, 1): (len(keys), n)."""
    counters = np.arange(first, first + n, dtype=_U64)
    bits = mix(keys[:, None] ^ counters[None, :])
    return (bits >> _U64(11)).astype(np.float64) * UNIT


def normals(keys: np.ndarray, n: int, first: int = 0) -> np.ndarray:
    """Normals ``first .. first + n - 1`` of each key (``first`` even: whole pairs), shape
    (len(keys), n); they take the draws ``first .. first + n - 1`` (one more if n is odd)."""
    if first % 2:
        raise ValueError("normals start at a pair")
    pairs = (n + 1) // 2
    u = uniforms(keys, 2 * pairs, first)
    radius = np.sqrt(-2.0 * np.log(1.0 - u[:, 0::2]))
    angle = TWO_PI * u[:, 1::2]
    z = np.empty((len(keys), 2 * pairs))
    z[:, 0::2] = radius * np.cos(angle)
    z[:, 1::2] = radius * np.sin(angle)
    return z[:, :n]
