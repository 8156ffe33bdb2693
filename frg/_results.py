"""One results enumeration for every solver of frg (flows, fixed points, cascades, sweeps).

Each solution pytree carries ``result: frg.RESULTS`` (an ``equinox.Enumeration``
member, traceable through ``jit`` and ``vmap``). ``sol.result == frg.RESULTS.successful``
is an array of booleans; ``RESULTS[sol.result]`` is the message of a concrete
(unbatched) result. Solvers take ``throw=``: ``True`` raises an ``EquinoxRuntimeError``
with the message when the result is not ``successful`` (like diffrax and optimistix),
``False`` (the default for batched calls) leaves it in the returned pytree.

Example:
    >>> sol = frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Litim(), d=3.0, N=1.0,
    ...                      k_ir=1e-2, grid=32, rho_max=0.1)
    >>> bool(sol.result == frg.RESULTS.successful)
    True
"""

from __future__ import annotations

import equinox as eqx
import numpy as np

__all__ = ["RESULTS", "result_message", "result_name"]


class RESULTS(eqx.Enumeration):
    """Outcome of an frg solve (one enumeration for all solvers)."""

    successful = "success"
    # flows (solve_flow, solve_zero_d, the lattice LPA)
    max_steps_reached = "step limit reached (max_steps) before k_ir"
    pole = (
        "integration failed: the propagator pole k² + U' → 0 was reached or the state "
        "became non-finite (step size collapsed)"
    )
    nonfinite = "non-finite values or pole crossed in the result"
    minimum_left_grid = "the minimum of U left the grid (increase rho_max)"
    # fixed points (critical_exponents, find_fixed_point, pms)
    not_converged = "fixed point not converged (Newton / continuation failed)"
    gaussian = "converged to the Gaussian fixed point (u ≡ 0)"
    other_fixed_point = (
        "converged to a fixed point other than Wilson–Fisher (more than one relevant "
        "direction or more than one node)"
    )
    not_resolved = "fixed point not resolved on the grid (increase the grid or rho_max)"
    complex_leading = "the leading eigenvalues are complex"
    pms_failed = "PMS search did not converge (check the bracket)"
    # cascades (cdbn_potential, compare_cascade)
    non_normalisable = "non-normalisable layer (the layer's Gaussian weight is not bounded)"
    explicit_unstable = "explicit stack unstable (round-off could have grown 1e8-fold)"
    newton_failed = "Newton iteration of an implicit layer failed"


def result_name(result) -> str:
    """The member name of a concrete ``RESULTS`` value (e.g. ``"successful"``)."""
    index = int(np.asarray(result._value))
    return list(RESULTS._name_to_item)[index]


def result_message(result) -> str:
    """The message of a concrete ``RESULTS`` value."""
    return RESULTS[result]
