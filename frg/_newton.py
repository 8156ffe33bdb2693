"""Damped Newton iteration with a dense Jacobian, and the implicit-function re-attachment.

``newton(fun, x0, args)`` runs inside ``jit``/``vmap`` (a ``lax.while_loop``);
``implicit(fun, x_star, args)`` returns ``x_star`` with the derivative of the root
w.r.t. ``args`` given by the implicit function theorem, dx/dθ = −J⁻¹ ∂F/∂θ: it is one
Newton step from the (stop-gradient) converged root, x = x* − J(x*)⁻¹ F(x*, θ) with J
held constant, whose value is x* (F(x*) ≈ 0) and whose first derivative is exactly
−J⁻¹ ∂_θF. No Newton iterate is differentiated.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

_ALPHAS = 0.5 ** jnp.arange(8.0)


def _norm(f):
    n = jnp.sqrt(jnp.sum(f**2))
    return jnp.where(jnp.isfinite(n), n, jnp.inf)


def newton(fun, x0, args, *, tol=1e-12, maxiter=60):
    """Damped Newton for ``fun(x, args) = 0``; returns ``(x, |F|, iterations)``.

    Each step tries step lengths 1, 1/2, ..., 1/128 and takes the first that lowers |F|
    (the smallest one otherwise). Stops when ``|F| < tol`` (absolute, 2-norm) after a
    full step, or after ``maxiter`` iterations.
    """
    jac = jax.jacfwd(fun)

    def step(carry):
        x, f, it = carry
        J = jac(x, args)
        dx = jnp.linalg.solve(J, f)
        dx = jnp.where(jnp.isfinite(dx), dx, 0.0)
        xs = x[None, :] - _ALPHAS[:, None] * dx[None, :]
        fs = jax.vmap(lambda xx: fun(xx, args))(xs)
        ns = jax.vmap(_norm)(fs)
        n0 = _norm(f)
        ok = ns < n0
        idx = jnp.where(jnp.any(ok), jnp.argmax(ok), len(_ALPHAS) - 1)
        return xs[idx], fs[idx], it + 1

    def cond(carry):
        x, f, it = carry
        n = _norm(f)
        return (it < maxiter) & (n > tol) & jnp.isfinite(n)

    f0 = fun(x0, args)
    x, f, it = lax.while_loop(cond, step, (x0, f0, jnp.asarray(0)))
    return x, _norm(f), it


def implicit(fun, x_star, args):
    """``x_star`` carrying the implicit-function-theorem derivative w.r.t. ``args``."""
    xs = lax.stop_gradient(x_star)
    J = lax.stop_gradient(jax.jacfwd(fun)(xs, lax.stop_gradient(args)))
    return xs - jnp.linalg.solve(J, fun(xs, args))
