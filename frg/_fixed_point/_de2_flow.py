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

from .._flow.threshold import MomentumRule


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


def de2_flow(rho, dmat, rule: MomentumRule, d, w, z, eta, *, frozen_z: bool = False, bc=False):
    """Right-hand sides ``(∂_t w, ∂_t z)`` at the collocation nodes ``rho`` (``∂_t z`` is
    ``None`` when ``frozen_z``, where z ≡ 1 and the flow is the LPA one); ``bc``: the
    last node with the large-field relations for w'' and z'' (:func:`second_derivative`)."""
    pw, pz, _ = asymptotic_powers(d, eta)
    w1 = dmat @ w
    w2 = second_derivative(dmat, w1, rho, pw, bc)
    z1 = dmat @ z
    r = rho[:, None]
    y = rule.y[None, :]
    g1 = rule.g1[None, :]
    g2 = rule.g2[None, :]
    zz = z[:, None]
    G = 1.0 / (zz * y + rule.g[None, :] + (w + 2.0 * rho * w1)[:, None])
    dtr = rule.dt_r(eta)[None, :]
    lw = dtr * G**2
    i_w = -0.5 * rule.integrate(lw * (z1[:, None] * y + (3.0 * w1 + 2.0 * rho * w2)[:, None]))
    f_w = (eta - 2.0) * w + (d - 2.0 + eta) * rho * w1 + i_w
    if frozen_z:
        return f_w, None
    z2 = second_derivative(dmat, z1, rho, pz, bc)
    a = (3.0 * w1 + 2.0 * rho * w2)[:, None] + z1[:, None] * y
    v2 = 2.0 * r * a**2
    vk1 = 2.0 * r * z1[:, None] * a
    k12 = 2.0 * r * z1[:, None] ** 2
    k2 = (z1 + 2.0 * rho * z2)[:, None]
    gp = -(zz + g1) * G**2
    gpp = 2.0 * (zz + g1) ** 2 * G**3 - g2 * G**2
    brace = (
        2.0 * vk1 * G
        + v2 * gp
        + (y / (2.0 * d)) * (2.0 * k12 * G + 8.0 * vk1 * gp + 4.0 * v2 * gpp)
        - 0.5 * k2
    )
    i_z = rule.integrate(lw * brace)
    f_z = eta * z + (d - 2.0 + eta) * rho * z1 + i_z
    return f_w, f_z
