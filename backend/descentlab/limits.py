"""Every size the engine and the server accept, in one place (documented in README.md).

The API's pydantic models, the engine's own checks and the docs all read these numbers.
"""

from __future__ import annotations

MAX_STEPS = 100_000  # steps of one trajectory (the Duke notes run GD for 100,000)
MAX_BATCH = 40_000  # rows of the batch axis in one run (starts x settings; a 200 x 200 basin map)
# random restarts of one run: a particle cloud of the start given and 999 more (the page
# animates 1,000 at >= 30 frames/s, bench/browser.py)
MAX_RESTARTS = 999
MAX_OPTIMIZERS = 8  # optimisers compared in one request
MAX_GRID_POINTS = 500  # per axis of a contour grid (so at most 500 x 500 values)
MAX_SWEEP_POINTS = 40_000  # settings in one hyperparameter sweep (a 200 x 200 heatmap)
# settings x max_steps of one sweep (40,000 x 500: ~0.5 s compiled, a few seconds on numpy)
MAX_SWEEP_STEPS = 20_000_000
# settings of one sweep of scipy's methods, whose runs go one after another, each with scipy's
# own setup (L-BFGS-B on Rosenbrock: tens of ms a run), so a 20 x 20 heatmap takes seconds
MAX_SWEEP_POINTS_ONE_AT_A_TIME = 400
MAX_BASIN_POINTS = 200  # per axis of a basin map's grid of starts (so at most 200 x 200 runs)
# nx x ny x max_steps of one basin map, for what runs in the machine-code loop (the first-order
# rules and Newton: the 200 x 200 x 1,000 map of the issue), and for what runs on numpy's
# arrays (a data-fit surface, or no numba), ~1 s there
MAX_BASIN_STEPS = 40_000_000
MAX_BASIN_STEPS_ON_NUMPY = 1_000_000
# rows x max_steps x n of one sweep (settings) or basin map (nx x ny) on a data-fit loss whose
# every full-batch step sums over its n samples (logistic regression, not least squares, whose
# steps cost the same whatever n): a second or two at the limit, at ~55 ns a row, step and
# data point.
MAX_DATA_FIT_WORK = 20_000_000
# ... of one run request on such a loss, (1 + restarts) x max_steps summed over optimisers, x n:
# ten times more, ~10 s, since a run streams its steps as they come (8 optimisers x 1,000 steps
# at n = 10,000 fit).
MAX_RUN_DATA_FIT_WORK = 200_000_000
MAX_BOUND = 1e12  # divergence bound: |x| beyond this stops a run as diverged
MAX_DATA_POINTS = 10_000  # samples n of a data-fit surface
# ... of a least-squares one: its contour grid comes from sums over the data, so its cost does
# not grow with n, and the notes' SGD example has 100,000 points
MAX_LEAST_SQUARES_POINTS = 100_000
# A user's own data ({"id": ..., "data": {"x", "y"}}) take as many rows as the surface's n:
# MAX_LEAST_SQUARES_POINTS for least squares, MAX_DATA_POINTS for logistic regression, at
# least 2; each number at most this in size (squares summed over 100,000 rows stay finite).
MAX_DATA_ABS = 1e9
# A request body or WebSocket message: room for 100,000 rows (x, y) of data as JSON, ~25
# characters a number at most (what makes the 64 KiB of a body without data ~100 times larger).
MAX_BODY_BYTES = 8 * 1024 * 1024
# Points one run request may ask for, (1 + restarts) x (steps + 1) summed over optimisers: the
# per-field limits multiply to ~4e7, which no response (or browser) should carry.
MAX_RUN_POINTS = 1_000_000
# Points whose optimiser state one POST /api/states request records, (max_steps + 1) summed over
# its optimisers: each point carries up to ~6 vectors (gradient, step, buffer, velocity, m_hat,
# sqrt_v_hat) or a simplex, so ~2.5 MB of JSON at most; the state is replayed at ~20 us a point.
MAX_STATE_POINTS = 20_000
# Points scipy's line searches (BFGS, L-BFGS-B, Newton-CG) or Nelder-Mead evaluated in one such
# request, all returned as trials: a line search may try up to `maxls` points an iteration.
MAX_STATE_TRIALS = 100_000

# Typed expressions (issue 6 grows these into the full parser limits).
MAX_EXPRESSION_LENGTH = 2_000  # characters
MAX_EXPRESSION_NODES = 500  # nodes of the parsed tree
MAX_EXPRESSION_DEPTH = 32  # nesting depth of the parsed tree
MAX_INTEGER_POWER = 64  # |n| in x**n with an integer n
MAX_PARAMETERS = 16  # named parameters of one surface
EXPRESSION_COMPILE_SECONDS = 0.5  # time to derive a typed surface's gradient and Hessian
EXPRESSION_MAX_ABS = 1e6  # |value| of a declared parameter or a view-box bound

# Animations (descentlab.animate, POST /api/animations)
MAX_ANIMATION_WIDTH = 3840  # pixels: 4K UHD
MAX_ANIMATION_HEIGHT = 2160
MIN_ANIMATION_SIDE = 64
MAX_ANIMATION_FPS = 60
MAX_ANIMATION_SECONDS = 60  # the motion (the last frame is held a second more)
MAX_ANIMATION_FRAMES = 1_800  # frames of the motion, fps x seconds (a minute at 30 frames/s)
MAX_ANIMATION_JOBS = 4  # animations queued or rendering at once, per server process
ANIMATION_KEEP_SECONDS = 600  # a finished animation's file is kept this long for download


def describe() -> dict[str, int | float]:
    """The limits a client needs to keep its requests within (GET /api/limits)."""
    return {
        "max_steps": MAX_STEPS,
        "max_restarts": MAX_RESTARTS,
        "max_optimizers": MAX_OPTIMIZERS,
        "max_run_points": MAX_RUN_POINTS,
        "max_state_points": MAX_STATE_POINTS,
        "max_state_trials": MAX_STATE_TRIALS,
        "max_batch": MAX_BATCH,
        "max_grid_points": MAX_GRID_POINTS,
        "max_sweep_points": MAX_SWEEP_POINTS,
        "max_sweep_steps": MAX_SWEEP_STEPS,
        "max_sweep_points_one_at_a_time": MAX_SWEEP_POINTS_ONE_AT_A_TIME,
        "max_basin_points": MAX_BASIN_POINTS,
        "max_basin_steps": MAX_BASIN_STEPS,
        "max_basin_steps_on_numpy": MAX_BASIN_STEPS_ON_NUMPY,
        "max_data_fit_work": MAX_DATA_FIT_WORK,
        "max_run_data_fit_work": MAX_RUN_DATA_FIT_WORK,
        "max_bound": MAX_BOUND,
        "max_data_points": MAX_DATA_POINTS,
        "max_least_squares_points": MAX_LEAST_SQUARES_POINTS,
        "max_data_abs": MAX_DATA_ABS,
        "max_body_bytes": MAX_BODY_BYTES,
        "max_expression_length": MAX_EXPRESSION_LENGTH,
        "max_parameters": MAX_PARAMETERS,
        "max_animation_width": MAX_ANIMATION_WIDTH,
        "max_animation_height": MAX_ANIMATION_HEIGHT,
        "min_animation_side": MIN_ANIMATION_SIDE,
        "max_animation_fps": MAX_ANIMATION_FPS,
        "max_animation_seconds": MAX_ANIMATION_SECONDS,
        "max_animation_frames": MAX_ANIMATION_FRAMES,
        "max_animation_jobs": MAX_ANIMATION_JOBS,
        "animation_keep_seconds": ANIMATION_KEEP_SECONDS,
    }
