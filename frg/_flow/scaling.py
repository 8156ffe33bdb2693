"""The dimensionless (scaling-form) LPA / LPA' flow of the O(N) model.

With dimensionless ρ̃ = Z k^{2−d} ρ, u(ρ̃) = U'(ρ)/(Z k²) and the anomalous dimension
η = −∂_t ln Z (Z field independent), the flow of u at fixed ρ̃ reads

    ∂_t u = −(2 − η) u + (d − 2 + η) ρ̃ u' + ∂_ρ̃ [ (N − 1) ℓ_1(u) + ℓ_1(u + 2ρ̃u') ],

    ℓ_n(w) = ℓ_n^{(0)}(w) − η ℓ_n^{(η)}(w),

because ∂_t R_k = Z k² [2(g − y g') − η g] (the −ηg part comes from ∂_t Z = −ηZ):

    ℓ_n^{(0)}(w) = 2 v_d ∫ dy y^{d/2−1} (g − y g') / (y + g + w)^n    (frg.threshold_rule),
    ℓ_n^{(η)}(w) = 2 v_d ∫ dy y^{d/2−1} (g/2)     / (y + g + w)^n    (frg.eta_rule).

For the Litim regulator ℓ_n = (4v_d/d)(1 − η/(d+2))/(1 + w)^n. ∂_ρ̃ ℓ_1(w) = −ℓ_2(w) w'.

The anomalous dimension of LPA' (Goldstone/transverse two-point function at the
minimum κ = ρ̃_0 of the potential, λ = u'(κ), one loop with a massless Goldstone and a
radial mode of mass² 2κλ, expanded to O(p²)):

    η = (16 v_d/d) κ λ² m_{2,2}^d(2κλ),
    m_{2,2}^d(w) = −½ ∫ dy y^{d/2} ∂̃_t [ p'(y)² / (p(y)² (p(y) + w)²) ],   p = y + g(y),

with ∂̃_t acting on the regulator only (∂̃_t p = 2(g − yg') − ηg). For the Litim
regulator m_{2,2}^d(w) = 1/(1 + w)² independently of η. m_{2,2} is linear in η,
m = m^{(0)} + η m^{(1)}, so η solves η = A (m^{(0)} + η m^{(1)}).

Reference: J. Berges, N. Tetradis, C. Wetterich, Phys. Rep. 363, 223 (2002), Sec. 4
(eqs. for η and m_{2,2}^d); N. Tetradis, C. Wetterich, Nucl. Phys. B 422, 541 (1994);
D. F. Litim, Phys. Rev. D 64, 105007 (2001) (Litim closed forms).
"""

from __future__ import annotations

from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp

from .regulators import AbstractRegulator
from .threshold import ThresholdRule, _raw_rule, eta_rule, threshold_rule, v_d

__all__ = ["FlowRules", "flow_rules", "m22", "lpa_beta", "lpa_flow", "eta_lpa_prime"]


class _M22Rule(eqx.Module):
    """Nodes for m_{2,2}: m^{(0)}(w) = Σ a_i/(p_i²(p_i+w)²) + b_i (1/p_i³(p_i+w)² + ...).

    A closed form (one node, ``scale/(p + w)²`` independent of η) has ``closed=True``.
    """

    p: jax.Array
    a0: jax.Array  # coefficient of 1/(p²(p+w)²) at η = 0
    b0: jax.Array  # coefficient of [1/(p³(p+w)²) + 1/(p²(p+w)³)] at η = 0
    a1: jax.Array  # same, coefficient of η
    b1: jax.Array
    closed: bool = eqx.field(static=True, default=False)

    def __call__(self, w, eta):
        """``m_{2,2}^d(w)`` at anomalous dimension ``eta``."""
        if self.closed:
            return jnp.sum(self.a0 / (self.p + w) ** 2) + 0.0 * eta
        p = self.p
        t1 = 1.0 / (p**2 * (p + w) ** 2)
        t2 = 1.0 / (p**3 * (p + w) ** 2) + 1.0 / (p**2 * (p + w) ** 3)
        return jnp.sum((self.a0 + eta * self.a1) * t1 + (self.b0 + eta * self.b1) * t2)


def m22(regulator: AbstractRegulator, d) -> _M22Rule:
    """Quadrature rule for ``m_{2,2}^d(w; η)`` (see module docstring); the regulator's
    closed form when it has one (Litim: ``1/(1 + w)²``).

    Derivation: ∂̃_t[p'²/(p²(p+w)²)] = 2p's'/(p²(p+w)²) − 2p'²s[1/(p³(p+w)²) + 1/(p²(p+w)³)]
    with s = ∂̃_t p = 2(g − yg') − ηg and s' = ds/dy.

    Example:
        >>> m = frg.m22(frg.Litim(), 3.0)
        >>> float(m(1.0, 0.1))   # 1/(1 + w)^2
        0.25
    """
    closed = regulator.threshold_closed_form()
    if closed is not None:
        z = jnp.zeros((1,))
        return _M22Rule(p=z + 1.0, a0=z + closed.m22, b0=z, a1=z, b1=z, closed=True)
    r = _raw_rule(regulator, d, 2)
    y, g, gp, gpp = r.y, r.g, r.g1, r.g2
    d = jnp.asarray(d, dtype=float)
    p = y + g
    pp = 1.0 + gp
    # s0 = 2(g − y g'), s0' = −2 y g''; s1 = −g, s1' = −g'
    s0, s0p = 2.0 * (g - y * gp), -2.0 * y * gpp
    s1, s1p = -g, -gp
    # −½ y^{d/2} dy = −½ y w/(2 v_d)
    meas = -0.25 * y * r.w / v_d(d)
    a0, b0 = meas * 2.0 * pp * s0p, -meas * 2.0 * pp**2 * s0
    a1, b1 = meas * 2.0 * pp * s1p, -meas * 2.0 * pp**2 * s1
    ok = jnp.isfinite(p) & jnp.isfinite(a0) & jnp.isfinite(b0) & jnp.isfinite(a1) & jnp.isfinite(b1)
    # p^5 overflows beyond p ~ 1e60 (inf primal is harmless, but its tangent is NaN);
    # those far-tail nodes carry no weight anyway (the regulator terms vanish there)
    ok = ok & (p > 0) & (p < 1e30)
    z = jnp.zeros_like(y)
    return _M22Rule(
        p=jnp.where(ok, p, 1.0),
        a0=jnp.where(ok, a0, z),
        b0=jnp.where(ok, b0, z),
        a1=jnp.where(ok, a1, z),
        b1=jnp.where(ok, b1, z),
    )


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _ell(n, q, c, w):
    """``Σ_i c_i/(q_i + w)^n`` elementwise in ``w`` (a :class:`ThresholdRule` sum).

    Its JVP uses ∂_w ℓ_n = −n ℓ_{n+1}, formed once per point: a Jacobian over many
    w-tangents (``jax.jacfwd`` of the fixed-point residual) then costs O(points) per
    tangent instead of O(points × quadrature nodes).
    """
    return jnp.sum(c / (q + w[..., None]) ** n, axis=-1)


@_ell.defjvp
def _ell_jvp(n, primals, tangents):
    q, c, w = primals
    dq, dc, dw = tangents
    w = jnp.asarray(w)
    den = q + w[..., None]
    a = c / den**n
    b = n * a / den  # n c/(q + w)^{n+1}
    out = jnp.sum(a, axis=-1)
    return out, jnp.sum(dc / den**n - b * dq, axis=-1) - jnp.sum(b, axis=-1) * dw


class FlowRules(eqx.Module):
    """Everything regulator- and d-dependent the scaling flow needs (a pytree).

    Attributes:
        l0: rule for ℓ_n^{(0)}; le: rule for ℓ_n^{(η)}; m: rule for m_{2,2}; d: dimension;
        fast_jvp: cheap ∂_w JVP of ℓ_n (see :func:`_ell`).
    """

    l0: ThresholdRule
    le: ThresholdRule
    m: _M22Rule
    d: jax.Array
    fast_jvp: bool = eqx.field(static=True, default=True)

    def ell(self, w, n, eta):
        """``ℓ_n^d(w) = ℓ_n^{(0)}(w) − η ℓ_n^{(η)}(w)`` (``fast_jvp``: via :func:`_ell`;
        off for ``jax.experimental.jet``, which does not see custom JVP rules)."""
        if not self.fast_jvp:
            return self.l0(w, n) - eta * self.le(w, n)
        return _ell(n, self.l0.q, self.l0.c, w) - eta * _ell(n, self.le.q, self.le.c, w)

    @property
    def w_pole(self):
        """Propagator pole: the flow is defined for w > w_pole."""
        return self.l0.w_pole


def flow_rules(regulator: AbstractRegulator, d) -> FlowRules:
    """Build :class:`FlowRules` for ``regulator`` in ``d`` dimensions (traceable in d, params)."""
    d = jnp.asarray(d, dtype=float)
    return FlowRules(
        l0=threshold_rule(regulator, d), le=eta_rule(regulator, d), m=m22(regulator, d), d=d
    )


def lpa_beta(rho, u, du, ddu, ell2, d, N, eta=0.0):
    """The pointwise dimensionless LPA β function ``∂_t u`` at fixed ρ̃:

        ∂_t u = −(2−η)u + (d−2+η)ρ̃u' − (N−1)ℓ_2(u) u' − ℓ_2(u + 2ρ̃u') (3u' + 2ρ̃u'')

    (the module docstring's flow with ∂_ρ̃ ℓ_1(w) = −ℓ_2(w) w'). The one definition
    every LPA/LPA' form of frg evaluates (grid, Taylor and derivative-expansion
    truncations).

    Args:
        rho, u, du, ddu: ρ̃, u, u', u'' (arrays of one shape).
        ell2: ``w -> ℓ_2(w)`` elementwise, the anomalous-dimension part included
            (e.g. ``lambda w: rules.ell(w, 2, eta)``).
        d, N: dimension and number of components (traceable); eta: anomalous dimension.

    Returns:
        ``∂_t u``, the shape of ``u``.

    Example:
        >>> rule = frg.threshold_rule(frg.Litim(), 3.0)
        >>> b = frg.lpa_beta(0.0, 0.0, 0.0, 0.0, lambda w: rule(w, 2), 3.0, 1.0)
        >>> float(b)   # the Gaussian fixed point u = 0
        0.0

    Reference: J. Berges, N. Tetradis, C. Wetterich, Phys. Rep. 363, 223 (2002), eq. (5.8).
    """
    w = u + 2.0 * rho * du
    loop = -(N - 1.0) * ell2(u) * du - ell2(w) * (3.0 * du + 2.0 * rho * ddu)
    return -(2.0 - eta) * u + (d - 2.0 + eta) * rho * du + loop


def lpa_flow(rules: FlowRules, N, rho, u, du, ddu, eta=0.0):
    """:func:`lpa_beta` with the threshold functions of ``rules`` (:class:`FlowRules`).

    Args:
        rules: :class:`FlowRules`; N: number of components (real);
        rho, u, du, ddu: ρ̃, u, u', u'' (arrays of one shape); eta: anomalous dimension.

    Returns:
        ``−(2−η)u + (d−2+η)ρ̃u' − (N−1)ℓ_2(u)u' − ℓ_2(u+2ρ̃u')(3u' + 2ρ̃u'')``.
    """
    return lpa_beta(rho, u, du, ddu, lambda w: rules.ell(w, 2, eta), rules.d, N, eta)


def eta_lpa_prime(rules: FlowRules, kappa, lam):
    """η of LPA' at the minimum κ with λ = u'(κ): solves η = (16v_d/d)κλ² m_{2,2}(2κλ; η).

    Reference: Berges, Tetradis, Wetterich, Phys. Rep. 363, 223 (2002), Sec. 4.
    """
    d = rules.d
    A = 16.0 * v_d(d) / d * kappa * lam**2
    w = 2.0 * kappa * lam
    m0 = rules.m(w, 0.0)
    m1 = rules.m(w, 1.0) - m0
    return A * m0 / (1.0 - A * m1)
