"""The differential corpus: (function, start, optimizer, learning rate, max_iter, verdict).

Each case is chosen for one behaviour, and the verdict column is what the math says it must
be (not what descend printed; ``None`` where only the agreement is tested): a bowl converges below 2/L, a rate at or above 2/L bounces or
blows up, a run along a saddle's rising axis ends on the saddle, ``x**3`` has an inflection
at 0, ``-x**2`` is unbounded below, ``abs`` has a kink the step keeps jumping over.
"""

BOWL = "x**2 + y**2"                     # L = 2, 2/L = 1
VALLEY = "x**2 + x*y + y**2"             # L = 3, 2/L = 2/3
NARROW = "x**2 + 10*y**2"                # L = 20, 2/L = 0.1
SADDLE = "x**2 - y**2"
HILL = "-(x**2) - y**2"
HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"
ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
WELLS = "(x**2 - 1)**2 + y**2"           # minima (+-1, 0), saddle (0, 0)
KINK = "abs(x) + abs(y)"
BUMP = "1 - exp(-(x**2 + y**2))"         # a plateau far out

CASES = [
    # minima, below the stability limit
    (BOWL, [3, 1], "gd", 0.1, 500, "converged"),
    (BOWL, [3, 1], "gd", 0.5, 500, "converged"),
    (VALLEY, [3, 1], "gd", 0.1, 500, "converged"),
    (VALLEY, [3, 1], "momentum", 0.05, 500, "converged"),
    (VALLEY, [3, 1], "nesterov", 0.05, 500, "converged"),
    (VALLEY, [3, 1], "adam", 0.1, 2000, "converged"),
    (NARROW, [3, 1], "gd", 0.09, 1000, "converged"),
    (HIMMELBLAU, [3, 1], "gd", 0.01, 500, "converged"),
    (HIMMELBLAU, [-1, 1], "gd", 0.01, 500, "converged"),
    (HIMMELBLAU, [-1, -1], "gd", 0.01, 500, "converged"),
    (HIMMELBLAU, [1, -1], "gd", 0.01, 500, "converged"),
    (WELLS, [2, 1], "gd", 0.05, 500, "converged"),
    ("x**2", [3], "gd", 0.1, 500, "converged"),
    ("x*sin(x)", [1], "gd", 0.1, 500, "converged"),
    ("(x - 2)**4", [3], "gd", 0.1, 20, "budget_spent"),
    # budget spent: too few steps, or a tiny rate
    (VALLEY, [3, 1], "gd", 0.001, 50, "budget_spent"),
    (ROSENBROCK, [-1, 1], "gd", 0.001, 200, "budget_spent"),
    (ROSENBROCK, [-1, 1], "adagrad", 0.1, 100, "budget_spent"),
    (VALLEY, [3, 1], "rmsprop", 0.001, 50, "budget_spent"),
    ("x", [0], "gd", 0.1, 100, "budget_spent"),            # a slope without end, slowly
    # saddles, maxima, an inflection: stationary but not minima
    (SADDLE, [3, 0], "gd", 0.1, 500, "not_a_minimum"),
    (SADDLE, [-2, 0], "momentum", 0.05, 500, "not_a_minimum"),
    (WELLS, [0, 1], "gd", 0.1, 500, "not_a_minimum"),       # along y to the saddle (0, 0)
    (HILL, [0, 0], "gd", 0.1, 500, "not_a_minimum"),        # starts on the top
    ("x**4 - x**2", [0], "gd", 0.1, 500, "not_a_minimum"),  # a maximum
    ("x**3", [0], "gd", 0.1, 500, "not_a_minimum"),         # an inflection
    (BUMP, [5, 5], "gd", 0.1, 500, "stalled"),  # the plateau: f, grad, H flat to f's precision
    # unbounded below
    (SADDLE, [3, 1], "gd", 0.1, 500, "unbounded_below"),
    (HILL, [1, 1], "gd", 0.1, 500, "unbounded_below"),
    ("-x**2", [1], "gd", 0.1, 500, "unbounded_below"),
    ("x**3", [-1], "gd", 0.1, 500, "unbounded_below"),
    ("x**3", [1], "gd", 0.1, 500, "budget_spent"),          # creeps towards the inflection
    ("x**3 - 3*x", [-1.5], "gd", 0.05, 500, "unbounded_below"),
    # oscillation at or above the stability limit, and around a kink
    (VALLEY, [3, 1], "gd", 2 / 3, 300, "oscillating"),
    (BOWL, [3, 1], "gd", 1.0, 300, "oscillating"),
    ("x**2", [3], "gd", 1.0, 300, "oscillating"),
    (KINK, [3, 1], "gd", 0.3, 300, "oscillating"),
    ("x*sin(x)", [-6], "gd", 2.0, 200, None),  # issue 23's run: page and engine agree
    # divergence above the stability limit
    (VALLEY, [3, 1], "gd", 0.8, 1000, "diverged"),
    (NARROW, [3, 1], "gd", 0.11, 2000, "diverged"),
    (BOWL, [3, 1], "momentum", 2.0, 1000, "diverged"),
    ("x**2", [3], "gd", 1.5, 1000, "diverged"),
    (ROSENBROCK, [-1, 1], "gd", 0.01, 1000, "diverged"),
    ("exp(x) + exp(-x)", [3], "gd", 3.0, 1000, "diverged"),
]
