"""Threshold functions: the d-dimensional momentum integrals of the flow.

With ``y = q^2/k^2`` and a regulator ``R_k = Z k^2 g(y)``,

    ½ ∫ d^dq/(2π)^d  ∂_t R_k / (Z q^2 + R_k + m^2)^n  =  k^{d+2−2n} Z^{1−n} ℓ_n^d(m^2/(Z k^2))

(with ∂_t Z ignored), where

    ℓ_n^d(w) = 2 v_d ∫_0^∞ dy  y^{d/2−1} [g(y) − y g'(y)] / (y + g(y) + w)^n,
    v_d^{-1} = 2^{d+1} π^{d/2} Γ(d/2).

For the Litim regulator ℓ_n^d(w) = (4 v_d/d)/(1 + w)^n, so the LPA flow reads
∂_t U = k^d [(N−1) ℓ_1(U'/k^2) + ℓ_1((U' + 2ρU'')/k^2)], as in
``docs/theory/conventions.md``.

Every momentum integral of frg is built from one double-exponential quadrature
(tanh–sinh on [0, y_max] for regulators of compact support, exp–sinh on [0, ∞)
otherwise), which handles the y^{d/2−1} endpoint singularity and algebraic or
exponential tails at double-exponential rate: :func:`momentum_rule` gives the nodes
``y_i``, the measure weights ``w_i = 2 v_d y_i^{d/2−1} dy_i`` and ``g, g', g''`` at
the nodes (forward-mode autodiff of the regulator's shape). From it derive

- :class:`ThresholdRule` (:func:`threshold_rule`): ``q_i = y_i + g(y_i)`` and
  ``c_i = w_i (g − y g')`` so that ``ℓ_n(w) = Σ_i c_i/(q_i + w)^n`` for every w, n;
- the anomalous-dimension rule (``frg.eta_rule``), ``c_i = w_i g_i/2``;
- the m_{2,2} rule of LPA' (``frg.m22``), which needs g'';
- the derivative-expansion integrals (:class:`MomentumRule` itself).

A regulator with closed forms (:meth:`~frg.AbstractRegulator.threshold_closed_form`,
e.g. Litim) gets exact one-node rules instead. Every rule is a pytree; d and the
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

from .._x64 import numbers_as_float64
from .regulators import AbstractRegulator

__all__ = [
    "MomentumRule",
    "momentum_rule",
    "ThresholdRule",
    "threshold_rule",
    "threshold",
    "litim_threshold",
    "v_d",
]

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


class MomentumRule(eqx.Module):
    """Double-exponential nodes with the regulator's shape and derivatives at them.

    ``∫ d^dq/(2π)^d f(q²/k²) = k^d Σ_i w_i f(y_i)`` for a smooth f (the rule every
    momentum integral of frg derives from, see the module docstring).

    Attributes:
        y: nodes ``y_i = q²/k²``.
        w: measure weights ``2 v_d y_i^{d/2−1} dy_i``.
        g, g1, g2: ``g(y_i)``, ``g'(y_i)``, ``g''(y_i)`` (``g2`` is ``None`` when the
            rule was built with ``order=1``).
    """

    y: jax.Array
    w: jax.Array
    g: jax.Array
    g1: jax.Array
    g2: jax.Array | None = None

    def dt_r(self, eta):
        """``∂_t R_k/(Z_k k^2) = 2 (g − y g') − η g`` at the nodes (η = −∂_t ln Z_k)."""
        return 2.0 * (self.g - self.y * self.g1) - eta * self.g

    def integrate(self, f):
        """``Σ_i w_i f_i`` over the last axis (the nodes)."""
        return jnp.sum(self.w * f, axis=-1)


@eqx.filter_jit
def _shape_derivatives(regulator: AbstractRegulator, y, order: int):
    """``g, g'`` (and ``g''`` for ``order=2``) at the nodes, by forward-mode autodiff (one
    compiled call per regulator type: eager op-by-op evaluation costs milliseconds)."""
    one = jnp.ones_like(y)
    g, g1 = jax.jvp(regulator.g, (y,), (one,))
    if order < 2:
        return g, g1, None
    g2 = jax.jvp(lambda s: jax.jvp(regulator.g, (s,), (jnp.ones_like(s),))[1], (y,), (one,))[1]
    return g, g1, g2


def _raw_rule(regulator: AbstractRegulator, d, order: int, y_min: float = 0.0) -> MomentumRule:
    """Nodes, weights and shape derivatives, unmasked (non-finite entries where g overflows)."""
    y_np, dy_np = _de_nodes(regulator.support())
    keep = y_np > y_min
    y = jnp.asarray(y_np[keep])
    d = jnp.asarray(d, dtype=float)
    w = 2.0 * v_d(d) * y ** (0.5 * d - 1.0) * jnp.asarray(dy_np[keep])
    g, g1, g2 = _shape_derivatives(regulator, y, order)
    return MomentumRule(y=y, w=w, g=g, g1=g1, g2=g2)


def momentum_rule(regulator: AbstractRegulator, d) -> MomentumRule:
    """The :class:`MomentumRule` of ``regulator`` in ``d`` dimensions (d, parameters traceable).

    Nodes below y = 1e-30 are dropped (there ``y^{d/2} < 1e-15`` for d ≥ 1, and second
    derivatives of series branches of g are not reliable); nodes where g, g', g'' or
    the weight are not finite carry zero weight.

    Example:
        >>> rule = frg.momentum_rule(frg.Wetterich(), 3.0)
        >>> l2 = rule.integrate(0.5 * rule.dt_r(0.0) / (rule.y + rule.g) ** 2)  # ℓ_2(0)

    Reference: H. Takahasi and M. Mori, Publ. RIMS 9, 721 (1974).
    """
    r = _raw_rule(regulator, d, 2, y_min=1e-30)
    ok = jnp.isfinite(r.g) & jnp.isfinite(r.g1) & jnp.isfinite(r.g2) & jnp.isfinite(r.w)
    zero = lambda x: jnp.where(ok, x, 0.0)
    return MomentumRule(y=r.y, w=zero(r.w), g=zero(r.g), g1=zero(r.g1), g2=zero(r.g2))


def _one_node(d, c_over_2vd):
    """A one-node :class:`ThresholdRule` ``2 v_d c/(1 + w)^n`` (NumPy leaves for a number d)."""
    if _is_number(d):
        d = float(d)
        one = np.ones(1)
        return ThresholdRule(y=0.5 * one, q=one, c=(2.0 * v_d(d) * c_over_2vd(d)) * one)
    d = jnp.asarray(d, dtype=float)
    one = jnp.ones(1)
    return ThresholdRule(y=0.5 * one, q=one, c=(2.0 * v_d(d) * c_over_2vd(d)) * one)


def _weighted_rule(regulator, d, weight, exact, closed_form_weight) -> ThresholdRule:
    """``Σ_i c_i/(q_i + w)^n`` with ``c_i = w_i · weight(rule)_i`` or the closed form."""
    closed = regulator.threshold_closed_form() if exact else None
    if closed is not None:
        return _one_node(d, lambda dd: closed_form_weight(closed, dd))
    # d and the regulator's parameters traced: one compiled program per regulator class
    # and weight, whatever d and the parameter values
    return _quadrature_rule(numbers_as_float64(regulator), jnp.asarray(d, dtype=float), weight)


@eqx.filter_jit
def _quadrature_rule(regulator, d, weight) -> ThresholdRule:
    # one program instead of ~15 small eager operations, each compiled on first use
    # (~30 ms apiece on a 2-core CPU); ``weight`` is a module-level function (static)
    r = _raw_rule(regulator, d, 1)
    c = weight(r)
    q = r.y + r.g
    # Nodes where g overflowed (IR-divergent regulators at tiny y) carry no weight.
    ok = jnp.isfinite(q) & jnp.isfinite(c)
    return ThresholdRule(y=r.y, q=jnp.where(ok, q, 1.0), c=jnp.where(ok, c, 0.0))


def threshold_rule(regulator: AbstractRegulator, d, *, exact: bool = True) -> ThresholdRule:
    """Build the :class:`ThresholdRule` of ``regulator`` in ``d`` dimensions.

        ℓ_n^d(w) = 2 v_d ∫_0^∞ dy y^{d/2−1} (g − y g')/(y + g + w)^n = Σ_i c_i/(q_i + w)^n

    Args:
        regulator: any :class:`~frg.AbstractRegulator`.
        d: dimension, 0 < d <= 4 (traceable).
        exact: use the regulator's closed form when it has one (Litim: a single node,
            exact); ``False`` forces the quadrature (used to test it).

    Returns:
        A rule ``ℓ`` with ``ℓ(w, n) = ℓ_n^d(w)``.

    Example:
        >>> rule = frg.threshold_rule(frg.Litim(), 3.0)
        >>> round(float(rule(0.0, 1) * 6 * np.pi**2), 12)   # 4 v_3/3 = 1/(6π²)
        1.0

    Reference: Berges, Tetradis, Wetterich, Phys. Rep. 363, 223 (2002), eq. (4.12).
    """
    return _weighted_rule(regulator, d, _ell_weight, exact, lambda cf, dd: cf.c(dd))


def _ell_weight(r: MomentumRule):
    return r.w * (r.g - r.y * r.g1)


def _eta_weight(r: MomentumRule):
    return r.w * 0.5 * r.g


def eta_rule(regulator: AbstractRegulator, d, *, exact: bool = True) -> ThresholdRule:
    """Rule for ``ℓ_n^{(η)}(w) = 2v_d ∫ dy y^{d/2−1} (g/2)/(y + g + w)^n`` (the −ηR part of ∂_tR).

    With ``∂_t R_k = Z k² [2(g − y g') − η g]`` the threshold functions of a flow with
    anomalous dimension η are ``ℓ_n(w) − η ℓ_n^{(η)}(w)``. Litim (exact): a single node
    with weight ``(4v_d/d)/(d + 2)``.

    Example:
        >>> r = frg.eta_rule(frg.Litim(), 3.0)
        >>> round(float(r(0.0, 1) / frg.threshold_rule(frg.Litim(), 3.0)(0.0, 1)), 12)  # 1/(d+2)
        0.2

    Reference: Berges, Tetradis, Wetterich, Phys. Rep. 363, 223 (2002), Sec. 4.
    """
    return _weighted_rule(regulator, d, _eta_weight, exact, lambda cf, dd: cf.c_eta(dd))


def threshold(regulator: AbstractRegulator, d, w, n: int = 1):
    """``ℓ_n^d(w)`` for ``regulator`` in ``d`` dimensions; see :func:`threshold_rule`.

    Example:
        >>> round(float(frg.threshold(frg.Litim(), 3.0, 1.0, 2) * 24 * np.pi**2), 12)
        1.0
    """
    return threshold_rule(regulator, d)(w, n)


def litim_threshold(d, w, n: int = 1):
    """Closed form for the Litim regulator: ``ℓ_n^d(w) = (4 v_d/d)/(1 + w)^n``.

    Example:
        >>> round(float(frg.litim_threshold(3.0, 0.0) * 6 * np.pi**2), 12)
        1.0

    Reference: D. F. Litim, Phys. Rev. D 64, 105007 (2001).
    """
    return 4.0 * v_d(d) / jnp.asarray(d, dtype=float) / (1.0 + jnp.asarray(w)) ** n
