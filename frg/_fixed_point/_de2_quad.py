"""Momentum quadrature for the derivative expansion (private helper of :mod:`frg.de2`).

The O(∂²) flow needs d-dimensional integrals of the regulated propagator
``G(y) = 1/(z y + g(y) + m)`` and of its y-derivatives (from the expansion of
``G((p+q)^2)`` in the external momentum), so unlike :class:`frg.ThresholdRule`
(which folds ``g − y g'`` into the weights) the rule here keeps the regulator's
shape and its first two derivatives at each node:

    ∫ d^dq/(2π)^d f(q^2/k^2) = k^d Σ_i w_i f(y_i),   w_i = 2 v_d y_i^{d/2−1} dy_i,

with double-exponential nodes from :func:`frg.threshold._de_nodes`. ``g', g''``
come from forward-mode autodiff of ``regulator.g``, so any smooth regulator works
and its parameters may be traced (PMS gradients).

Reference: H. Takahasi and M. Mori, Publ. RIMS 9, 721 (1974).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._flow.regulators import AbstractRegulator
from .._flow.threshold import _de_nodes, v_d


class MomentumRule(eqx.Module):
    """Nodes ``y``, measure weights ``w`` and regulator data ``g, g', g''`` at the nodes."""

    y: jax.Array
    w: jax.Array
    g: jax.Array
    g1: jax.Array
    g2: jax.Array

    def dt_r(self, eta):
        """``∂_t R_k/(Z_k k^2) = 2 (g − y g') − η g`` at the nodes (η = −∂_t ln Z_k)."""
        return 2.0 * (self.g - self.y * self.g1) - eta * self.g

    def integrate(self, f):
        """``Σ_i w_i f_i`` over the last axis (the nodes)."""
        return jnp.sum(self.w * f, axis=-1)


@eqx.filter_jit
def _derivs_at(regulator: AbstractRegulator, y):
    """``g, g', g''`` at the nodes ``y`` (forward-mode autodiff, compiled per regulator type)."""

    def derivs(t):
        g0, g1 = jax.jvp(regulator.g, (t,), (jnp.ones_like(t),))
        _, g2 = jax.jvp(
            lambda s: jax.jvp(regulator.g, (s,), (jnp.ones_like(s),))[1], (t,), (jnp.ones_like(t),)
        )
        return g0, g1, g2

    return jax.vmap(derivs)(y)


def momentum_rule(regulator: AbstractRegulator, d) -> MomentumRule:
    """The :class:`MomentumRule` of ``regulator`` in ``d`` dimensions (d, parameters traceable)."""
    y_np, dy_np = _de_nodes(regulator.support())
    # y^{d/2} < 1e-15 below y = 1e-30 for d >= 1: those nodes carry no weight, and second
    # derivatives of series branches of g are not reliable there.
    keep = y_np > 1e-30
    y_np, dy_np = y_np[keep], dy_np[keep]
    y = jnp.asarray(y_np)
    d = jnp.asarray(d, dtype=float)

    g0, g1, g2 = _derivs_at(regulator, y)
    w = 2.0 * v_d(d) * y ** (0.5 * d - 1.0) * jnp.asarray(dy_np)
    ok = jnp.isfinite(g0) & jnp.isfinite(g1) & jnp.isfinite(g2) & jnp.isfinite(w)
    return MomentumRule(
        y=y,
        w=jnp.where(ok, w, 0.0),
        g=jnp.where(ok, g0, 0.0),
        g1=jnp.where(ok, g1, 0.0),
        g2=jnp.where(ok, g2, 0.0),
    )
