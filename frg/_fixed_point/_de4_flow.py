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
(⟨(q̂·e)²⟩ = 1/d, ⟨(q̂·e)⁴⟩ = 3/(d(d+2)), …) and integrated over y = q²/k² with the
double-exponential nodes of the O(∂²) code.

**Projection.** Γ^(2)(p) = U'' + Z p² + W_a p⁴ gives ∂_tZ, ∂_tW_a (λ², λ⁴ of the 2-point
loop at P = ±e₁); the 3-point loop at (e₁, e₂, −e₁−e₂) has λ⁴ coefficient
``2 ∂_φ∂_tW_a − 2 φ₀ ∂_tW_b``; the 4-point loop at a configuration whose ∂_φB coefficient
vanishes has λ⁴ coefficient ``c_A ∂²_φ∂_tW_a + c_C ∂_tW_c``. φ-derivatives of a flow are
forward-mode derivatives along the field (tangent 1 for φ₀ and φ₀ f^{(j+1)} for each ρ-
derivative f^{(j)}); at ρ̃ = 0 the division by φ₀ is replaced by that derivative. Because
the O(p⁴) parts of the loops are those of a local functional spanned by three invariants,
any non-degenerate configurations give the same flows (checked in the tests). ∂_t w is
``−½ ∫ ∂̃R G² ∂_ρ̃(Γ⁽²⁾(q))`` as at O(∂²). Derivation and checks in ``docs/de4.md``.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._flow.regulators import AbstractRegulator
from .._flow.threshold import _de_nodes, v_d

NF = 5  # functions w, z, w_a, w_b, w_c
J = 7  # ρ-derivatives 0..J−1 kept per function at each node
K = 4  # the derivative expansion at O(∂⁴) needs the λ⁴ coefficients

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
    a1: jax.Array  # two external directions: q̂·e₁, q̂·e₂
    a2: jax.Array
    wd2: jax.Array

    def dt_r(self, eta):
        """∂̃R at the nodes, (ny,) for a number η, (nodes, ny) for one η per node."""
        return 2.0 * (self.g[0] - self.y * self.g[1]) - jnp.asarray(eta)[..., None] * self.g[0]


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
    # (q̂·e₁, q̂·e₂) = √t (cos θ, sin θ): t ~ Beta(1, (d−2)/2), θ uniform (6 points)
    t2, wt2 = _gauss2(2.0 / d, 8.0 / (d * (d + 2.0)), 48.0 / (d * (d + 2.0) * (d + 4.0)))
    th = jnp.asarray(2.0 * np.pi * (np.arange(6) + 0.25) / 6.0)
    r = jnp.sqrt(t2)
    a1 = (r[:, None] * jnp.cos(th)[None, :]).ravel()
    a2 = (r[:, None] * jnp.sin(th)[None, :]).ravel()
    wd2 = (wt2[:, None] * jnp.full(6, 1.0 / 6.0)[None, :]).ravel()
    return c1, wd1, a1, a2, wd2


def _nth(f, n):
    if n == 0:
        return f
    prev = _nth(f, n - 1)
    return lambda t: jax.jvp(prev, (t,), (jnp.ones_like(t),))[1]


def de4_rule(regulator: AbstractRegulator, d) -> DE4Rule:
    """The rule of ``regulator`` in ``d`` dimensions (d and the regulator may be traced)."""
    y_np, dy_np = _de_nodes(regulator.support())
    # y^{d/2} < 1e-15 below 1e-30; above 1e6 exponentially decaying shapes contribute
    # nothing (a power-law shape y^{-n} loses a tail ~ 1e6^{(d−3)/2 − n}), and y⁴-terms of
    # the propagator series would overflow further out (NaN). The node set does not
    # depend on the regulator's parameters: the same traced or not.
    keep = (y_np > 1e-30) & (y_np < 1e6)
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
def _faa_di_bruno(kmax):
    """F[k, j]: ∂^k_φ f(ρ(φ)) = Σ_j f^{(j)}(ρ₀) F[k, j] φ₀^{2j−k} for ρ = φ²/2 (the λ^k
    coefficient of (φ₀ε + ε²/2)^j/j! times k!: k!/j! · C(j, k−j) 2^{j−k}, j ≤ k ≤ 2j)."""
    F = np.zeros((kmax + 1, J))
    for k in range(kmax + 1):
        for j in range(J):
            if j <= k <= 2 * j:
                F[k, j] = math.factorial(k) / math.factorial(j) * math.comb(j, k - j) / 2 ** (k - j)
    return F


def _node_tables(phi, D):
    """Per node: the vertex coefficients T[n − 3, f] (f: ∂ⁿU, −∂^{n−2}Z, ∂^{n−2}W_a,
    ∂^{n−3}B, 4∂^{n−4}W_c; B = φW_b) for n = 3..6 legs, shape (4, 5, nodes), and
    (U'', Z, W_a). φ-derivatives from the ρ-derivatives D by Faà di Bruno."""
    kmax = 6
    F = _faa_di_bruno(kmax)
    k, j = np.nonzero(F)
    powers = jnp.stack([phi**m for m in range(2 * J - 1)])
    M = jnp.zeros((kmax + 1, J, phi.shape[0]), phi.dtype)
    M = M.at[k, j].set(F[k, j][:, None] * powers[2 * j - k])
    U = jnp.concatenate([jnp.zeros_like(D[0, :, :1]), D[0, :, : J - 1]], axis=-1)
    dU = jnp.einsum("kjN,Nj->kN", M, U)  # ∂^k U, k = 0..6
    dF = jnp.einsum("kjN,fNj->fkN", M, D[1:])  # ∂^k of z, w_a, w_b, w_c
    dB = phi * dF[2, :4] + jnp.arange(4.0)[:, None] * jnp.concatenate(
        [jnp.zeros_like(phi)[None], dF[2, :3]]
    )  # ∂^k(φ w_b) = φ ∂^k w_b + k ∂^{k−1} w_b
    dWc = jnp.concatenate([jnp.zeros_like(phi)[None], 4.0 * dF[3, :3]])
    tab = jnp.stack([dU[3:7], -dF[0, 1:5], dF[1, 1:5], dB, dWc], axis=1)
    return tab, (dU[2], dF[0, 0], dF[1, 0])


# ------------------------------------------------- static structure of a chain sum (numpy)
# A polynomial in (λ, q², q·e₁, q·e₂) is a dict {(n, a, b, c): coefficient} of the monomials
# λⁿ (q²)^a (q·e₁)^b (q·e₂)^c, truncated at λ^K. The vertex polynomials depend only on the
# configuration, so they are built once per trace in Python and enter the program as one
# constant tensor.


def _pmul(p, r):
    out = {}
    for (n1, *e1), v1 in p.items():
        for (n2, *e2), v2 in r.items():
            if n1 + n2 <= K:
                key = (n1 + n2, *(x + y for x, y in zip(e1, e2, strict=True)))
                out[key] = out.get(key, 0.0) + v1 * v2
    return out


def _padd(*ps):
    out = {}
    for p in ps:
        for key, v in p.items():
            out[key] = out.get(key, 0.0) + v
    return out


def _pdot(l1, l2):
    """k₁·k₂ for legs k = a q + λP."""
    (a1, P1), (a2, P2) = l1, l2
    terms = {
        (0, 1, 0, 0): a1 * a2,
        (1, 0, 1, 0): a1 * P2[0] + a2 * P1[0],
        (1, 0, 0, 1): a1 * P2[1] + a2 * P1[1],
        (2, 0, 0, 0): P1[0] * P2[0] + P1[1] * P2[1],
    }
    return {key: v for key, v in terms.items() if v != 0.0}


def _vertex_basis(legs):
    """The polynomials multiplying ∂ⁿU, −∂^{n−2}Z, ∂^{n−2}W_a, ∂^{n−3}B, 4∂^{n−4}W_c in
    Γ^(n)(legs) (the vertex formula of the module docstring)."""
    n = len(legs)
    pairs = list(itertools.combinations(range(n), 2))
    dot = {(i, j): _pdot(legs[i], legs[j]) for i in range(n) for j in range(i, n)}
    pair = _padd(*[dot[p] for p in pairs])
    sq = _padd(*[_pmul(dot[p], dot[p]) for p in pairs])
    rest = [_padd(*[dot[i, j] for i, j in pairs if k not in (i, j)]) for k in range(n)]
    b = _padd(*[_pmul(dot[k, k], rest[k]) for k in range(n)])
    c = _padd(*[_pmul(dot[i, j], dot[k, m]) for i, j, k, m in _quads(n)])
    return {(0, 0, 0, 0): 1.0}, pair, sq, b, c


def _quads(n):
    """The three pairings (ij)(km), (ik)(jm), (im)(jk) of every 4-subset i < j < k < m."""
    for i, j, k, m in itertools.combinations(range(n), 4):
        yield from ((i, j, k, m), (i, k, j, m), (i, m, j, k))


class _Chain(NamedTuple):
    """Static data of the chain sum of one configuration (n legs): one row per vertex
    (S, B) (B a non-empty subset of the set S of legs used), S in order of size."""

    mom: np.ndarray  # (2ⁿ, 2): Σ_{i∈S} P_i for every subset mask S
    prev: np.ndarray  # (nv,): S∖B
    mask: np.ndarray  # (nv,): S
    last: np.ndarray  # (nv,): the last vertex of its S
    nlegs: np.ndarray  # (nv,): legs of the vertex, 2 + |B|
    expo: np.ndarray  # (nm, 3): monomial exponents (a, b, c) of (q², q·e₁, q·e₂)
    C: np.ndarray  # (nv, 5, K + 1, nm): vertex polynomials (:func:`_vertex_basis`)


def _rnd(P):
    return (round(P[0], 14) + 0.0, round(P[1], 14) + 0.0)


def _chain(config) -> _Chain:
    """The vertices of Σ over ordered set partitions (B₁…B_m) of (−1)^m G(q) Π_j
    Γ^(2+|B_j|) G(k_j): the state after B₁…B_j is the set S of legs used, so
    A[S] = −G(k_S) Σ_{∅≠B⊆S} A[S∖B] Γ(k_{S∖B}, −k_S, p_B), A[∅] = G(q)."""
    n = len(config)
    full = (1 << n) - 1
    mom = [
        _rnd(
            (
                sum(config[i][0] for i in range(n) if s >> i & 1),
                sum(config[i][1] for i in range(n) if s >> i & 1),
            )
        )
        for s in range(full + 1)
    ]
    rows, polys = [], []
    for mask in sorted(range(1, full + 1), key=lambda m: (bin(m).count("1"), m)):
        sub = mask
        while sub:
            p = mask ^ sub
            legs = [(1, mom[p]), (-1, (-mom[mask][0] + 0.0, -mom[mask][1] + 0.0))]
            legs += [(0, config[i]) for i in range(n) if sub >> i & 1]
            polys.append(_vertex_basis(legs))
            rows.append((p, mask, sub == (mask & -mask), len(legs)))
            sub = (sub - 1) & mask
    expo = sorted({key[1:] for basis in polys for p in basis for key in p})
    index = {e: i for i, e in enumerate(expo)}
    C = np.zeros((len(polys), 5, K + 1, len(expo)))
    for v, basis in enumerate(polys):
        for f, p in enumerate(basis):
            for (order, *e), val in p.items():
                C[v, f, order, index[tuple(e)]] += val
    prev, mask, last, nlegs = (np.asarray(c) for c in zip(*rows, strict=True))
    return _Chain(np.asarray(mom), prev, mask, last, nlegs, np.asarray(expo), C)


# ------------------------------------------------------------ series in λ (leading axis)
def _smul(a, b):
    """Truncated product of λ-series stored along axis 0."""
    return jnp.stack([sum(a[i] * b[n - i] for i in range(n + 1)) for n in range(K + 1)])


def _srecip(a):
    """1/a for a λ-series along axis 0: b₀ = 1/a₀, b_n = −b₀ Σ_{i=1..n} a_i b_{n−i}."""
    b = [1.0 / a[0]]
    for n in range(1, K + 1):
        b.append(-b[0] * sum(a[i] * b[n - i] for i in range(1, n + 1)))
    return jnp.stack(b)


def _delta_powers(mom):
    """E[n, j, s, a]: λⁿ coefficient of δ_s^j = (2λ q·P_s + λ²P_s²)^j is
    Σ_a E[n, j, s, a] (2q·P_s)^a (a = 2j − n, binomial(j, n − j) P_s^{2(n−j)})."""
    psq = np.sum(mom**2, axis=1)
    E = np.zeros((K + 1, K + 1, len(mom), K + 1))
    for j in range(K + 1):
        for n in range(j, min(2 * j, K) + 1):
            E[n, j, :, 2 * j - n] = math.comb(j, n - j) * psq ** (n - j)
    return E


def _chain_sum(st: _Chain, tab, prop, y, g, c1, c2):
    """λ-series (K + 1, nodes, ny, ndir) of the chain sum at radial nodes y (g: (5, ny))
    and directions (c1, c2) = (q̂·e₁, q̂·e₂): a ``lax.scan`` over the vertices, one
    vertex per step (the graph does not grow with the number of vertices)."""
    sy = jnp.sqrt(y)[:, None]
    x1, x2 = sy * c1[None, :], sy * c2[None, :]
    q2 = jnp.broadcast_to(y[:, None], x1.shape)
    top = st.expo.max(axis=0)
    pw = [
        jnp.stack([v**k for k in range(int(m) + 1)]) for v, m in zip((q2, x1, x2), top, strict=True)
    ]
    mono = pw[0][st.expo[:, 0]] * pw[1][st.expo[:, 1]] * pw[2][st.expo[:, 2]]
    # propagators G(q + λP_S) for every subset S: 1/Σ_j c_j δ_S^j, c_j = ∂^j_y Γ⁽²⁾/j!
    u2, z, wa = (t[:, None] for t in prop)
    full = (u2.shape[0], y.shape[0])
    cc = jnp.stack(
        [u2 + z * y + wa * y**2 + g[0], z + 2.0 * wa * y + g[1], wa + 0.5 * g[2]]
        + [jnp.broadcast_to(g[3] / 6.0, full), jnp.broadcast_to(g[4] / 24.0, full)]
    )
    t2 = 2.0 * (st.mom[:, 0, None, None] * x1[None] + st.mom[:, 1, None, None] * x2[None])
    tpow = jnp.stack([t2**a for a in range(K + 1)])
    dpow = jnp.einsum("njsa,asyd->njsyd", _delta_powers(st.mom), tpow)
    G = _srecip(jnp.einsum("jNy,njsyd->nsNyd", cc, dpow))  # (K + 1, subsets, ...)
    acc0 = jnp.zeros_like(G).at[:, 0].set(G[:, 0])  # A[S]; S ≠ ∅ filled in by the scan

    def step(carry, row):
        acc, out = carry
        C, nl, prev, mask, last = row
        basis = jnp.einsum("fnm,myd->fnyd", C, mono)
        t = tab[nl - 3]  # (5, nodes)
        vert = sum(t[f][None, :, None, None] * basis[f][:, None] for f in range(5))
        out = out + _smul(acc[:, prev], vert)
        acc = acc.at[:, mask].set(-_smul(out, G[:, mask]))  # final after the last B of S
        return (acc, jnp.where(last, 0.0, out)), None

    rows = (st.C, st.nlegs, st.prev, st.mask, st.last)
    (acc, _), _ = lax.scan(step, (acc0, jnp.zeros_like(G[:, 0])), rows)
    return acc[:, -1]


#: nodes × radial nodes × directions per batch of the chain sum (memory: the vertices of
#: the 4-point sum take 65 × 5 complex numbers per element, ~170 MB at this size)
_BATCH = 32768


def loop_series(phi, D, rule: DE4Rule, eta, config, orders, *, raw=False, two=None):
    """λ^n coefficients (n in ``orders``) of ∂_tΓ^(n)'s loop at ``config``: array
    (len(orders), nodes), averaged over directions and integrated over q.

    ``raw``: instead, the chain sum Σ (−1)^m G Π Γ G itself (no ½∂_tR) at each (node, y,
    direction): (len(orders), nodes, ny, ndir). ``two``: use the two-direction rule
    (default: when the configuration needs it). The radial nodes are processed in
    batches (``lax.map``) of at most ``_BATCH`` (node, y, direction) points."""
    if two is None:
        two = any(P[1] != 0.0 for P in config)
    st = _chain(config)
    tab, prop = _node_tables(phi, D)
    if two:
        c1, c2, wd = rule.a1, rule.a2, rule.wd2
    else:
        c1, wd = rule.c1, rule.wd1
        c2 = jnp.zeros_like(c1)
    nodes, ny, nd = phi.shape[0], rule.y.shape[0], c1.shape[0]
    nb = -(-ny // max(1, _BATCH // (nodes * nd)))  # number of batches
    size = -(-ny // nb)
    pad = nb * size - ny
    y = jnp.concatenate([rule.y, jnp.repeat(rule.y[-1:], pad)]).reshape(nb, size)
    g = jnp.concatenate([rule.g, jnp.repeat(rule.g[:, -1:], pad, axis=1)], axis=1)
    g = g.reshape(5, nb, size).transpose(1, 0, 2)
    idx = np.asarray(orders)

    def coeffs(yb, gb):
        return _chain_sum(st, tab, prop, yb, gb, c1, c2)[idx]

    if raw:
        out = lax.map(lambda a: coeffs(*a), (y, g))  # (nb, orders, nodes, size, nd)
        return out.transpose(1, 2, 0, 3, 4).reshape(len(orders), nodes, nb * size, nd)[:, :, :ny]
    flux = 0.5 * rule.w * rule.dt_r(eta) * jnp.ones((nodes, 1))  # (nodes, ny)
    flux = jnp.concatenate([flux, jnp.zeros((nodes, pad))], axis=1).reshape(nodes, nb, size)

    def integrated(a):
        yb, gb, fb = a
        return jnp.einsum("oNyd,d,Ny->oN", coeffs(yb, gb), wd, fb)

    if nb == 1:
        return integrated((y[0], g[0], flux[:, 0]))
    return jnp.sum(lax.map(integrated, (y, g, flux.transpose(1, 0, 2))), axis=0)


def along(f):
    """(f, ∂_φ f) of f(φ₀, D, ...) in one forward pass along the field: tangents 1 for φ₀
    and φ₀ f^{(j+1)} for each ρ-derivative f^{(j)} (the highest taken as 0)."""

    def df(phi, D, *args):
        tD = phi[None, :, None] * jnp.concatenate([D[..., 1:], jnp.zeros_like(D[..., :1])], -1)
        return jax.jvp(lambda p, dd: f(p, dd, *args), (phi, D), (jnp.ones_like(phi), tD))

    return df


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


def _l2(phi, D, rule, eta):
    return loop_series(phi, D, rule, eta, _E1, (2, 4))


def _l3(phi, D, rule, eta, config):
    return loop_series(phi, D, rule, eta, config, (4,))[0]


def loop_w(rho, D, rule: DE4Rule, eta):
    """Loop part of ∂_t w: −½ ∫ ∂̃R G(q)² ∂_ρ̃[Γ⁽²⁾(q)], ∂_ρ̃Γ⁽²⁾ = 3w' + 2ρ̃w'' + z'y + w_a'y²."""
    w1, w2, z1, a1 = D[0, :, 1], D[0, :, 2], D[1, :, 1], D[2, :, 1]
    y = rule.y
    m2 = (D[0, :, 0] + 2.0 * rho * w1)[:, None]
    G = 1.0 / (D[1, :, :1] * y + D[2, :, :1] * y**2 + rule.g[0] + m2)
    dm = (3.0 * w1 + 2.0 * rho * w2)[:, None] + z1[:, None] * y + a1[:, None] * y**2
    return -0.5 * jnp.sum(rule.w * rule.dt_r(eta) * G**2 * dm, axis=-1)


def loops(rho, D, rule: DE4Rule, eta, config3=CONFIG3, config4=CONFIG4, n0=1):
    """Loop parts (L_w, L_z, L_a, L_b, L_c) of the five flows at the nodes.

    D: (5, nodes, J) ρ̃-derivatives of (w, z, w_a, w_b, w_c) at the nodes; eta: a number
    or one per node; the first ``n0`` nodes are at ρ̃ = 0 (no other is). Holomorphic in
    D, η and ρ̃ > 0 (complex-step derivatives, :mod:`frg._fixed_point.de4`).
    """
    pos = jnp.real(rho) > 0.0  # √(2ρ̃), derivative 0 at ρ̃ = 0 (a fixed node)
    phi = jnp.where(pos, jnp.sqrt(jnp.where(pos, 2.0 * rho, 1.0)), 0.0)
    l_w = loop_w(rho, D, rule, eta)
    # the 2-point coefficients (λ², λ⁴) with their first two φ-derivatives, one pass
    (l2, dl2), (_, d2l2) = along(along(_l2))(phi, D, rule, eta)
    ca3, cb3, _ = _coeffs(config3)
    l3 = _l3(phi, D, rule, eta, config3)
    nb = l3 - ca3 * dl2[1]
    eta0 = eta[:n0] if jnp.ndim(eta) else eta
    nb0 = along(_l3)(phi[:n0], D[:, :n0], rule, eta0, config3)[1] - ca3 * d2l2[1, :n0]
    safe = jnp.where(pos, phi, 1.0)
    l_b = jnp.where(pos, nb / (cb3 * safe), jnp.concatenate([nb0, nb[n0:]]) / cb3)
    ca4, cb4, cc4 = _coeffs(config4)
    l4 = loop_series(phi, D, rule, eta, config4, (4,))[0]
    rest = ca4 * d2l2[1]
    if cb4 != 0.0:  # ∂_φ of the 3-point numerator
        rest = rest + cb4 * (along(_l3)(phi, D, rule, eta, config3)[1] - ca3 * d2l2[1]) / cb3
    l_c = (l4 - rest) / cc4
    return jnp.stack([l_w, l2[0], l2[1], l_b, l_c])


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
