"""O(N) O(∂²) flow with Z(ρ) and Y(ρ) in dimensionless fixed-point form (private).

Ansatz ``Γ = ∫ U(ρ) + ½ Z(ρ)(∂φ)² + ¼ Y(ρ)(∂ρ)² = ∫ U + ½ K_ab(φ) ∂φ_a·∂φ_b`` with
``K_ab = Z δ_ab + ½ Y φ_a φ_b``. In a constant background the vertices are

    Γ^(n)_{a₁…a_n}(p₁…p_n) = ∂^n U + Σ_{i<j} (−p_i·p_j) ∂^{n−2}_{rest} K_{a_i a_j}.

The field-space tensors ∂²U, ∂³U, K, ∂K, ∂²K are written out at φ̄ = (√(2ρ̃), 0, 0)
with three components: 0 longitudinal,
1 the external transverse direction, 2 standing for the N − 2 others (its terms carry
the weight N − 2, so N enters linearly and may be any real N ≥ 1). In this basis the
propagators are diagonal, G_c(s) = 1/(K_c s + g(s) + ∂²U_c). The p² coefficient of the
transverse (a = 1; Z_t = Z) and longitudinal (a = 0; Z_l = Z + ρY) ∂_tΓ^(2)_aa(p) is

    ∫ ∂̃R(q) [∂_P + (q/2d) ∂_x²] { T(V_a, G(s), V_b) − ½ Σ_c G_c(q)² W_cc },
    T(A, H, B) = Σ_{cd} G_c(q)² A_cd H_d B_dc,   s = (p + q)² = P + q + 2x,

with V_a(P, x) = Γ^(3)_{a··}(p, q, −p−q), V_b = Γ^(3)_{a··}(−p, p+q, −q) (affine in P and
x = p·q), W the p², q² part of Γ^(4)_{aa··}; the P and x derivatives are written out
with G' = −(K + g')G², G'' = 2(K + g')²G³ − g''G² (no nested autodiff). Derivation and
checks in ``docs/de2.md``.

Reference: G. von Gersdorff and C. Wetterich, Phys. Rev. B 64, 054513 (2001).
"""

from __future__ import annotations

import jax.numpy as jnp

from .._flow.threshold import MomentumRule
from ._de2_flow import asymptotic_powers, second_derivative
from ._local import node_local

_NE = 3  # components kept: longitudinal, external transverse, one generic transverse


def _tensors(rho_i, w, w1, w2, zt, zt1, zt2, yy, yy1, yy2):
    """Field-space derivatives at φ̄ = (√(2ρ̃), 0, 0): diag ∂²U, ∂³U, diag K, ∂K, ∂²K.

    With U = U(ρ), K_ij = Z δ_ij + ½ Y φ_i φ_j (primes: ρ-derivatives, δ ≡ identity):
    ∂_a∂_b U = w δ_ab + w' φ_a φ_b, ∂_a∂_b∂_c U = w'(δ_ab φ_c + δ_ac φ_b + δ_bc φ_a) +
    w'' φ_a φ_b φ_c, ∂_c K_ij = Z' φ_c δ_ij + ½ Y' φ_c φ_i φ_j + ½ Y (δ_ic φ_j + δ_jc φ_i),
    and ∂_c∂_e K_ij from one more derivative.
    """
    # |φ̄| = √(2ρ̃) with a finite derivative at ρ̃ = 0 (taken as 0 there: that node is
    # fixed at ρ̃ = 0, so its ρ̃-tangent is 0, and √ would turn it into 0·∞ = NaN)
    pos = rho_i > 0
    p = jnp.zeros(_NE).at[0].set(jnp.where(pos, jnp.sqrt(2.0 * jnp.where(pos, rho_i, 1.0)), 0.0))
    e = jnp.eye(_NE)
    pp = jnp.outer(p, p)
    u2 = w + w1 * p**2
    ep = jnp.einsum("ab,c->abc", e, p)  # δ_ab φ_c
    u3 = w1 * (ep + ep.transpose(0, 2, 1) + ep.transpose(2, 1, 0)) + w2 * jnp.einsum(
        "a,b,c->abc", p, p, p
    )
    k0 = zt + 0.5 * yy * p**2
    sym1 = jnp.einsum("ic,j->ijc", e, p) + jnp.einsum("jc,i->ijc", e, p)  # δ_ic φ_j + δ_jc φ_i
    k1 = zt1 * jnp.einsum("c,ij->ijc", p, e) + 0.5 * yy1 * jnp.einsum("c,ij->ijc", p, pp)
    k1 = k1 + 0.5 * yy * sym1
    k2 = (
        zt2 * jnp.einsum("ce,ij->ijce", pp, e)
        + zt1 * jnp.einsum("ce,ij->ijce", e, e)
        + 0.5 * yy2 * jnp.einsum("ce,ij->ijce", pp, pp)
        + 0.5 * yy1 * jnp.einsum("ce,ij->ijce", e, pp)
        + 0.5 * yy1 * (jnp.einsum("c,ije->ijce", p, sym1) + jnp.einsum("e,ijc->ijce", p, sym1))
        + 0.5 * yy * (jnp.einsum("ic,je->ijce", e, e) + jnp.einsum("jc,ie->ijce", e, e))
    )
    return u2, u3, k0, k1, k2


def _loop_a(a, mult, u2, u3, k0, k1, k2, rule: MomentumRule, d, dtr):
    """p² coefficient of the ∂_tΓ^(2)_aa loop at one grid node (sum over the momentum nodes)."""
    q = rule.y[:, None]  # (nodes, 1), components on the last axis
    g1 = rule.g1[:, None]
    kg = k0[None, :] + g1
    G = 1.0 / (k0[None, :] * q + rule.g[:, None] + u2[None, :])  # (nodes, c)
    G1 = -kg * G**2
    G2 = 2.0 * kg**2 * G**3 - rule.g2[:, None] * G**2
    ka = k1[a]  # ka[c, d] = ∂_d K_ac
    kat = ka.T  # ∂_c K_ad
    kc = k1[:, :, a]  # ∂_a K_cd
    a0 = u3[a][None] + q[:, :, None] * kc[None]  # (nodes, c, d)
    a_p, a_x = kat, -ka + kat + kc
    b_p, b_x = ka, ka - kat + kc
    wt = jnp.where(jnp.eye(_NE, dtype=bool), jnp.diag(mult), jnp.outer(mult, mult))
    gq2 = G**2
    n = q.shape[0]
    # T(A, H, B) = Σ_cd wt_cd G_c(q)² A_cd H_d B_dc; ∂_P f and ∂_x² f as sums of T's:
    # ∂_P: T(A_P,G,B0) + T(A0,G',B0) + T(A0,G,B_P); ∂_x²: 2[T(A_x,2G',B0) + T(A_x,G,B_x)
    # + T(A0,2G',B_x)] + T(A0,4G'',B0) (one stacked contraction).
    A = jnp.stack([jnp.broadcast_to(t, (n, _NE, _NE)) for t in (a_p, a0, a0, a_x, a_x, a0, a0)])
    H = jnp.stack([G, G1, G, 2.0 * G1, G, 2.0 * G1, 4.0 * G2])
    B = jnp.stack([jnp.broadcast_to(t, (n, _NE, _NE)) for t in (a0, a0, b_p, a0, b_x, b_x, a0)])
    c = rule.y / (2.0 * d)
    coef = jnp.stack([jnp.ones_like(c)] * 3 + [2.0 * c] * 3 + [c])
    loop = jnp.einsum("cd,nc,kncd,knd,kndc,kn->n", wt, gq2, A, H, B, coef)
    w_p = jnp.diag(k2[a, a])  # P part of W_cc
    loop = loop - 0.5 * (gq2 * mult * w_p).sum(-1)
    return rule.integrate(dtr * loop)


def _node_loops(N, rho_i, loc, rule, d, eta):
    """(loop_t, loop_l) at one grid node; ``loc`` = (w, w', w'', z, z', z'', ỹ, ỹ', ỹ'')."""
    u2, u3, k0, k1, k2 = _tensors(rho_i, *loc)
    args = (u2, u3, k0, k1, k2, rule, d, rule.dt_r(eta))
    m_t = jnp.array([1.0, 1.0, N - 2.0])  # a = 1: the third component is N − 2 directions
    m_l = jnp.array([1.0, N - 1.0, 0.0])  # a = 0: all N − 1 transverse directions alike
    return jnp.stack([_loop_a(1, m_t, *args), _loop_a(0, m_l, *args)])


def _node_loops_c(consts, rho_i, loc, eta):
    N, rule, d = consts
    return _node_loops(N, rho_i, loc, rule, d, eta)


#: loops at all grid nodes, shape (nodes, 2); each node depends on its nine local values
#: and η only, so the Jacobian costs 10 directional derivatives per node instead of one
#: per unknown (:func:`frg._fixed_point._local.node_local`)
_loops = node_local(_node_loops_c)


def on_flow(N, rho, dmat, rule: MomentumRule, d, w, zt, yy, eta, *, bc=False):
    """``(∂_t w, ∂_t z, ∂_t ỹ)`` of the O(N) model at O(∂²), dimensionless (z = z_t,
    z_l = z + ρ̃ỹ); ``∂_t ỹ = (d − 2 + 2η) ỹ + (d − 2 + η) ρ̃ ỹ' + (ℓ_l − ℓ_t)/ρ̃`` with the
    ρ̃ → 0 limit taken spectrally; ``bc``: the last node with the large-field relations
    for the second derivatives (``_de2_flow.second_derivative``)."""
    pw, pz, py = asymptotic_powers(d, eta)
    w1 = dmat @ w
    w2 = second_derivative(dmat, w1, rho, pw, bc)
    zt1 = dmat @ zt
    zt2 = second_derivative(dmat, zt1, rho, pz, bc)
    yy1 = dmat @ yy
    yy2 = second_derivative(dmat, yy1, rho, py, bc)
    zl = zt + rho * yy
    zl1 = zt1 + yy + rho * yy1
    dtr = rule.dt_r(eta)
    loc = jnp.stack([w, w1, w2, zt, zt1, zt2, yy, yy1, yy2], axis=1)
    loops = _loops((N, rule, jnp.asarray(d, dtype=float)), rho, loc, eta)
    y = rule.y[None, :]
    g = rule.g[None, :]
    gt = 1.0 / (zt[:, None] * y + g + w[:, None])
    gl = 1.0 / (zl[:, None] * y + g + (w + 2.0 * rho * w1)[:, None])
    i_w = -0.5 * rule.integrate(
        dtr[None, :] * (N - 1) * gt**2 * (zt1[:, None] * y + w1[:, None])
        + dtr[None, :] * gl**2 * (zl1[:, None] * y + (3.0 * w1 + 2.0 * rho * w2)[:, None])
    )
    f_w = (eta - 2.0) * w + (d - 2.0 + eta) * rho * w1 + i_w
    f_t = eta * zt + (d - 2.0 + eta) * rho * zt1 + loops[:, 0]
    dl = loops[:, 1] - loops[:, 0]
    safe = jnp.where(rho > 0, rho, 1.0)
    i_y = jnp.where(rho > 0, dl / safe, (dmat @ dl)[0])
    f_y = (d - 2.0 + 2.0 * eta) * yy + (d - 2.0 + eta) * rho * yy1 + i_y
    return f_w, f_t, f_y
