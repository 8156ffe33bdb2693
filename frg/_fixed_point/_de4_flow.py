"""The O(∂⁴) flow of the Z₂ (N = 1) model in dimensionless fixed-point form (private).

Ansatz (Canet, Delamotte, Mouhanna, Vidal, PRD 68, 064421 (2003))

    Γ_k = ∫ U(ρ) + ½ Z(ρ)(∂φ)² + ½ W_a(ρ)(∂_μ∂_νφ)² + ½ φ W_b(ρ) ∂²φ (∂φ)² + ½ W_c(ρ)((∂φ)²)²,

ρ = φ²/2, regulator ``R_k = Z_k k² g(q²/k²)``. Dimensionless ρ̃ = Z_k k^{2−d} ρ,
w = U'/(Z_k k²), z = Z/Z_k, w_a = k² W_a/Z_k, w_b = k^d W_b/Z_k², w_c = k^d W_c/Z_k².

**Vertices.** In a constant background φ₀ the n-point vertex with incoming momenta
p₁…p_n (Σ p_i = 0) follows from substituting plane waves into the ansatz:

    Γ^(n) = ∂ⁿU − Σ_{i<j} p_i·p_j ∂^{n−2}Z + Σ_{i<j} (p_i·p_j)² ∂^{n−2}W_a
            + Σ_k p_k² Σ_{i<j; i,j≠k} p_i·p_j ∂^{n−3}B
            + 4 Σ_{i<j<k<l} [(p_i·p_j)(p_k·p_l) + 2 more] ∂^{n−4}W_c

(∂ = ∂_φ at φ₀, B = φ W_b); the φ-derivatives come from the ρ-derivatives on the
collocation grid by composing with ρ = ρ₀ + φ₀δ + δ²/2.

**Loops.** n functional derivatives of ∂_tΓ = ½ Tr ∂_tR (Γ⁽²⁾ + R)⁻¹ at constant φ₀,
written as the expansion G = G₀ − G₀VG₀ + G₀VG₀VG₀ − …, give

    ∂_tΓ^(n)(p₁…p_n) = ½ ∫_q ∂_tR(q) Σ_{(B₁,…,B_m)} (−1)^m G(q) Π_j V_j G(k_j),
    V_j = Γ^(2+|B_j|)(k_{j−1}, −k_j, p_{B_j}),

summed over the ordered set partitions of the legs, k₀ = q, k_j = k_{j−1} + Σ_{i∈B_j} p_i
(summed by recursion over the set of legs already used: 3^n − 2^n distinct vertices).
The external momenta are λ P_i with fixed vectors P_i in a plane; every quantity is a
truncated power series in λ (``_de4_series``), the propagator at k² = q² + δ through
``g(y + δ) = Σ_j g^{(j)}(y) δ^j/j!`` (j ≤ 4). The λ^n coefficients are averaged over the
direction of q with a rule exact for polynomials of degree ≤ 4 in (q̂·e₁, q̂·e₂) in any d
(⟨(q̂·e)²⟩ = 1/d, ⟨(q̂·e)⁴⟩ = 3/(d(d+2)), …; fewer angles when a reflection maps the
configuration onto itself, :meth:`DE4Rule.plane`) and integrated over y = q²/k² with the
double-exponential nodes of the O(∂²) code.

**Projection.** Γ^(2)(p) = U'' + Z p² + W_a p⁴ gives ∂_tZ, ∂_tW_a (λ², λ⁴ of the 2-point
loop at P = ±e₁); the 3-point loop at (e₁, e₂, −e₁−e₂) has λ⁴ coefficient
``2 ∂_φ∂_tW_a − 2 φ₀ ∂_tW_b``; the 4-point loop at a configuration whose ∂_φB coefficient
vanishes has λ⁴ coefficient ``c_A ∂²_φ∂_tW_a + c_C ∂_tW_c``. The loops read the functions
through their φ-derivatives at φ₀ only (Φ, :func:`field_data`), so φ-derivatives of a flow
are forward-mode derivatives in Φ with each entry's tangent the next φ-derivative
(:func:`along`); at ρ̃ = 0 the division by φ₀ is replaced by that derivative. Because
the O(p⁴) parts of the loops are those of a local functional spanned by three invariants,
any non-degenerate configurations give the same flows (checked in the tests). ∂_t w is
``−½ ∫ ∂̃R G² ∂_ρ̃(Γ⁽²⁾(q))`` as at O(∂²). Derivation and checks in ``docs/de4.md``.
"""

from __future__ import annotations

import itertools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._flow.regulators import AbstractRegulator, Exponential
from .._flow.threshold import _de_nodes, v_d
from . import _de4_series as S

NF = 5  # functions w, z, w_a, w_b, w_c
J = 7  # ρ-derivatives 0..J−1 kept per function at each node

# 3-point projection configuration and a 4-point one with a vanishing ∂_φB coefficient
# (p_i² = 1, 1, 1, 3 + 2√3 satisfies Σ p⁴ = (Σ p²)²/2).
CONFIG3 = ((1.0, 0.0), (0.0, 1.0), (-1.0, -1.0))
_C4 = 0.5 * (math.sqrt(3.0 + 2.0 * math.sqrt(3.0)) - 1.0)
_S4 = math.sqrt(1.0 - _C4**2)
CONFIG4 = ((1.0, 0.0), (_C4, _S4), (_C4, -_S4), (-1.0 - 2.0 * _C4, 0.0))


class DE4Rule(eqx.Module):
    """Momentum nodes y, measure weights, g^{(0..4)}(y), and the two direction rules."""

    y: jax.Array
    w: jax.Array
    g: jax.Array  # (5, ny)
    c1: jax.Array  # one external direction: q̂·e₁ at the direction nodes
    wd1: jax.Array
    r2: jax.Array  # two external directions: |(q̂·e₁, q̂·e₂)| at the radial nodes
    wt2: jax.Array

    def dt_r(self, eta):
        """∂̃R at the nodes, (ny,) for a number η, (nodes, ny) for one η per node."""
        return 2.0 * (self.g[0] - self.y * self.g[1]) - jnp.asarray(eta)[..., None] * self.g[0]

    def plane(self, axis=None):
        """(q̂·e₁, q̂·e₂, weights) of the two-direction rule: the two radial nodes times
        5 equally spaced angles (exact for trigonometric polynomials of degree ≤ 4), or,
        for an integrand even under the reflection about the ``axis`` (an angle), 3 angles
        axis + (2j − 1)π/6 (Gauss–Chebyshev in cos(θ − axis): exact for the even ones of
        degree ≤ 5)."""
        if axis is None:
            th, wth = 2.0 * np.pi * (np.arange(5) + 0.25) / 5.0, np.full(5, 0.2)
        else:
            th, wth = axis + (2.0 * np.arange(1, 4) - 1.0) * np.pi / 6.0, np.full(3, 1.0 / 3.0)
        a1 = (self.r2[:, None] * jnp.asarray(np.cos(th))[None, :]).ravel()
        a2 = (self.r2[:, None] * jnp.asarray(np.sin(th))[None, :]).ravel()
        return a1, a2, (self.wt2[:, None] * jnp.asarray(wth)[None, :]).ravel()


def _gauss2(m1, m2, m3):
    """Two-point Gauss rule on [0, 1] from the moments ⟨t⟩, ⟨t²⟩, ⟨t³⟩ (unit mass)."""
    b = (m1 * m2 - m3) / (m2 - m1**2)
    c = -m2 - b * m1
    disc = jnp.sqrt(b**2 - 4.0 * c)
    tp, tm = 0.5 * (-b + disc), 0.5 * (-b - disc)
    wp = (m1 - tm) / (tp - tm)
    return jnp.stack([tp, tm]), jnp.stack([wp, 1.0 - wp])


def _directions(d):
    """Direction rules exact for even polynomials of degree ≤ 4 (odd ones average to 0)."""
    # q̂·e: t = (q̂·e)² ~ Beta(1/2, (d−1)/2), moments 1/d, 3/(d(d+2)), 15/(d(d+2)(d+4))
    t, wt = _gauss2(1.0 / d, 3.0 / (d * (d + 2.0)), 15.0 / (d * (d + 2.0) * (d + 4.0)))
    c1 = jnp.concatenate([jnp.sqrt(t), -jnp.sqrt(t)])
    wd1 = 0.5 * jnp.concatenate([wt, wt])
    # (q̂·e₁, q̂·e₂) = √t (cos θ, sin θ): t ~ Beta(1, (d−2)/2), θ uniform (DE4Rule.plane)
    t2, wt2 = _gauss2(2.0 / d, 8.0 / (d * (d + 2.0)), 48.0 / (d * (d + 2.0) * (d + 4.0)))
    return c1, wd1, jnp.sqrt(t2), wt2


def _axis(config):
    """An angle α such that the reflection about the axis at α maps the legs of
    ``config`` onto themselves (then the sum over ordered partitions, symmetric in the
    legs, is even under that reflection of q), or None."""
    P = np.asarray(config, dtype=float)
    cands = [np.arctan2(p[1], p[0]) for p in P if np.hypot(*p) > 1e-12]
    cands += [np.arctan2(*(p + q)[::-1]) for p, q in itertools.combinations(P, 2)]
    key = sorted(map(tuple, np.round(P, 12) + 0.0))
    for a in cands:
        u = np.array([np.cos(a), np.sin(a)])
        if sorted(map(tuple, np.round(2.0 * np.outer(P @ u, u) - P, 12) + 0.0)) == key:
            return float(a)
    return None


def _nth(f, n):
    if n == 0:
        return f
    prev = _nth(f, n - 1)
    return lambda t: jax.jvp(prev, (t,), (jnp.ones_like(t),))[1]


def _y_range(regulator) -> tuple[float, float]:
    """Radial range of the rule: (1e-30, 1e6) for any regulator; (1e-14, 1e3) for
    :class:`frg.Exponential` (94 nodes instead of 117), whose g = a e^{−y} is exactly 0
    in float64 beyond y ≈ 745 and finite at 0, so that below 1e-14 the measure
    y^{d/2−1} dy adds less than 1e-14 relative for d > 2 (docs/de4.md, "Quadrature")."""
    if isinstance(regulator, Exponential):
        return 1e-14, 1e3
    return 1e-30, 1e6


def de4_rule(regulator: AbstractRegulator, d) -> DE4Rule:
    """The rule of ``regulator`` in ``d`` dimensions (d and the regulator may be traced)."""
    y_np, dy_np = _de_nodes(regulator.support())
    # y^{d/2} < 1e-15 below 1e-30; above 1e6 exponentially decaying shapes contribute
    # nothing (a power-law shape y^{-n} loses a tail ~ 1e6^{(d−3)/2 − n}), and y⁴-terms of
    # the propagator series would overflow further out (NaN). The node set does not
    # depend on the regulator's parameters: the same traced or not.
    lo, hi = _y_range(regulator)
    keep = (y_np > lo) & (y_np < hi)
    y_np, dy_np = y_np[keep], dy_np[keep]
    y = jnp.asarray(y_np)
    d = jnp.asarray(d, dtype=float)
    g = jnp.stack([jax.vmap(_nth(regulator.g, n))(y) for n in range(5)])
    w = 2.0 * v_d(d) * y ** (0.5 * d - 1.0) * jnp.asarray(dy_np)
    ok = jnp.all(jnp.isfinite(g), axis=0) & jnp.isfinite(w)
    return DE4Rule(
        jnp.asarray(y), jnp.where(ok, w, 0.0), jnp.where(ok[None], g, 0.0), *_directions(d)
    )


# --------------------------------------------------------------------------- vertices
def _compose(fj, phi, nmax, odd=False):
    """φ-derivatives ∂^k f(φ₀), k = 0..nmax, of f(ρ) from its ρ-derivatives fj[j] at
    ρ₀ = φ₀²/2 (``odd``: of φ·f)."""
    h = [None, phi, 0.5] + [None] * (nmax - 2)
    hp = [1.0] + [None] * nmax
    out = [None] * (nmax + 1)
    for j in range(len(fj)):
        if j > 0:
            new = [None] * (nmax + 1)
            for a in range(nmax + 1):
                if hp[a] is None:
                    continue
                for b in range(nmax + 1 - a):
                    if h[b] is not None:
                        new[a + b] = S._add(new[a + b], hp[a] * h[b])
            hp = new
        for a in range(nmax + 1):
            if hp[a] is not None:
                out[a] = S._add(out[a], fj[j] * hp[a] / math.factorial(j))
    if odd:
        out = [S._add(phi * out[a], out[a - 1] if a > 0 else None) for a in range(nmax + 1)]
    return [(0.0 * phi if c is None else c) * math.factorial(k) for k, c in enumerate(out)]


#: the φ-derivatives the n-point loops (n ≤ 4) read at a node, with ``along`` once or twice
#: (:func:`field_data`): ∂²U…∂⁶U, ∂⁰Z…∂⁴Z, ∂⁰W_a…∂⁴W_a, ∂⁰B…∂³B, ∂⁰W_c…∂²W_c
_BLOCKS = ((2, 7), (0, 5), (0, 5), (0, 4), (0, 3))
NPHI = sum(b - a for a, b in _BLOCKS)


def field_data(phi, D):
    """Φ (NPHI, nodes): the φ-derivatives of U, Z, W_a, B = φW_b, W_c at φ₀ (``_BLOCKS``),
    composed from the ρ̃-derivatives D (5, nodes, J)."""
    U = [0.0 * D[0, :, 0]] + [D[0, :, j] for j in range(J - 1)]
    parts = (
        _compose(U, phi, 6),
        _compose([D[1, :, j] for j in range(J)], phi, 4),
        _compose([D[2, :, j] for j in range(J)], phi, 4),
        _compose([D[3, :, j] for j in range(J)], phi, 3, True),
        _compose([D[4, :, j] for j in range(J)], phi, 2),
    )
    return jnp.stack([c for (a, b), p in zip(_BLOCKS, parts, strict=True) for c in p[a:b]])


def _shift(Phi):
    """∂_φ of Φ: each row by the next φ-derivative; the top row of a block by 0 (no loop
    differentiated along the field reads it: ``along`` twice on the 2-point loop needs
    ∂⁶U, ∂⁴Z, ∂⁴W_a, ∂³B, ∂²W_c at most)."""
    rows, i = [], 0
    for a, b in _BLOCKS:
        rows += [Phi[i + 1 : i + b - a], jnp.zeros_like(Phi[:1])]
        i += b - a
    return jnp.concatenate(rows)


class _Ctx:
    """Trace-time context: coefficients at the nodes, rule arrays, caches of series."""

    def __init__(self, Phi, rule: DE4Rule, two_dirs: bool, axis=None):
        col = (Phi.shape[1], 1, 1)
        blocks, i = [], 0
        for a, b in _BLOCKS:
            blocks.append([None] * a + [Phi[j].reshape(col) for j in range(i, i + b - a)])
            i += b - a
        self.dU, self.dZ, self.dWa, self.dB, self.dWc = blocks
        self.y = rule.y[None, :, None]
        self.sy = jnp.sqrt(self.y)
        self.g = [gj[None, :, None] for gj in rule.g]
        if two_dirs:
            a1, a2, self.wd = rule.plane(axis)
            self.c = (a1[None, None, :], a2[None, None, :])
        else:
            self.c = (rule.c1[None, None, :], None)
            self.wd = rule.wd1
        self._dot = {}
        self._prop = {}
        self._vtx = {}

    def cdot(self, P):
        acc = None
        for ci, pi in zip(self.c, P, strict=True):
            if pi != 0.0:
                if ci is None:
                    continue
                acc = S._add(acc, ci * pi)
        return acc

    def dot(self, k1, k2):
        key = (k1, k2) if k1 <= k2 else (k2, k1)
        if key in self._dot:
            return self._dot[key]
        (a1, P1), (a2, P2) = k1, k2
        s = S.zero()
        if a1 * a2 != 0:
            s[0] = a1 * a2 * self.y
        lin = None
        if a1 != 0:
            c = self.cdot(P2)
            lin = S._add(lin, None if c is None else a1 * c)
        if a2 != 0:
            c = self.cdot(P1)
            lin = S._add(lin, None if c is None else a2 * c)
        s[1] = None if lin is None else self.sy * lin
        pp = P1[0] * P2[0] + P1[1] * P2[1]
        s[2] = pp if pp != 0.0 else None
        self._dot[key] = s
        return s

    def prop(self, P):
        """G(k) at k = q + λP."""
        if P in self._prop:
            return self._prop[P]
        z, wa, y, g = self.dZ[0], self.dWa[0], self.y, self.g
        g0 = 1.0 / (self.dU[2] + z * y + wa * y**2 + g[0])
        if P == (0.0, 0.0):
            out = S.const(g0)
        else:
            delta = S.zero()
            c = self.cdot(P)
            delta[1] = None if c is None else 2.0 * self.sy * c
            delta[2] = P[0] ** 2 + P[1] ** 2
            d2 = S.mul(delta, delta)
            d3 = S.mul(d2, delta)
            d4 = S.mul(d3, delta)
            den = S.add(
                S.const(1.0 / g0),
                S.scale(delta, z + 2.0 * wa * y + g[1]),
                S.scale(d2, wa + 0.5 * g[2]),
                S.scale(d3, g[3] / 6.0),
                S.scale(d4, g[4] / 24.0),
            )
            out = S.recip(den)
        self._prop[P] = out
        return out

    def vertex(self, legs):
        if legs not in self._vtx:
            self._vtx[legs] = self._vertex(legs)
        return self._vtx[legs]

    def _vertex(self, legs):
        n = len(legs)
        dots = {(i, j): self.dot(legs[i], legs[j]) for i in range(n) for j in range(i, n)}
        pair_sum = S.add(*[dots[i, j] for i, j in itertools.combinations(range(n), 2)])
        out = S.add(S.const(self.dU[n]), S.scale(pair_sum, -self.dZ[n - 2]))
        sq = S.add(*[S.mul(dots[i, j], dots[i, j]) for i, j in itertools.combinations(range(n), 2)])
        out = S.add(out, S.scale(sq, self.dWa[n - 2]))
        if n >= 3:
            acc = S.zero()
            for k in range(n):
                rest = S.add(
                    *[dots[i, j] for i, j in itertools.combinations(range(n), 2) if k not in (i, j)]
                )
                acc = S.add(acc, S.mul(dots[k, k], rest))
            out = S.add(out, S.scale(acc, self.dB[n - 3]))
        if n >= 4:
            acc = S.zero()
            for i, j, k, m in itertools.combinations(range(n), 4):
                acc = S.add(
                    acc,
                    S.mul(dots[i, j], dots[k, m]),
                    S.mul(dots[i, k], dots[j, m]),
                    S.mul(dots[i, m], dots[j, k]),
                )
            out = S.add(out, S.scale(acc, 4.0 * self.dWc[n - 4]))
        return out


def _subset_chain_sum(cx, config):
    """Σ over ordered set partitions (B₁…B_m) of (−1)^m G(q) Π_j Γ^(2+|B_j|) G(k_j): the chain
    state after B₁…B_j is the set of legs used, so A[S] = −Σ_{∅≠B⊆S} A[S∖B] Γ G(k_S)."""
    n = len(config)
    full = (1 << n) - 1

    def mom(mask):
        return _rnd(
            (
                sum(config[i][0] for i in range(n) if mask >> i & 1),
                sum(config[i][1] for i in range(n) if mask >> i & 1),
            )
        )

    acc = {0: cx.prop((0.0, 0.0))}
    for mask in sorted(range(1, full + 1), key=lambda m: (bin(m).count("1"), m)):
        Pn = mom(mask) if mask != full else (0.0, 0.0)
        out = S.zero()
        sub = mask
        while sub:
            prev = mask ^ sub
            legs = [(1, mom(prev)), (-1, (-Pn[0] + 0.0, -Pn[1] + 0.0))]
            legs += [(0, config[i]) for i in range(n) if sub >> i & 1]
            out = S.add(out, S.mul(acc[prev], cx.vertex(tuple(legs))))
            sub = (sub - 1) & mask
        acc[mask] = S.scale(S.mul(out, cx.prop(Pn)), -1.0)
    return acc[full]


def _rnd(P):
    return (round(P[0], 14) + 0.0, round(P[1], 14) + 0.0)


def loop_series(phi, D, rule: DE4Rule, eta, config, orders, *, raw=False, two=None):
    """λ^n coefficients (n in ``orders``) of ∂_tΓ^(n)'s loop at ``config``: array
    (len(orders), nodes), averaged over directions and integrated over q.

    ``raw``: instead, the chain sum Σ (−1)^m G Π Γ G itself (no ½∂_tR) at each (node, y,
    direction): (len(orders), nodes, ny, ndir). ``two``: use the two-direction rule
    (default: when the configuration needs it)."""
    return _series(field_data(phi, D), rule, eta, config, orders, raw=raw, two=two)


def _series(Phi, rule: DE4Rule, eta, config, orders, *, raw=False, two=None):
    """:func:`loop_series` from the φ-derivatives Φ (:func:`field_data`)."""
    if two is None:
        two = any(P[1] != 0.0 for P in config)
    cx = _Ctx(Phi, rule, two, _axis(config) if two else None)
    total = _subset_chain_sum(cx, config)
    like = cx.y * cx.dU[2] * 0.0 + 0.0 * cx.c[0]
    if raw:
        return jnp.stack([S.coeff(total, n, like) for n in orders])
    flux = 0.5 * rule.dt_r(eta)
    res = []
    for n in orders:
        a = jnp.sum(S.coeff(total, n, like) * cx.wd[None, None, :], axis=-1)
        res.append(jnp.sum(rule.w[None, :] * flux * a, axis=-1))
    return jnp.stack(res)


def _coeffs(config):
    """(c_A, c_B, c_C): λ⁴ coefficients of ∂^{n−2}W_a, ∂^{n−3}B, ∂^{n−4}W_c in the ansatz vertex."""
    P = [np.asarray(p) for p in config]
    n = len(P)
    pairs = list(itertools.combinations(range(n), 2))
    ca = sum(float(P[i] @ P[j]) ** 2 for i, j in pairs)
    cb = sum(
        float(P[k] @ P[k]) * sum(float(P[i] @ P[j]) for i, j in pairs if k not in (i, j))
        for k in range(n)
    )
    cc = 0.0
    for i, j, k, m in itertools.combinations(range(n), 4):
        cc += 4.0 * (
            float(P[i] @ P[j]) * float(P[k] @ P[m])
            + float(P[i] @ P[k]) * float(P[j] @ P[m])
            + float(P[i] @ P[m]) * float(P[j] @ P[k])
        )
    return ca, cb, cc


_E1 = ((1.0, 0.0), (-1.0, 0.0))


def _l2(Phi, rule, eta):
    return _series(Phi, rule, eta, _E1, (2, 4))


def _l3(Phi, rule, eta, config):
    return _series(Phi, rule, eta, config, (4,))[0]


def loop_w(rho, D, rule: DE4Rule, eta):
    """Loop part of ∂_t w: −½ ∫ ∂̃R G(q)² ∂_ρ̃[Γ⁽²⁾(q)], ∂_ρ̃Γ⁽²⁾ = 3w' + 2ρ̃w'' + z'y + w_a'y²."""
    w1, w2, z1, a1 = D[0, :, 1], D[0, :, 2], D[1, :, 1], D[2, :, 1]
    y = rule.y
    m2 = (D[0, :, 0] + 2.0 * rho * w1)[:, None]
    G = 1.0 / (D[1, :, :1] * y + D[2, :, :1] * y**2 + rule.g[0] + m2)
    dm = (3.0 * w1 + 2.0 * rho * w2)[:, None] + z1[:, None] * y + a1[:, None] * y**2
    return -0.5 * jnp.sum(rule.w * rule.dt_r(eta) * G**2 * dm, axis=-1)


def along(f):
    """(f, ∂_φ f) of f(Φ, ...) in one forward pass along the field (tangent :func:`_shift`)."""

    def df(Phi, *args):
        return jax.jvp(lambda p: f(p, *args), (Phi,), (_shift(Phi),))

    return df


def series_loops(Phi, rule: DE4Rule, eta, config3=CONFIG3, config4=CONFIG4, n0=1):
    """The momentum loops the projections need, from Φ (:func:`field_data`): rows
    (λ² and λ⁴ of the 2-point loop, ∂_φ and ∂²_φ of its λ⁴, the 3-point λ⁴, the 4-point
    λ⁴, and ∂_φ of the 3-point λ⁴ if ``config4`` has a ∂_φB term) at every node, and
    ∂_φ of the 3-point λ⁴ at the first ``n0`` nodes (ρ̃ = 0)."""
    (l2, dl2), (_, d2l2) = along(along(_l2))(Phi, rule, eta)  # one pass
    rows = [l2[0], l2[1], dl2[1], d2l2[1], _l3(Phi, rule, eta, config3)]
    rows.append(_series(Phi, rule, eta, config4, (4,))[0])
    if _coeffs(config4)[1] != 0.0:  # the 4-point projection needs ∂_φ of the 3-point
        dl3 = along(_l3)(Phi, rule, eta, config3)[1]
        return jnp.stack(rows + [dl3]), dl3[:n0]
    eta0 = eta[:n0] if jnp.ndim(eta) else eta
    return jnp.stack(rows), along(_l3)(Phi[:, :n0], rule, eta0, config3)[1]


def loops(rho, D, rule: DE4Rule, eta, config3=CONFIG3, config4=CONFIG4, n0=1, series=None):
    """Loop parts (L_w, L_z, L_a, L_b, L_c) of the five flows at the nodes.

    D: (5, nodes, J) ρ̃-derivatives of (w, z, w_a, w_b, w_c) at the nodes; eta: a number
    or one per node; the first ``n0`` nodes are at ρ̃ = 0 (no other is). ``series``:
    the function that evaluates :func:`series_loops` (default: it; :mod:`frg._fixed_point.de4`
    passes one with node-local derivatives). The momentum loops depend on the functions
    through Φ = :func:`field_data` only.
    """
    pos = jnp.real(rho) > 0.0  # √(2ρ̃), derivative 0 at ρ̃ = 0 (a fixed node)
    phi = jnp.where(pos, jnp.sqrt(jnp.where(pos, 2.0 * rho, 1.0)), 0.0)
    series = series_loops if series is None else series
    H, dl3_0 = series(field_data(phi, D), rule, eta, config3, config4, n0)
    l2_2, l2_4, dl2_4, d2l2_4, l3, l4 = H[:6]
    ca3, cb3, _ = _coeffs(config3)
    ca4, cb4, cc4 = _coeffs(config4)
    nb = l3 - ca3 * dl2_4
    nb0 = dl3_0 - ca3 * d2l2_4[:n0]
    safe = jnp.where(pos, phi, 1.0)
    l_b = jnp.where(pos, nb / (cb3 * safe), jnp.concatenate([nb0, nb[n0:]]) / cb3)
    rest = ca4 * d2l2_4
    if cb4 != 0.0:  # ∂_φ of the 3-point numerator
        rest = rest + cb4 * (H[6] - ca3 * d2l2_4) / cb3
    l_c = (l4 - rest) / cc4
    return jnp.stack([loop_w(rho, D, rule, eta), l2_2, l2_4, l_b, l_c])


def scaling(rho, D, d, eta):
    """Scaling parts of the five flows: (η−2)w, ηz, (2+η)w_a, (d+2η)w_b, (d+2η)w_c plus
    (d − 2 + η) ρ̃ f'."""
    dims = jnp.stack([eta - 2.0, eta, 2.0 + eta, d + 2.0 * eta, d + 2.0 * eta])
    return dims[:, None] * D[:, :, 0] + (d - 2.0 + eta) * rho[None, :] * D[:, :, 1]


def local_data(dmat, X):
    """D[f, node, j] = j-th ρ̃-derivative of function f (X: (5, nodes))."""
    out = [X]
    for _ in range(J - 1):
        out.append(out[-1] @ dmat.T)
    return jnp.stack(out, axis=-1)
