"""The engine: run an optimiser on a problem, as a single run, a batch or a stream.

``prepare`` validates loose input into a :class:`RunSpec`; ``iterate`` yields :class:`Chunk` s;
``run`` collects them into a :class:`Trajectory`; ``final`` keeps only the
last chunk (each row's final values). See :mod:`.spec`, :mod:`.record`, :mod:`.loop`.
"""

from .loop import GradientNoise, compiles, final, iterate, run
from .record import OUTCOME, STATUSES, Chunk, Result, Trajectory
from .spec import NORMS, SAMPLINGS, RunSpec, Stochastic, Stop, prepare

__all__ = [
    "NORMS",
    "OUTCOME",
    "SAMPLINGS",
    "STATUSES",
    "Chunk",
    "GradientNoise",
    "Result",
    "RunSpec",
    "Stochastic",
    "Stop",
    "Trajectory",
    "compiles",
    "final",
    "iterate",
    "prepare",
    "run",
]
