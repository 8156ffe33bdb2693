"""Time steppers of :func:`frg.solve_flow`, as diffrax solver objects.

- :class:`Rodas4` (default) and :class:`Rodas5P`: linearly implicit Rosenbrock
  methods with a tridiagonal Jacobian (``frg/_flow/_rosenbrock.py``): one coloured JVP
  and six (eight) O(n) tridiagonal solves per step, no Newton iterations.
- :class:`Kvaerno5` and :class:`Kvaerno3`: diffrax's ESDIRK methods with a tridiagonal
  Newton solve (:class:`TridiagonalNewton`), re-linearised every iteration, at the
  step controller's tolerances.

Each solver carries ``pid_coefficients``, the ``(pcoeff, icoeff)`` of the default
``diffrax.PIDController`` that :func:`frg.solve_flow` builds from ``rtol, atol``
(measured per solver on B1-type flows, docs/lpa.md "Steppers"). Any other
``diffrax.AbstractAdaptiveSolver`` is accepted too (integral control, gain 1).

Reference: E. Hairer, G. Wanner, Solving ODEs II, Springer (1996), IV.7 and IV.8;
A. Kværnø, BIT 44, 489 (2004).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import diffrax
import equinox as eqx
import jax.lax as lax
import jax.numpy as jnp
import optimistix as optx

from ._rosenbrock import Rodas4, Rodas5P, tridiagonal_jvp

__all__ = [
    "Rodas4",
    "Rodas5P",
    "Kvaerno5",
    "Kvaerno3",
    "TridiagonalNewton",
    "SOLVERS",
    "make_solver",
    "pid_coefficients",
]


class _NewtonState(eqx.Module):
    size: object  # scaled norm of the last Newton correction |Δ_k|
    step: object  # iterations done
    code: object  # 0: go on, 1: converged, 2: failed (diffrax rejects the step)


class TridiagonalNewton(optx.AbstractRootFinder):
    """Newton's method (re-linearised every iteration) for a tridiagonal Jacobian.

    Each iteration is one forward pass: ``f(y)`` and the three diagonals of ∂f/∂y come
    from one ``vmap``ped JVP with colour seeds (ones at the indices ≡ c mod 3), and the
    correction from LAPACK ``gtsv`` (``lax.linalg.tridiagonal_solve``): O(n).

    Stopping rule of Hairer & Wanner (IV.8): with the contraction rate
    θ = |Δ_k|/|Δ_{k−1}| (max norm scaled by atol + rtol|y|), stop when
    θ/(1−θ)|Δ_k| < ``kappa`` (or |Δ_1| < ``kappa``); give up (diffrax rejects the
    step and shrinks it) as soon as θ ≥ 1 or θ^(max_iter−k)/(1−θ)|Δ_k| > ``kappa``, i.e.
    when convergence within ``max_iter`` iterations is out of reach (under ``vmap``
    one hopeless member then does not hold the batch for ``max_iter`` iterations).
    ``rtol`` and ``atol`` may be traced.
    """

    rtol: float
    atol: float
    kappa: float = 0.1
    max_iter: int = eqx.field(static=True, default=10)
    norm: Callable = eqx.field(static=True, default=optx.max_norm)

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del fn, args, options, f_struct, aux_struct, tags
        dtype = y.dtype
        return _NewtonState(size=jnp.array(jnp.inf, dtype), step=jnp.array(0), code=jnp.array(0))

    def step(self, fn, y, args, options, state, tags):
        del options, tags
        fx, lower, diag, upper = tridiagonal_jvp(lambda z: fn(z, args)[0], y)
        diff = lax.linalg.tridiagonal_solve(lower, diag, upper, fx[:, None])[:, 0]
        new_y = y - diff
        size = self.norm(diff / (self.atol + self.rtol * jnp.abs(new_y))).astype(y.dtype)
        k = state.step + 1
        rate = size / state.size
        second = k >= 2
        tiny = size < 10.0 ** (2 - jnp.finfo(size.dtype).precision)
        converged = (size < self.kappa) | (
            second & (rate < 1) & (size * rate / (1 - rate) < self.kappa)
        )
        hopeless = second & (
            (rate >= 1) | (size * rate ** (self.max_iter - k) / (1 - rate) > self.kappa)
        )
        failed = ~jnp.isfinite(size) | (hopeless & ~converged & ~tiny)
        code = jnp.where(failed, 2, jnp.where(tiny | converged, 1, 0))
        return new_y, _NewtonState(size=size, step=k, code=code), None

    def terminate(self, fn, y, args, options, state, tags):
        result = optx.RESULTS.where(
            state.code == 2, optx.RESULTS.nonlinear_divergence, optx.RESULTS.successful
        )
        return state.code > 0, result

    def postprocess(self, fn, y, aux, args, options, state, tags, result):
        return y, aux, {}


# diffrax's ESDIRKs evaluate ``root_finder.init`` (for a chord method: the Jacobian) in
# a ``lax.cond`` at the second stage of every step and carry it through the stage loop.
# ``TridiagonalNewton.init`` builds no Jacobian, so calling it at every stage is free
# and drops that cond (one XLA conditional per stage, docs/lpa.md "Speed").
_EVERY_STAGE = type(diffrax.Kvaerno5.calculate_jacobian).every_stage


class Kvaerno5(diffrax.Kvaerno5):
    """diffrax's ESDIRK Kvaerno5 (order 5, L-stable) with a tridiagonal Newton solve.

    :func:`frg.solve_flow` sets ``root_finder`` to a :class:`TridiagonalNewton` at the
    step controller's tolerances.

    Example:
        >>> sol = frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Litim(), grid=32,
        ...                      k_ir=0.1, solver=frg.Kvaerno5())
        >>> frg.result_name(sol.result)
        'successful'
    """

    calculate_jacobian = _EVERY_STAGE
    pid_coefficients: ClassVar[tuple[float, float]] = (0.4, 0.3)


class Kvaerno3(diffrax.Kvaerno3):
    """diffrax's ESDIRK Kvaerno3 (order 3, L-stable) with a tridiagonal Newton solve."""

    calculate_jacobian = _EVERY_STAGE
    pid_coefficients: ClassVar[tuple[float, float]] = (0.4, 0.3)


SOLVERS: dict[str, type] = {
    "rodas4": Rodas4,
    "rodas5p": Rodas5P,
    "kvaerno5": Kvaerno5,
    "kvaerno3": Kvaerno3,
}


def make_solver(name: str):
    """A solver by name (a key of :data:`SOLVERS`), for the CLI's ``--stepper``.

    Example:
        >>> isinstance(frg.make_solver("rodas4"), frg.Rodas4)
        True
    """
    try:
        return SOLVERS[name]()
    except KeyError:
        raise ValueError(f"stepper must be one of {sorted(SOLVERS)}; got {name!r}") from None


def pid_coefficients(solver) -> tuple[float, float]:
    """``(pcoeff, icoeff)`` of the default step control for ``solver``."""
    return getattr(type(solver), "pid_coefficients", (0.0, 1.0))
