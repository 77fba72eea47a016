"""Second-order descent: trust-region Newton, BFGS, L-BFGS (with bounds) and nonlinear CG.

Each method is a *step* for the one descent loop (:func:`descend.loop.driver.drive`), so it
stops by the same rules, is judged by the same verdicts and keeps the same history, callbacks
and checkpoints as gradient descent. :func:`run_method` is what ``minimize(method=...)`` calls.

=================  =====================================  ===============================
``method=``        what it is                             scipy's name
=================  =====================================  ===============================
``newton``         trust-region Newton, exact Hessian     ``trust-exact`` / ``trust-ncg``
``bfgs``           BFGS, strong-Wolfe line search         ``BFGS``
``l-bfgs``         limited-memory BFGS; ``bounds=``       ``L-BFGS-B``
``cg``             Polak-Ribière-plus conjugate gradient  ``CG``
=================  =====================================  ===============================
"""

from descend.loop.second_order._run import (
    METHODS,
    choose_method,
    default_method,
    method_name,
    run_method,
)

__all__ = ["METHODS", "choose_method", "default_method", "method_name", "run_method"]
