"""Root finding for the fixed-point search (optimistix), and the implicit-function
re-attachment of derivatives.

``newton(fun, x0, args)`` runs inside ``jit``/``vmap``: ``optimistix.least_squares``
with :class:`DampedNewton`, a Gauss–Newton solver assembled from optimistix's
``NewtonDescent`` (dense LU: the Newton step of the square system) and
``BacktrackingArmijo`` line search (plain ``optimistix.Newton`` is undamped and does
not converge from the rough start profiles of the fixed-point search). Its input
is cut from the autodiff graph (``stop_gradient``): no Newton iterate is
differentiated. ``implicit(fun, x_star, args)`` returns ``x_star`` with the derivative
of the root w.r.t. ``args`` given by the implicit function theorem,
dx/dθ = −J⁻¹ ∂F/∂θ: it is one Newton step from the (stop-gradient) converged root,
x = x* − J(x*)⁻¹ F(x*, θ) with J held constant, whose value is x* (F(x*) ≈ 0) and
whose first derivative is exactly −J⁻¹ ∂_θF. It is kept (rather than optimistix's
``ImplicitAdjoint``) because the fixed-point finder reaches its root through a
continuation (a ``scan`` of solves at other (N, d)) and attaches the derivative once,
at the target (N, d), with the target's arguments.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import lineax as lx
import optimistix as optx
from jax import lax


class DampedNewton(optx.AbstractGaussNewton):
    """Newton with a backtracking (Armijo) line search on ½|F|², from optimistix parts.

    For a square system with a regular Jacobian the Gauss–Newton direction
    (``optx.NewtonDescent``, dense LU) is the Newton step −J⁻¹F; ``optx.BacktrackingArmijo``
    halves the step until ½|F|² decreases sufficiently. Stops on Cauchy convergence of
    both x and F (``rtol``/``atol``, max-norm).
    """

    rtol: float
    atol: float
    norm: Callable = optx.max_norm
    descent: optx.NewtonDescent = optx.NewtonDescent(linear_solver=lx.LU())
    search: optx.BacktrackingArmijo = optx.BacktrackingArmijo(decrease_factor=0.5, slope=1e-4)
    verbose: Callable = lambda **kw: None  # noqa: E731


def _norm(f):
    n = jnp.sqrt(jnp.sum(f**2))
    return jnp.where(jnp.isfinite(n), n, jnp.inf)


def newton(fun, x0, args, *, tol=1e-12, maxiter=60):
    """Damped Newton for ``fun(x, args) = 0`` (:class:`DampedNewton` via
    ``optimistix.least_squares``); returns ``(x, |F|, iterations)``.

    Stops when the change of x and of F over an accepted step is below ``tol``
    (max-norm, absolute plus relative), or after ``maxiter`` optimistix steps
    (``iterations`` counts them, rejected line-search trials included). ``|F|`` is the
    2-norm of the residual at the returned ``x`` (inf if non-finite); callers test it.
    """
    x0 = lax.stop_gradient(x0)
    args = lax.stop_gradient(args)
    solver = DampedNewton(rtol=tol, atol=tol)
    sol = optx.least_squares(fun, solver, x0, args, max_steps=maxiter, throw=False)
    x = sol.value
    return x, _norm(fun(x, args)), sol.stats["num_steps"]


def implicit(fun, x_star, args):
    """``x_star`` carrying the implicit-function-theorem derivative w.r.t. ``args``."""
    xs = lax.stop_gradient(x_star)
    J = lax.stop_gradient(jax.jacfwd(fun)(xs, lax.stop_gradient(args)))
    return xs - jnp.linalg.solve(J, fun(xs, args))
