"""Derivative expansion at O(∂²) (frg.de2): LPA limit, grid convergence, published values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import fsolve

import frg

ALPHA = 2.0  # near the PMS point of the exponential regulator


@pytest.fixture(scope="module")
def de2_16():
    return frg.de2_exponents(frg.Wetterich(a=ALPHA), d=3.0, grid=16)


def _lpa_fd(regulator, d, w_guess, rho_guess, length, n):
    """Independent LPA fixed point: 2nd-order finite differences in w = u' on a uniform grid,
    SciPy fsolve, eigenvalues of a finite-difference Jacobian; returns ν."""
    rule = frg.threshold_rule(regulator, d)
    q, c = np.asarray(rule.q), np.asarray(rule.c)
    x = np.linspace(0.0, length, n)
    h = x[1] - x[0]

    def l2(m):  # d ℓ_1/dm = −ℓ_2
        return np.sum(c / (q + m[:, None]) ** 2, axis=1)

    def flow(w):
        w1 = np.gradient(w, h, edge_order=2)
        w2 = np.gradient(w1, h, edge_order=2)
        m = w + 2 * x * w1
        return -2 * w + (d - 2) * x * w1 - l2(m) * (3 * w1 + 2 * x * w2)

    w0 = np.interp(x, rho_guess, w_guess)
    w, info, ier, msg = fsolve(flow, w0, full_output=True, xtol=1e-13)
    assert ier == 1, msg
    eps = 1e-7
    jac = np.empty((n, n))
    f0 = flow(w)
    for j in range(n):
        dw = np.zeros(n)
        dw[j] = eps
        jac[:, j] = (flow(w + dw) - f0) / eps
    theta = np.sort(-np.linalg.eigvals(jac).real)[::-1]
    return 1.0 / theta[0]


def test_lpa_recovered_when_z_frozen():
    reg = frg.Wetterich(a=ALPHA)
    lpa = frg.de2_exponents(reg, d=3.0, grid=16, frozen_z=True)
    assert lpa.status == "success"
    assert float(lpa.eta) == 0.0
    fp = lpa.fixed_point
    L = float(fp.rho[-1])
    rho, w = np.asarray(fp.rho), np.asarray(fp.w)
    nus = [_lpa_fd(reg, 3.0, w, rho, L, n) for n in (121, 241)]
    nu_rich = (4 * nus[1] - nus[0]) / 3  # Richardson, O(h^2) finite differences
    assert abs(float(lpa.nu) - nu_rich) < 2e-5, (float(lpa.nu), nus)
    assert 0.64 < float(lpa.nu) < 0.67  # LPA, well above the O(∂²) ν ≈ 0.628


def test_grid_convergence(de2_16):
    ex24 = frg.de2_exponents(frg.Wetterich(a=ALPHA), d=3.0, grid=24)
    assert de2_16.status == ex24.status == "success"
    for key in ("nu", "eta", "omega"):
        a, b = float(getattr(de2_16, key)), float(getattr(ex24, key))
        assert abs(a - b) < 1e-7 * max(1.0, abs(b)), (key, a, b)


def test_de2_values_at_alpha2(de2_16):
    # Converged values (grid 16..40, rho_max 0.20..0.25 agree to >= 11 digits), Z(0) = 1.
    assert float(de2_16.nu) == pytest.approx(0.6282020510, abs=1e-8)
    assert float(de2_16.eta) == pytest.approx(0.0443053709, abs=1e-8)
    assert float(de2_16.omega) == pytest.approx(0.8483817584, abs=1e-7)
    z = np.asarray(de2_16.fixed_point.z)
    assert z[0] == pytest.approx(1.0, abs=1e-12)


def test_published_ising_pms():
    """O(∂²), exponential regulator at PMS (Balog, Chaté, Delamotte, Marohnic, Wschebor,
    PRL 123, 240604 (2019), as recalled): η = 0.0443 to the printed digits; ν only to 3
    digits (0.628: we get 0.62822 vs the recalled 0.6281, see docs/de2.md). Canet et al.'s
    ν = 0.632, η = 0.033 are O(∂⁴) values (PRD 68, 064421 (2003)), not tested here."""
    pms = frg.de2_pms(which="eta", d=3.0, grid=16, bracket=(1.5, 3.0))
    assert pms.status == "success"
    assert 2.0 < float(pms.alpha) < 2.4
    assert round(float(pms.value), 4) == 0.0443
    assert round(float(pms.exponents.nu), 3) == 0.628


def test_cli_dict():
    out = frg.de2_cli_exponents(N=1, d=3.0, alpha=ALPHA, grid=16)
    assert out["status"] == "success"
    assert {"nu", "omega", "eta", "theta"} <= set(out)
    assert out["nu"] == pytest.approx(0.6282020510, abs=1e-8)


@pytest.mark.parametrize(
    "kwargs",
    [dict(N=0.5), dict(N=2000), dict(d=4.5), dict(grid=3), dict(norm="min"), dict(norm=-1.0)],
)
def test_invalid_input(kwargs):
    with pytest.raises(ValueError):
        frg.de2_exponents(frg.Wetterich(), **kwargs)


def test_litim_refused():
    with pytest.raises(ValueError, match="smooth"):
        frg.de2_fixed_point(frg.Litim())


def test_momentum_rule_matches_threshold():
    from frg._flow.threshold import momentum_rule

    reg = frg.Wetterich(a=1.5)
    rule = momentum_rule(reg, 3.0)
    m = 0.3
    l2 = rule.integrate(0.5 * rule.dt_r(0.0) / (rule.y + rule.g + m) ** 2)
    assert float(l2) == pytest.approx(float(frg.threshold(reg, 3.0, jnp.asarray(m), 2)), rel=1e-12)


def _reference_loops(N, rho_i, w, w1, w2, zt, zt1, zt2, yy, yy1, yy2, rule, d, eta):
    """Independent O(N) loops: N×N matrix propagators (jnp.linalg.inv), vertices by autodiff of
    U(φ), K(φ) in all N components, P and x derivatives by nested jax.grad."""
    phib = jnp.zeros(N).at[0].set(jnp.sqrt(2.0 * rho_i))

    def U(phi):
        r = 0.5 * phi @ phi - rho_i
        return w * r + 0.5 * w1 * r**2 + w2 * r**3 / 6.0

    def K(phi):
        r = 0.5 * phi @ phi - rho_i
        z = zt + zt1 * r + 0.5 * zt2 * r**2
        y = yy + yy1 * r + 0.5 * yy2 * r**2
        return z * jnp.eye(N) + 0.5 * y * jnp.outer(phi, phi)

    u2, u3 = jax.hessian(U)(phib), jax.jacfwd(jax.hessian(U))(phib)
    k0, k1, k2 = K(phib), jax.jacfwd(K)(phib), jax.jacfwd(jax.jacfwd(K))(phib)
    eye = jnp.eye(N)

    def coeff(q, g0, g1, g2, dtr, a):
        def f(P, x):
            s = P + q + 2.0 * x
            gs = g0 + g1 * (s - q) + 0.5 * g2 * (s - q) ** 2
            Gq = jnp.linalg.inv(k0 * q + g0 * eye + u2)
            Gs = jnp.linalg.inv(k0 * s + gs * eye + u2)
            va = u3[a] - x * k1[a] + (P + x) * k1[a].T + (x + q) * k1[:, :, a]
            vb = u3[a] + (P + x) * k1[a] - x * k1[a].T + (x + q) * k1[:, :, a]
            wab = P * k2[a, a] + q * k2[:, :, a, a]
            return dtr * (jnp.trace(Gq @ va @ Gs @ vb @ Gq) - 0.5 * jnp.trace(Gq @ wab @ Gq))

        dxx = jax.grad(jax.grad(f, argnums=1), argnums=1)(0.0, 0.0)
        return jax.grad(f, argnums=0)(0.0, 0.0) + (q / (2.0 * d)) * dxx

    def both(q, g0, g1, g2, dt):
        return jnp.stack([coeff(q, g0, g1, g2, dt, 1), coeff(q, g0, g1, g2, dt, 0)])

    vals = jax.vmap(both)(rule.y, rule.g, rule.g1, rule.g2, rule.dt_r(eta))
    return rule.integrate(vals.T)


@pytest.mark.slow
def test_on_tensor_flow_consistency():
    """O(N) flow: N = 1 reproduces the hand-derived N = 1 flow off the fixed point; the
    closed-form loops (3 components, weight N − 2 on the third) equal an independent
    N×N-matrix autodiff evaluation for N = 4; O(N) symmetry at ρ̃ = 0 (ℓ_t = ℓ_l)."""
    from frg._fixed_point._de2_flow import de2_flow
    from frg._fixed_point._de2_on import _node_loops, on_flow
    from frg._fixed_point.de2 import _setup

    s = _setup(frg.Wetterich(a=2.0), 3.0, 8, 0.2)
    w = 10 * (s.rho - 0.05) + 3 * s.rho**2
    z = 1 + 0.5 * s.rho - 2 * s.rho**2
    fw, ft, fy = jax.jit(lambda w, z: on_flow(1, s.rho, s.dmat, s.rule, s.d, w, z, 0 * z, 0.04))(
        w, z
    )
    fw1, fz1 = de2_flow(s.rho, s.dmat, s.rule, s.d, w, z, 0.04)
    np.testing.assert_allclose(fw, fw1, atol=1e-13)
    np.testing.assert_allclose((ft + s.rho * fy)[1:], fz1[1:], atol=1e-13)
    loc = (-0.3, 8.0, 20.0, 1.0, 0.5, -2.0, 0.3, -0.5, 0.7)
    for rho_i in (0.07, 0.0):
        new = jax.jit(lambda r: _node_loops(4.0, r, jnp.array(loc), s.rule, 3.0, 0.04))(rho_i)
        ref = jax.jit(lambda r: _reference_loops(4, r, *loc, s.rule, 3.0, 0.04))(rho_i)
        np.testing.assert_allclose(new, ref, rtol=1e-12, atol=1e-12)
    lt, ll = np.asarray(new)
    assert abs(lt - ll) < 1e-12 * max(1.0, abs(lt))


# ------------------------------------------------------------------------- O(N), N = 2, 3
# One compilation (grid 16, N traced) serves every N; the O(N) checks share one test so that
# only one xdist worker pays it.
def test_on_values_large_n_cli():
    """O(N) at α = 2, Z_t(0) = 1 (our values; grid-converged, see test_on_grid_convergence),
    and N → ∞: the exact large-N limit ν = 1/(d − 2) = 1, η = 0, ω = 4 − d = 1, approached
    with 1/N corrections ((1 − ν)N and ηN agree between N = 100 and 1000)."""
    ex = {
        N: frg.de2_exponents(frg.Wetterich(a=ALPHA), N=N, d=3.0, grid=16) for N in (2, 3, 100, 1000)
    }
    assert all(e.status == "success" for e in ex.values())
    assert float(ex[2].nu) == pytest.approx(0.6674598247, abs=1e-8)
    assert float(ex[2].eta) == pytest.approx(0.0467123288, abs=1e-8)
    assert float(ex[2].omega) == pytest.approx(0.78698150, abs=1e-6)
    assert float(ex[3].nu) == pytest.approx(0.7054659352, abs=1e-8)
    assert float(ex[3].eta) == pytest.approx(0.0463475846, abs=1e-8)
    assert float(ex[3].omega) == pytest.approx(0.74670887, abs=1e-6)
    assert float(ex[2].fixed_point.z[0]) == pytest.approx(1.0, abs=1e-12)
    assert np.max(np.abs(np.asarray(ex[2].fixed_point.y))) > 1e-3  # Y(ρ) is non-trivial
    assert abs(float(ex[1000].nu) - 1.0) < 2e-3 and abs(float(ex[1000].omega) - 1.0) < 5e-3
    assert 0.0 < float(ex[1000].eta) < 5e-4
    c_nu = [(1.0 - float(ex[n].nu)) * n for n in (100, 1000)]
    c_eta = [float(ex[n].eta) * n for n in (100, 1000)]
    assert abs(c_nu[0] - c_nu[1]) < 0.05 * c_nu[1], c_nu
    assert abs(c_eta[0] - c_eta[1]) < 0.05 * c_eta[1], c_eta
    out = frg.de2_cli_exponents(N=2, d=3.0, alpha=ALPHA, grid=16)
    assert out["status"] == "success" and out["N"] == 2
    assert out["nu"] == pytest.approx(float(ex[2].nu), rel=1e-12)


@pytest.mark.slow
def test_on_grid_convergence():
    a, b = (frg.de2_exponents(frg.Wetterich(a=ALPHA), N=2, d=3.0, grid=g) for g in (16, 20))
    assert a.status == b.status == "success"
    for key in ("nu", "eta", "omega"):
        x, y = float(getattr(a, key)), float(getattr(b, key))
        assert abs(x - y) < 1e-7 * max(1.0, abs(y)), (key, x, y)


@pytest.mark.slow
def test_on_lpa_limit():
    """Frozen z, ỹ: the O(2) LPA ν of an independent code path (frg.critical_exponents)."""
    reg = frg.Wetterich(a=ALPHA)
    lpa = frg.de2_exponents(reg, N=2, d=3.0, grid=16, frozen_z=True)
    ref = frg.critical_exponents(reg, N=2.0, d=3.0)
    assert lpa.status == "success" and float(lpa.eta) == 0.0
    assert float(lpa.nu) == pytest.approx(float(ref.nu), abs=1e-6)
