"""O(N) O(∂²) flow with Z(ρ) and Y(ρ), by field-space autodiff of the vertices (private).

Ansatz ``Γ = ∫ U(ρ) + ½ Z(ρ)(∂φ)² + ¼ Y(ρ)(∂ρ)² = ∫ U + ½ K_ab(φ) ∂φ_a·∂φ_b`` with
``K_ab = Z δ_ab + ½ Y φ_a φ_b``. In a constant background the vertices are

    Γ^(n)_{a₁…a_n}(p₁…p_n) = ∂^n U + Σ_{i<j} (−p_i·p_j) ∂^{n−2}_{rest} K_{a_i a_j},

evaluated here by autodiff (in φ) of local Taylor polynomials of U, Z, Y at each grid
node. The p² coefficient of ∂_tΓ^(2)_{ab}(p) (transverse: Z_t = Z; longitudinal:
Z_l = Z + ρY) is ``∂_P f + (q²/2d) ∂_x² f`` at p = 0 (x = p·q), with

    f = ∂̃R(q) { Tr[G(q) V_a G(p+q) V_b G(q)] − ½ Tr[G(q) W_ab G(q)] }.

Unknowns on the grid: w = u', z_t, z_l (ỹ = (z_l − z_t)/ρ̃). See ``docs/de2.md``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._de2_quad import MomentumRule


def _node_coeffs(N, rho_i, w, w1, w2, zt, zt1, zt2, yy, yy1, yy2, rule: MomentumRule, d, eta):
    """(loop_t, loop_l): p² coefficients of the transverse / longitudinal ∂_tΓ^(2) loops."""
    phib = jnp.zeros(N).at[0].set(jnp.sqrt(2.0 * rho_i))

    def rho_of(phi):
        return 0.5 * phi @ phi - rho_i

    def U(phi):
        r = rho_of(phi)
        return w * r + 0.5 * w1 * r**2 + w2 * r**3 / 6.0

    def K(phi):
        r = rho_of(phi)
        z = zt + zt1 * r + 0.5 * zt2 * r**2
        y = yy + yy1 * r + 0.5 * yy2 * r**2
        return z * jnp.eye(N) + 0.5 * y * jnp.outer(phi, phi)

    u2 = jax.hessian(U)(phib)
    u3 = jax.jacfwd(jax.hessian(U))(phib)
    k0 = K(phib)
    k1 = jax.jacfwd(K)(phib)  # k1[i, j, c] = ∂_c K_ij
    k2 = jax.jacfwd(jax.jacfwd(K))(phib)  # k2[i, j, c, e]
    eye = jnp.eye(N)

    def coeff(q, g0, g1, g2, dtr, a):
        def f(P, x):
            s = P + q + 2.0 * x
            gs = g0 + g1 * (s - q) + 0.5 * g2 * (s - q) ** 2
            Gq = jnp.linalg.inv(k0 * q + g0 * eye + u2)
            Gs = jnp.linalg.inv(k0 * s + gs * eye + u2)
            # V_a[c, d] = Γ3_{a c d}(p, q, −p−q); V_b[e, f] = Γ3_{a e f}(−p, p+q, −q)
            va = u3[a] - x * k1[a, :, :] + (P + x) * k1[a, :, :].T + (x + q) * k1[:, :, a]
            vb = u3[a] + (P + x) * k1[a, :, :] - x * k1[a, :, :].T + (x + q) * k1[:, :, a]
            t1 = jnp.trace(Gq @ va @ Gs @ vb @ Gq)
            # W[c, d] = Γ4_{a a c d}(p, −p, q, −q) − U4: the x terms cancel pairwise
            wab = P * k2[a, a] + q * k2[:, :, a, a]
            t2 = jnp.trace(Gq @ wab @ Gq)
            return dtr * (t1 - 0.5 * t2)

        dP = jax.grad(f, argnums=0)(0.0, 0.0)
        dxx = jax.grad(jax.grad(f, argnums=1), argnums=1)(0.0, 0.0)
        return dP + (q / (2.0 * d)) * dxx

    dtr = rule.dt_r(eta)

    def both(q, g0, g1, g2, dt):
        lt = coeff(q, g0, g1, g2, dt, 1) if N > 1 else 0.0
        ll = coeff(q, g0, g1, g2, dt, 0)
        return jnp.stack([jnp.asarray(lt, dtype=float), ll])

    vals = jax.vmap(both)(rule.y, rule.g, rule.g1, rule.g2, dtr)  # (nodes, 2)
    return rule.integrate(vals.T)


def on_flow(N, rho, dmat, rule: MomentumRule, d, w, zt, yy, eta):
    """``(∂_t w, ∂_t z, ∂_t ỹ)`` of the O(N) model at O(∂²), dimensionless (z = z_t,
    z_l = z + ρ̃ỹ); ``∂_t ỹ = (d − 2 + 2η) ỹ + (d − 2 + η) ρ̃ ỹ' + (ℓ_l − ℓ_t)/ρ̃`` with the
    ρ̃ → 0 limit taken spectrally."""
    w1 = dmat @ w
    w2 = dmat @ w1
    zt1 = dmat @ zt
    zt2 = dmat @ zt1
    yy1 = dmat @ yy
    yy2 = dmat @ yy1
    zl = zt + rho * yy
    zl1 = zt1 + yy + rho * yy1
    loops = jax.vmap(
        lambda *a: _node_coeffs(N, *a, rule, d, eta),
    )(rho, w, w1, w2, zt, zt1, zt2, yy, yy1, yy2)
    y = rule.y[None, :]
    g = rule.g[None, :]
    dtr = rule.dt_r(eta)[None, :]
    gt = 1.0 / (zt[:, None] * y + g + w[:, None])
    gl = 1.0 / (zl[:, None] * y + g + (w + 2.0 * rho * w1)[:, None])
    i_w = -0.5 * rule.integrate(
        dtr * ((N - 1) * gt**2 * (zt1[:, None] * y + w1[:, None]))
        + dtr * gl**2 * (zl1[:, None] * y + (3.0 * w1 + 2.0 * rho * w2)[:, None])
    )
    f_w = (eta - 2.0) * w + (d - 2.0 + eta) * rho * w1 + i_w
    f_t = eta * zt + (d - 2.0 + eta) * rho * zt1 + loops[:, 0]
    dl = loops[:, 1] - loops[:, 0]
    safe = jnp.where(rho > 0, rho, 1.0)
    i_y = jnp.where(rho > 0, dl / safe, (dmat @ dl)[0])
    f_y = (d - 2.0 + 2.0 * eta) * yy + (d - 2.0 + eta) * rho * yy1 + i_y
    return f_w, f_t, f_y
