"""The O(∂²) flow of the Z₂ (N = 1) model in dimensionless fixed-point form (private).

Ansatz ``Γ_k = ∫ d^dx [U_k(ρ) + ½ Z_k(ρ) (∂φ)^2]``, ρ = φ²/2, regulator
``R_k = Z_k k^2 g(q^2/k^2)`` with the running normalisation Z_k, η = −∂_t ln Z_k.
Dimensionless ρ̃ = Z_k k^{2−d} ρ, w = ∂_ρ̃ u = U'/(Z_k k^2), z = Z(ρ)/Z_k; with
``∫ ≡ 2 v_d ∫_0^∞ dy y^{d/2−1}`` and ``∂̃R = 2(g − y g') − η g``:

    ∂_t w = (η − 2) w + (d − 2 + η) ρ̃ w' − ½ ∫ ∂̃R G² (z' y + 3w' + 2ρ̃ w'')
    ∂_t z = η z + (d − 2 + η) ρ̃ z'
            + ∫ ∂̃R G² { 2 V K₁ G + V² G' + (y/2d) [2 K₁² G + 8 V K₁ G' + 4 V² G''] − ½ K₂ }

with G = 1/(z y + g + w + 2ρ̃w'), G' = −(z + g') G², G'' = 2(z + g')² G³ − g'' G², and
(φ² = 2ρ̃) V² = 2ρ̃ A², V K₁ = 2ρ̃ z' A, K₁² = 2ρ̃ z'², K₂ = z' + 2ρ̃ z'',
A = 3w' + 2ρ̃ w'' + z' y. Derivation in ``docs/de2.md``.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._flow.threshold import MomentumRule
from ._local import node_local


def asymptotic_powers(d, eta):
    """Large-field powers (p_w, p_z, p_y) of w ~ ρ̃^{p_w}, z ~ ρ̃^{p_z}, ỹ ~ ρ̃^{p_y}: where
    the loops vanish, ∂_t = 0 reads (η − 2)w + (d − 2 + η)ρ̃w' = 0, etc."""
    s = d - 2.0 + eta
    return (2.0 - eta) / s, -eta / s, -(d - 2.0 + 2.0 * eta) / s


def second_derivative(dmat, f1, rho, power, bc: bool):
    """f'' = D f' at the nodes; with ``bc`` the last node uses the large-field relation
    ρ̃ f'' = (p − 1) f' of f ~ ρ̃^p instead (the outer boundary condition)."""
    f2 = dmat @ f1
    if not bc:
        return f2
    return f2.at[-1].set((power - 1.0) * f1[-1] / rho[-1])


def _node_integrals(consts, r, loc, eta):
    """(∫ of ∂_t w, ∫ of ∂_t z) at one node ρ̃ = r from loc = (w, w', w'', z, z', z'')."""
    rule, d = consts
    w, w1, w2, z, z1, z2 = loc
    y = rule.y
    G = 1.0 / (z * y + rule.g + w + 2.0 * r * w1)
    lw = rule.dt_r(eta) * G**2
    a = 3.0 * w1 + 2.0 * r * w2 + z1 * y
    i_w = -0.5 * rule.integrate(lw * a)
    v2 = 2.0 * r * a**2
    vk1 = 2.0 * r * z1 * a
    k12 = 2.0 * r * z1**2
    k2 = z1 + 2.0 * r * z2
    gp = -(z + rule.g1) * G**2
    gpp = 2.0 * (z + rule.g1) ** 2 * G**3 - rule.g2 * G**2
    brace = (
        2.0 * vk1 * G
        + v2 * gp
        + (y / (2.0 * d)) * (2.0 * k12 * G + 8.0 * vk1 * gp + 4.0 * v2 * gpp)
        - 0.5 * k2
    )
    return jnp.stack([i_w, rule.integrate(lw * brace)])


#: the loop integrals at all nodes, (nodes, 2), with the per-node Jacobian
#: (:func:`frg._fixed_point._local.node_local`: 7 directions per node, not one per unknown)
_integrals = node_local(_node_integrals)


def de2_flow(rho, dmat, rule: MomentumRule, d, w, z, eta, *, bc=False):
    """Right-hand sides ``(∂_t w, ∂_t z)`` at the collocation nodes ``rho``; ``bc``: the
    last node with the large-field relations for w'' and z'' (:func:`second_derivative`)."""
    pw, pz, _ = asymptotic_powers(d, eta)
    w1 = dmat @ w
    w2 = second_derivative(dmat, w1, rho, pw, bc)
    z1 = dmat @ z
    z2 = second_derivative(dmat, z1, rho, pz, bc)
    loc = jnp.stack([w, w1, w2, z, z1, z2], axis=1)
    ints = _integrals((rule, jnp.asarray(d, dtype=float)), rho, loc, eta)
    f_w = (eta - 2.0) * w + (d - 2.0 + eta) * rho * w1 + ints[:, 0]
    f_z = eta * z + (d - 2.0 + eta) * rho * z1 + ints[:, 1]
    return f_w, f_z
