"""DescentLab: watch optimisers move on loss surfaces.

>>> import descentlab
>>> traj = descentlab.run("rosenbrock", "adam", start=(-1.5, 2), lr=0.01, max_steps=1000)
>>> traj.status[0], traj.x[0], traj.fun[0]   # scipy's names, one entry per row
>>> traj.figure()                      # contours and paths, as the page draws them
>>> descentlab.Lab("rosenbrock", ["gd", "adam"])   # the live lab in a notebook
>>> descentlab.animate(traj, "adam.mp4")  # the same, moving: MP4, WebM or GIF
>>> descentlab.view_html(traj, "adam.html")  # one file that opens offline
"""

from __future__ import annotations

from .animation import animate
from .api_python import optimizers, run, schedules, surfaces
from .engine import Stop, Trajectory
from .errors import DescentLabError
from .figures import figure
from .problems import Problem, make_problem
from .viewpage import view_html

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The notebook lab needs anywidget (the `notebook` extra): imported on first use only.
    if name == "Lab":
        from .lab import Lab

        return Lab
    raise AttributeError(f"module 'descentlab' has no attribute {name!r}")


__all__ = [
    "DescentLabError",
    "Lab",
    "Problem",
    "Stop",
    "Trajectory",
    "animate",
    "figure",
    "make_problem",
    "optimizers",
    "run",
    "schedules",
    "surfaces",
    "view_html",
]
