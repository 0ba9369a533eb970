"""The rules written as programs for the machine-code loop (engine/programs.py): zeroth-order
rules and Newton. Their runs equal numpy's (the reference and the fallback without numba):
the same steps, statuses, counts and draws; the points equal where only IEEE arithmetic and
the exact uniforms are involved, and to a stated tolerance where a normal, an exp or a linear
solve is (the C library's functions and LU against numpy's SIMD code and LAPACK). Which path
runs a structure is decided in one place, loop.path, and every stepwise rule has a compiled
path: a rule the compiler cannot take is refused here."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab import engine
from descentlab.engine import Stop, loop, programs, vm
from descentlab.optimizers import REGISTRY, draws
from descentlab.optimizers.base import Oracle, StepContext
from descentlab.problems import make_problem
from test_optimizers import ref_normal, ref_uniform

PROGRAMMED = ["random-search", "hill-climbing", "simulated-annealing", "newton"]
SURFACES = ["rosenbrock", "himmelblau", "nightmare"]
# Newton's exact Hessian through LU and the C library against LAPACK and numpy: relative
# rounding times the condition number, over a run that converges
TOLERANCE = {"rtol": 1e-9, "atol": 1e-12}


@pytest.fixture(autouse=True)
def compiled_loop():
    assert vm.load() is not None, "numba is a dependency: the loop must compile"


def both(surface, optimizer, steps=300, **kwargs):
    """The run on the path loop.path picks (machine code), and on numpy."""
    spec = engine.prepare(surface, optimizer, stop=Stop(max_steps=steps, grad_tol=None), **kwargs)
    assert loop.path(spec) == "loop"
    compiled = engine.run(spec)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(vm, "enabled", False)
        assert loop.path(spec) == "arrays"
        reference = engine.run(spec)
    return compiled, reference


def assert_same_run(a, b, exact=False):
    assert a.status == b.status and list(a.nit) == list(b.nit)
    assert list(a.nfev) == list(b.nfev) and list(a.ngev) == list(b.ngev)
    assert list(a.nhev) == list(b.nhev)
    check = np.testing.assert_array_equal if exact else _close
    for name in ("path", "loss", "grad_norm", "step_size"):
        check(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.info.keys() == b.info.keys()
    for name in a.info:
        check(a.info[name], b.info[name], err_msg=name)


def _close(a, b, err_msg=""):
    np.testing.assert_allclose(a, b, **TOLERANCE, err_msg=err_msg)


def test_every_stepwise_rule_has_a_compiled_path():
    """Elementwise rules are traced (engine/trace.py); the others are written as programs.
    A new rule that is neither would run on numpy, 30-100x slower: refused here instead."""
    for opt in REGISTRY:
        if opt.step is not None:
            assert opt.elementwise or opt.step in programs.PROGRAMS, opt.id


@pytest.mark.parametrize("optimizer", PROGRAMMED)
@pytest.mark.parametrize("surface", SURFACES)
def test_a_program_runs_what_numpy_runs(optimizer, surface):
    compiled, reference = both(surface, optimizer)
    assert np.abs(compiled.path[0, -1] - compiled.path[0, 0]).max() > 1e-3  # it moved
    assert_same_run(compiled, reference)


@pytest.mark.parametrize("optimizer", ["random-search", "hill-climbing"])
def test_uniform_draws_and_greedy_choices_are_exact(optimizer):
    """On a polynomial surface and with uniforms only (no log, cos, exp), both paths compute
    the same IEEE operations: the same run to the bit. (Hill climbing's normals are not exact,
    so on it the check is to a few ulps.)"""
    compiled, reference = both("rosenbrock", optimizer, params={"samples": 7})
    assert_same_run(compiled, reference, exact=optimizer == "random-search")


@pytest.mark.parametrize("optimizer", PROGRAMMED)
def test_restarts_each_draw_their_own_and_row_zero_is_the_run_alone(optimizer):
    # Newton's restarts on the nightmare wander where its Hessian is nearly singular (far out,
    # where the surface is flat), and two solves agree there to rounding times ~1e8 only.
    surface = "rosenbrock" if optimizer == "newton" else "nightmare"
    compiled, reference = both(surface, optimizer, restarts=4, seed=9)
    assert_same_run(compiled, reference)
    alone = engine.run(
        engine.prepare(surface, optimizer, seed=9, stop=Stop(max_steps=300, grad_tol=None))
    )
    # Row 0 is the run alone: to the bit for Newton (arithmetic and sqrt); for the others, to
    # 1e-12 per step, since alone its candidates run side by side as lanes and a compiler may
    # take a vector exp, log, cos or sin over them (numba with Intel's SVML), a last bit from
    # the C library's that the restarts' candidate loop calls.
    assert compiled.status[0] == alone.status[0] and compiled.nit[0] == alone.nit[0]
    if optimizer == "newton":
        np.testing.assert_array_equal(compiled.path[0], alone.path[0])
    else:
        np.testing.assert_allclose(compiled.path[0], alone.path[0], rtol=1e-12 * 300, atol=1e-12)
        # every row draws its own candidates
        assert not np.array_equal(compiled.info["proposal"][1], compiled.info["proposal"][2])


def test_parameters_schedules_one_dimension_and_no_extras():
    cases = [
        ("nightmare", "simulated-annealing", {"T0": 3.0, "cooling": 0.95, "sigma": 0.7}, {}),
        ("himmelblau", "hill-climbing", {"samples": 3, "sigma": 1.5}, {}),
        ("nightmare", "random-search", {"samples": 1}, {}),
        ("rosenbrock", "newton", {"lr": 0.3, "damping": 2.0}, {"schedule": {"id": "cosine"}}),
        ("parabola", "newton", {"lr": 0.5}, {}),
        ("parabola", "hill-climbing", {"samples": 5}, {}),
        ("parabola", "simulated-annealing", {}, {}),
    ]
    for surface, optimizer, params, extra in cases:
        compiled, reference = both(surface, optimizer, params=params, **extra)
        assert_same_run(compiled, reference)
    spec = engine.prepare("nightmare", "hill-climbing", stop=Stop(max_steps=200))
    plain = list(engine.iterate(spec, chunk=64, extras=False))
    whole = engine.run(spec)
    np.testing.assert_array_equal(np.concatenate([c.path[0] for c in plain])[:201], whole.path[0])
    assert plain[-1].info == {}


def test_newton_where_the_hessian_is_singular_or_zero():
    compiled, reference = both(
        {"expression": "x^3 + y^2", "start": [0.0, 1.0]}, "newton", steps=20, start=[[0.0, 1.0]]
    )
    assert_same_run(compiled, reference)
    np.testing.assert_allclose(compiled.path[0, 1], [0.0, 0.0], atol=1e-15)
    still, _ = both({"expression": "x + 2*y", "start": [1.0, 1.0]}, "newton", steps=3)
    np.testing.assert_array_equal(still.path[0], np.ones((4, 2)))


def test_stopping_rules_and_divergence_read_the_same():
    for surface, optimizer, params in (
        ("rosenbrock", "newton", {}),
        ({"expression": "-(x^2 + y^2)", "start": [1.0, 1.0]}, "hill-climbing", {"sigma": 3.0}),
    ):
        spec = engine.prepare(
            surface, optimizer, params=params, stop=Stop(max_steps=400, grad_tol=1e-6, bound=50)
        )
        compiled = engine.run(spec)
        with pytest.MonkeyPatch.context() as m:
            m.setattr(vm, "enabled", False)
            reference = engine.run(spec)
        assert compiled.status == reference.status and compiled.message == reference.message
        assert list(compiled.nit) == list(reference.nit)
        _close(compiled.path, reference.path)


def test_a_stream_in_chunks_is_the_whole_run():
    spec = engine.prepare("nightmare", "simulated-annealing", stop=Stop(max_steps=700))
    whole = engine.run(spec)
    chunks = list(engine.iterate(spec, chunk=100, first_chunk=30))
    path = np.concatenate([c.path[0] for c in chunks])
    np.testing.assert_array_equal(path[: len(whole.path[0])], whole.path[0])
    assert chunks[-1].status == whole.status and list(chunks[-1].nfev) == list(whole.nfev)


def test_the_path_is_decided_by_the_structure():
    def route(surface, optimizer, **kwargs):
        return loop.path(engine.prepare(surface, optimizer, **kwargs))

    assert route("nightmare", "hill-climbing") == "loop"
    assert route("nightmare", "newton", restarts=8) == "loop"
    assert route("nightmare", "adam") == "loop"
    assert route("nightmare", "hill-climbing", restarts=200) == "loop"
    assert route("nightmare", "newton", sweep={"lr": [0.5, 1.0]}) == "arrays"
    assert route("parabola", "newton") == "loop"
    assert route("rosenbrock", "momentum", stochastic={"noise": 0.1}) == "arrays"


def test_the_numpy_rules_draw_the_documented_scheme():
    """ctx.uniform and ctx.normal against the tests' own transcription of the scheme, for
    several rows of a batch and a step far along."""
    problem = make_problem("rosenbrock")
    ctx = StepContext(Oracle(problem), 123, problem.domain)
    for _ in range(1000):
        ctx.advance()
    u = ctx.uniform(3, 6)
    z = ctx.normal(3, 6)
    for row in range(3):
        assert u[row].tolist() == [ref_uniform(123, 1000, i, row) for i in range(6)]
        np.testing.assert_allclose(
            z[row], [ref_normal(123, 1000, j, row) for j in range(6)], rtol=1e-14
        )
    assert ctx.uniform(1, 4, first=2)[0].tolist() == u[0, 2:6].tolist()
    keys = draws.step_keys(123, 1000, 3)
    assert draws.uniforms(keys[2:], 6)[0].tolist() == u[2].tolist()  # a row's own draws
