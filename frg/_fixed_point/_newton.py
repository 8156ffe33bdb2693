"""Root finding for the fixed-point search (optimistix), and the implicit-function
re-attachment of derivatives.

* ``newton(fun, x0, args)``: damped Newton for rough starts (the reference solve of
  the fixed-point search): ``optimistix.least_squares`` with :class:`DampedNewton`, a
  Gauss–Newton solver assembled from optimistix's ``NewtonDescent`` (dense LU: the
  Newton step of the square system) and ``BacktrackingArmijo`` line search (plain
  ``optimistix.Newton`` is undamped and does not converge from the rough start
  profiles of the fixed-point search). With ``ftol`` it also stops at the first
  accepted point with |F| < ftol (saves the extra steps of the Cauchy test; loose
  ``ftol`` for intermediate continuation steps).
  Measured (Litim, M = 56, 2-core CPU): a continuation step with ``optimistix.Newton``
  via ``optimistix.root_find`` (stopping at |F| < ftol) plus a damped fall-back costs
  ~1.8× the damped solver with ``ftol`` (per-call overhead of the extra solve), so the
  damped solver is used for every step.
* ``attach_implicit(fun, x_star, args, J)``: the root x* (value unchanged) with the
  derivative w.r.t. ``args`` given by the implicit function theorem,
  dx/dθ = −J⁻¹ ∂F/∂θ (``jax.custom_jvp``), with J the Jacobian Newton's solver left at
  the root, so the differentiated program holds no second one.

Newton inputs are cut from the autodiff graph (``stop_gradient``): no Newton iterate
is differentiated. The IFT is attached once, at the target, because the fixed-point
finder reaches its root through a continuation (a ``scan`` of solves at other (N, d)).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import optimistix as optx
from jax import lax

#: residual 2-norm below which a root counts as converged (``FixedPoint.status``)
ACCEPT = 1e-9


class DampedNewton(optx.AbstractGaussNewton):
    """Newton with a backtracking (Armijo) line search on ½|F|², from optimistix parts.

    For a square system with a regular Jacobian the Gauss–Newton direction
    (``optx.NewtonDescent``, dense LU) is the Newton step −J⁻¹F; ``optx.BacktrackingArmijo``
    halves the step until ½|F|² decreases sufficiently. Stops on Cauchy convergence of
    both x and F (``rtol``/``atol``, max-norm) or, if ``ftol`` is set, at the first
    accepted point with 2-norm |F| < ftol.
    """

    rtol: float
    atol: float
    norm: Callable = optx.max_norm
    descent: optx.NewtonDescent = optx.NewtonDescent(linear_solver=lx.LU())
    search: optx.BacktrackingArmijo = optx.BacktrackingArmijo(decrease_factor=0.5, slope=1e-4)
    verbose: Callable = lambda **kw: None  # noqa: E731
    ftol: float | None = None
    max_its: int | jax.Array | None = None

    def step(self, fn, y, args, options, state, tags):
        y, state, aux = super().step(fn, y, args, options, state, tags)
        stop = state.terminate
        if self.ftol is not None:
            accepted = state.num_steps_since_acceptance == 0
            small = _norm(state.f_info.residual) < self.ftol
            stop = stop | (accepted & small)
        if self.max_its is not None:  # a traced step limit (``max_steps`` is static)
            stop = stop | (state.num_steps >= self.max_its)
        if stop is not state.terminate:
            state = eqx.tree_at(lambda s: s.terminate, state, stop)
        return y, state, aux


def _norm(f):
    n = jnp.sqrt(jnp.sum(f**2))
    return jnp.where(jnp.isfinite(n), n, jnp.inf)


def newton(fun, x0, args, *, tol=1e-12, maxiter=60, ftol=None, max_its=None):
    """Damped Newton for ``fun(x, args) = 0`` (:class:`DampedNewton` via
    ``optimistix.least_squares``); returns ``(x, |F|, iterations, J)``.

    Stops when the change of x and of F over an accepted step is below ``tol``
    (max-norm, absolute plus relative), at an accepted point with |F| < ``ftol`` (if
    given; may be traced), after ``max_its`` steps (if given; may be traced, so one
    compiled solve serves callers with different limits) or after ``maxiter`` (static)
    optimistix steps (``iterations`` counts them, rejected line-search trials included).
    ``|F|`` is the 2-norm of the residual at the returned ``x`` (inf if non-finite);
    callers test it. ``J`` is the Jacobian of ``fun`` at ``x``. Both come from the
    solver's state (its last accepted point is the returned ``x``), so ``fun`` is not
    evaluated again: a residual that is expensive to compile appears in the program
    once, inside the solver.
    """
    x0 = lax.stop_gradient(x0)
    args = lax.stop_gradient(args)
    solver = DampedNewton(rtol=tol, atol=tol, ftol=ftol, max_its=max_its)
    sol = optx.least_squares(fun, solver, x0, args, max_steps=maxiter, throw=False)
    info = sol.state.f_info
    return sol.value, _norm(info.residual), sol.stats["num_steps"], info.jac.as_matrix()


def attach_implicit(fun, x_star, args, J):
    """``x_star`` (value unchanged) with tangent ``−J⁻¹ ∂F/∂args · d args``.

    ``J``: the Jacobian of ``fun`` at ``x_star``, as :func:`newton` returns it, so a
    differentiated program holds no second Jacobian of ``fun``.
    """
    return _attached(fun, lax.stop_gradient(x_star), args, lax.stop_gradient(J))


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _attached(fun, xs, args, J):
    return xs


@_attached.defjvp
def _attached_jvp(fun, primals, tangents):
    xs, a, J = primals
    _, da, _ = tangents
    _, dF = jax.jvp(lambda aa: fun(xs, aa), (a,), (da,))
    return xs, -jnp.linalg.solve(J, dF)
