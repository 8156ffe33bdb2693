"""Threshold functions: the d-dimensional momentum integrals of the flow.

With ``y = q^2/k^2`` and a regulator ``R_k = Z k^2 g(y)``,

    ½ ∫ d^dq/(2π)^d  ∂_t R_k / (Z q^2 + R_k + m^2)^n  =  k^{d+2−2n} Z^{1−n} ℓ_n^d(m^2/(Z k^2))

(with ∂_t Z ignored), where

    ℓ_n^d(w) = 2 v_d ∫_0^∞ dy  y^{d/2−1} [g(y) − y g'(y)] / (y + g(y) + w)^n,
    v_d^{-1} = 2^{d+1} π^{d/2} Γ(d/2).

For the Litim regulator ℓ_n^d(w) = (4 v_d/d)/(1 + w)^n, so the LPA flow reads
∂_t U = k^d [(N−1) ℓ_1(U'/k^2) + ℓ_1((U' + 2ρU'')/k^2)], as in
``docs/theory/conventions.md``.

The integral is done once per (regulator, d) by double-exponential quadrature
(tanh–sinh on [0, y_max] for regulators of compact support, exp–sinh on [0, ∞)
otherwise), which handles the y^{d/2−1} endpoint singularity and algebraic or
exponential tails at double-exponential rate. The result is a
:class:`ThresholdRule`: nodes ``q_i = y_i + g(y_i)`` and weights ``c_i`` so that
``ℓ_n(w) = Σ_i c_i/(q_i + w)^n`` for every w and n. The rule is a pytree; d and the
regulator's parameters may be traced (vmap over d, grad w.r.t. a regulator
parameter).

Reference: H. Takahasi and M. Mori, Publ. RIMS 9, 721 (1974) (DE quadrature);
J. Berges, N. Tetradis, C. Wetterich, Phys. Rep. 363, 223 (2002) (threshold functions).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from .regulators import AbstractRegulator, Litim

__all__ = ["ThresholdRule", "threshold_rule", "threshold", "litim_threshold", "v_d"]

_H = 1.0 / 16.0
_T_LO = -7.0  # reaches y ~ 1e-300 at the origin: y^{d/2} negligible down to d ~ 0.05
_T_HI_TANH = 3.5
_T_HI_EXP = 5.5  # y ~ 1e83: algebraic tails y^{-(p - d/2)} down to p - d/2 ~ 0.2


def _is_number(d) -> bool:
    return isinstance(d, (int, float, np.integer, np.floating))


def v_d(d):
    """``v_d = 1/(2^{d+1} π^{d/2} Γ(d/2))``; traceable in d (a Python float for a number d:
    no eager jnp ops, which cost ~0.5 ms per :func:`frg.solve_flow` call)."""
    if _is_number(d):
        d = float(d)
        return math.exp(
            -((d + 1) * math.log(2.0) + 0.5 * d * math.log(math.pi) + math.lgamma(0.5 * d))
        )
    d = jnp.asarray(d, dtype=float)
    return jnp.exp(-((d + 1) * jnp.log(2.0) + 0.5 * d * jnp.log(jnp.pi) + gammaln(0.5 * d)))


class ThresholdRule(eqx.Module):
    """Quadrature rule with ``ℓ_n(w) = Σ_i c_i / (q_i + w)^n``.

    Attributes:
        y: momentum nodes ``y_i = q^2/k^2``.
        q: ``y_i + g(y_i)`` (regulated inverse propagator at w = 0, units of k^2).
        c: weights, including the measure ``2 v_d y^{d/2−1} dy`` and ``g − y g'``.
    """

    y: jax.Array
    q: jax.Array
    c: jax.Array

    def __call__(self, w, n: int = 1):
        """``ℓ_n^d(w)`` for an array ``w`` (any shape); elementwise."""
        w = jnp.asarray(w)
        den = self.q + w[..., None]
        return jnp.sum(self.c / den**n, axis=-1)

    @property
    def w_pole(self):
        """The w at which the flow's propagator first diverges: ``−min_y (y + g(y))``."""
        # NumPy nodes (a concrete rule, e.g. Litim's) stay NumPy: no eager jnp dispatch
        return -(np.min(self.q) if isinstance(self.q, np.ndarray) else jnp.min(self.q))


def _de_nodes(support: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Double-exponential nodes ``y_i`` and ``dy/dt · h`` on [0, support] or [0, ∞)."""
    if support is None:
        t = np.arange(_T_LO, _T_HI_EXP + 0.5 * _H, _H)
        s = 0.5 * np.pi * np.sinh(t)
        y = np.exp(s)
        dy = y * 0.5 * np.pi * np.cosh(t) * _H
    else:
        t = np.arange(_T_LO, _T_HI_TANH + 0.5 * _H, _H)
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(-np.pi * np.sinh(t))
            y = support / (1.0 + e)
            dy = support * np.pi * np.cosh(t) * (e / (1.0 + e)) / (1.0 + e) * _H
    keep = (y > 1e-300) & np.isfinite(y) & (dy > 0)
    return y[keep], dy[keep]


def threshold_rule(regulator: AbstractRegulator, d, *, exact: bool = True) -> ThresholdRule:
    """Build the :class:`ThresholdRule` of ``regulator`` in ``d`` dimensions.

    Args:
        regulator: any :class:`~frg.AbstractRegulator`.
        d: dimension, 0 < d <= 4 (traceable).
        exact: for the Litim regulator use the closed form (a single node, exact);
            ``False`` forces the generic quadrature (used to test it).

    Returns:
        A rule ``ℓ`` with ``ℓ(w, n) = ℓ_n^d(w)``.

    Example:
        >>> rule = frg.threshold_rule(frg.Wetterich(), 3.0)
        >>> rule(jnp.array([0.0, 0.5]))

    Reference: Berges, Tetradis, Wetterich, Phys. Rep. 363, 223 (2002), eq. (4.12).
    """
    if exact and isinstance(regulator, Litim):  # a number d: NumPy leaves, no eager jnp
        xp, d = (np, float(d)) if _is_number(d) else (jnp, jnp.asarray(d, dtype=float))
        one = xp.ones(1)
        return ThresholdRule(y=0.5 * one, q=one, c=(4.0 * v_d(d) / d) * one)
    d = jnp.asarray(d, dtype=float)
    y_np, dy_np = _de_nodes(regulator.support())
    y = jnp.asarray(y_np)
    gy = regulator.g(y)
    num = regulator.dt_g(y)
    c = 2.0 * v_d(d) * y ** (0.5 * d - 1.0) * jnp.asarray(dy_np) * num
    q = y + gy
    # Nodes where g overflowed (IR-divergent regulators at tiny y) carry no weight.
    ok = jnp.isfinite(q) & jnp.isfinite(c)
    return ThresholdRule(y=y, q=jnp.where(ok, q, 1.0), c=jnp.where(ok, c, 0.0))


def threshold(regulator: AbstractRegulator, d, w, n: int = 1):
    """``ℓ_n^d(w)`` for ``regulator`` in ``d`` dimensions; see :func:`threshold_rule`."""
    return threshold_rule(regulator, d)(w, n)


def litim_threshold(d, w, n: int = 1):
    """Closed form for the Litim regulator: ``ℓ_n^d(w) = (4 v_d/d)/(1 + w)^n``."""
    return 4.0 * v_d(d) / jnp.asarray(d, dtype=float) / (1.0 + jnp.asarray(w)) ** n
