"""The surface catalog: every built-in surface, declared once as data.

Each formula is written in the same expression language users type (see :mod:`.parse`), so the
catalog and typed surfaces are one mechanism: one parser, one differentiator, one evaluator.
"""

from __future__ import annotations

from ..params import Param
from .base import Surface

_ROTATE_U = "(cos(angle*pi/180)*x + sin(angle*pi/180)*y)"
_ROTATE_V = "(-sin(angle*pi/180)*x + cos(angle*pi/180)*y)"

SURFACES: tuple[Surface, ...] = (
    Surface(
        id="parabola",
        name="Parabola",
        expression="x^2",
        domain=((-10.0, 10.0),),
        start=(-10.0,),
        minima=(("0",),),
        description="The lecture's L(θ) = θ², drawn on [-10, 10] as in its figures, started "
        "from θ = -10: GD converges for 0 < lr < 1 and diverges past it.",
        lecture=True,
    ),
    Surface(
        id="quartic",
        name="Quartic",
        expression="x^4 - 40*x^2 - 100*x",
        domain=((-2.0, 8.0),),
        start=(0.0,),
        minima=(("5",), ("-(5 + sqrt(5))/2",)),
        description="The lecture's f(x) = x⁴ - 40x² - 100x, on the window [-2, 8] of its "
        "analytic figure: f'(5) = 0 and f''(5) = 220 > 0, the global minimum. Left of the "
        "window, past a maximum at x ≈ -1.38, a local minimum at x ≈ -3.62 traps gradient "
        "descent started there.",
        lecture=True,
    ),
    Surface(
        id="quadratic",
        name="Ill-conditioned bowl",
        expression=f"{_ROTATE_U}^2 + kappa*{_ROTATE_V}^2",
        params=(
            Param("kappa", 100.0, 1.0, 1000.0, "log", help="condition number λmax/λmin"),
            Param("angle", 0.0, 0.0, 180.0, help="rotation of the bowl's axes, in degrees"),
        ),
        display="f(x, y) = u² + κ·v²,  u = x·cos φ + y·sin φ,  v = −x·sin φ + y·cos φ  "
        "(κ = kappa, φ = angle)",
        domain=((-1.2, 1.2), (-1.2, 1.2)),
        start=(-1.0, -1.0),
        minima=(("0", "0"),),
        log_contours=True,
        description="The lecture's x² + 100y² (kappa = 100, angle = 0), on its figures' window "
        "[-1.2, 1.2]² from (-1, -1): a narrow valley where GD zig-zags; kappa sets the "
        "conditioning and angle rotates the axes away from the coordinates.",
        lecture=True,
    ),
    Surface(
        id="rosenbrock",
        name="Rosenbrock",
        expression="(a - x)^2 + b*(y - x^2)^2",
        params=(
            Param("a", 1.0, -3.0, 3.0, help="the minimum is at (a, a²)"),
            Param("b", 100.0, 0.1, 1000.0, "log", help="steepness of the valley walls"),
        ),
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.5, 2.0),
        minima=(("a", "a^2"),),
        log_contours=True,
        description="A curved, flat-bottomed valley: easy to find, slow to follow. With a = 1, "
        "b = 100 it is the lecture's banana function (minimum 0 at (1, 1)), which the notes "
        "draw on [-5, 5]² and descend from (4, -4.1).",
        lecture=True,
    ),
    Surface(
        id="polynomial",
        name="Cubic polynomial",
        expression="y^2 - 0.02*y^3 + 5*x + x^2 + 0.04*x^3",
        domain=((-35.0, 35.0), (-35.0, 35.0)),
        start=(-10.0, 20.0),
        minima=(("(-2 + sqrt(1.6))/0.24", "0"),),
        description="The lecture's y² - 0.02y³ + 5x + x² + 0.04x³ on its window [-35, 35]²: "
        "one local minimum at (≈ -3.06, 0), a saddle at (≈ -3.06, 33.3), and unbounded below "
        "towards small x or large y, where GD runs away.",
        lecture=True,
    ),
    Surface(
        id="nightmare",
        name="Nightmare",
        expression=(
            "-exp(-((x + 2)^2 + (y - 3)^2)/20) + exp(-((x - 2)^2 + (y + 3)^2)/20)"
            " + 0.08*cos(6*sqrt((x + 3)^2 + (y + 0.5)^2))"
            " - 0.75*exp(-((x - 3)^2 + (y - 0.5)^2)/5) - 0.75*exp(-((x + 3)^2 + (y + 0.5)^2)/2)"
            " + exp(-2*(y + 1)^2)"
        ),
        domain=((-6.0, 6.0), (-6.0, 6.0)),
        start=(4.5, -3.5),
        minima=(
            # every local minimum in [-6, 6]², lowest first (value at the right)
            ("-3.022421552983029", "0.10866794147239486"),  # -1.057759
            ("-2.301801007075073", "3.1063756046050592"),  # -1.014934
            ("-1.9682742577634105", "4.070458910967308"),  # -0.986292
            ("-2.9315932778698697", "1.0170260402752047"),  # -0.967545
            ("-2.6302523762158208", "2.1167570166846725"),  # -0.953108
            ("-1.6344809353650211", "5.0397365826626705"),  # -0.862379
            ("2.437611033441594", "1.4042619011652562"),  # -0.631203
            ("3.451041128346273", "1.4655749117989034"),  # -0.541072
            ("4.386499479751412", "1.919083619915298"),  # -0.310360
            ("-3.3786982722971737", "-2.0290641665745763"),  # -0.208844
            ("-4.791459033065317", "-2.3933057474208037"),  # -0.144681
            ("5.743633108200266", "-2.4199038352163225"),  # 0.387625
            ("4.686303235157452", "-2.287919010022851"),  # 0.521763
            ("3.620689222023991", "-2.1802252647863085"),  # 0.611520
            ("2.534175250952141", "-2.147902267609499"),  # 0.670917
            ("1.3659383621141667", "-2.2289989194790922"),  # 0.676769
        ),
        description="The lecture's bad_function, term for term: a broad Gaussian basin centred "
        "at (-2, 3) and a broad hill at (2, -3), a cosine ripple in rings around (-3, -0.5), "
        "narrow wells at (3, 0.5) and (-3, -0.5), and a ridge along y = -1; drawn on the notes' "
        "[-6, 6]². The global minimum, -1.0578 at (-3.022, 0.109), lies in the ripple's first "
        "trough around the well at (-3, -0.5), on the side facing the broad basin; the stars "
        "mark all sixteen local minima in the window. Plain GD stops in whichever dent it "
        "meets; momentum and restarts do better.",
        lecture=True,
    ),
    Surface(
        id="dog",
        name="Difference of Gaussians",
        expression="exp(-((x + 0.8*y)^2 + (1.5*y - 0.2*x)^2)/10)"
        " - exp(-((x + 0.8*y)^2 + (1.5*y - 0.2*x)^2)/2)",
        display="f(x, y) = exp(−r²/10) − exp(−r²/2),  r² = (x + 0.8y)² + (1.5y − 0.2x)²",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(1.5, 0.5),
        minima=(("0", "0"),),
        description="The lecture's difference of Gaussians: exp(-r²/10) - exp(-r²/2) of the "
        "point mapped by F = [[1, -0.2], [0.8, 1.5]] (u = θF), on its window [-5, 5]². It is 0 "
        "at the origin, a local minimum, rises to a tilted ring of height ≈ 0.535 "
        "(r² = 2.5 ln 5) and falls back towards 0 far away without reaching it: GD started "
        "inside the ring finds the origin, outside it drifts away across a plain that flattens.",
        lecture=True,
    ),
    Surface(
        id="himmelblau",
        name="Himmelblau",
        expression="(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.0, 0.0),
        minima=(
            ("3", "2"),
            ("-2.805118086952745", "3.131312518250573"),
            ("-3.779310253377747", "-3.283185991286170"),
            ("3.584428340330492", "-1.848126526964404"),
        ),
        log_contours=True,
        description="Four global minima of equal value: where you start decides where you end.",
    ),
    Surface(
        id="rastrigin",
        name="Rastrigin",
        expression="2*A + x^2 - A*cos(2*pi*x) + y^2 - A*cos(2*pi*y)",
        params=(Param("A", 10.0, 0.0, 20.0, help="height of the ripples"),),
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        start=(4.2, 3.7),
        minima=(("0", "0"),),
        description="A bowl covered in a regular grid of local minima.",
    ),
    Surface(
        id="ackley",
        name="Ackley",
        expression="-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y)))"
        " + e + 20",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(3.5, -4.0),
        minima=(("0", "0"),),
        description="A nearly flat plain of ripples around one deep funnel.",
    ),
    Surface(
        id="beale",
        name="Beale",
        expression="(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.5),
        minima=(("3", "0.5"),),
        log_contours=True,
        description="Flat plateaus and steep corners.",
    ),
    Surface(
        id="booth",
        name="Booth",
        expression="(x + 2*y - 7)^2 + (2*x + y - 5)^2",
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        start=(-8.0, -6.0),
        minima=(("1", "3"),),
        description="A gently tilted quadratic bowl.",
    ),
    Surface(
        id="saddle",
        name="Saddle",
        expression="x^2 - y^2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 0.01),
        description="A saddle point at the origin: a minimum along x, a maximum along y.",
    ),
    Surface(
        id="monkey-saddle",
        name="Monkey saddle",
        expression="x^3 - 3*x*y^2",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.5, 0.2),
        description="A degenerate critical point at the origin: the Hessian there is zero.",
    ),
    Surface(
        id="six-hump-camel",
        name="Six-hump camel",
        expression="(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
        domain=((-3.0, 3.0), (-2.0, 2.0)),
        start=(-1.5, 1.0),
        minima=(
            ("0.08984201368301331", "-0.7126564032704135"),
            ("-0.08984201368301331", "0.7126564032704135"),
        ),
        description="Six local minima, two of them global.",
    ),
    Surface(
        id="styblinski-tang",
        name="Styblinski-Tang",
        expression="0.5*(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y)",
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(4.0, 4.5),
        minima=(("-2.903534027771178", "-2.903534027771178"),),
        description="Four basins; the global minimum is in the lower-left one.",
    ),
    Surface(
        id="goldstein-price",
        name="Goldstein-Price",
        expression="(1 + (x + y + 1)^2*(19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2))"
        "*(30 + (2*x - 3*y)^2*(18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))",
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.0, 1.5),
        minima=(("0", "-1"),),
        log_contours=True,
        description="Values spanning six orders of magnitude, with several local minima.",
    ),
)
