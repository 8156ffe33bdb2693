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
    return frg.de2_exponents(frg.Exponential(a=ALPHA), d=3.0, grid=16)


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
    reg = frg.Exponential(a=ALPHA)
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
    ex24 = frg.de2_exponents(frg.Exponential(a=ALPHA), d=3.0, grid=24)
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
    [dict(N=2), dict(d=4.5), dict(grid=3), dict(norm="min"), dict(norm=-1.0)],
)
def test_invalid_input(kwargs):
    with pytest.raises(ValueError):
        frg.de2_exponents(frg.Exponential(), **kwargs)


def test_litim_refused():
    with pytest.raises(ValueError, match="smooth"):
        frg.de2_fixed_point(frg.Litim())


def test_momentum_rule_matches_threshold():
    from frg._de2_quad import momentum_rule

    reg = frg.Exponential(a=1.5)
    rule = momentum_rule(reg, 3.0)
    m = 0.3
    l2 = rule.integrate(0.5 * rule.dt_r(0.0) / (rule.y + rule.g + m) ** 2)
    assert float(l2) == pytest.approx(float(frg.threshold(reg, 3.0, jnp.asarray(m), 2)), rel=1e-12)


@pytest.mark.slow
def test_on_tensor_flow_consistency():
    """O(N) flow (field-space autodiff of the vertices): N = 1 with Y = 0 reproduces the
    hand-derived N = 1 flow off the fixed point; at ρ̃ = 0 the transverse and longitudinal
    p² loops coincide (O(N) symmetry)."""
    from frg._de2_flow import de2_flow
    from frg._de2_on import _node_coeffs, on_flow
    from frg.de2 import _setup

    s = _setup(frg.Exponential(a=2.0), 3.0, 8, 0.2)
    w = 10 * (s.rho - 0.05) + 3 * s.rho**2
    z = 1 + 0.5 * s.rho - 2 * s.rho**2
    fw, ft, fy = jax.jit(lambda w, z: on_flow(1, s.rho, s.dmat, s.rule, s.d, w, z, 0 * z, 0.04))(
        w, z
    )
    fw1, fz1 = de2_flow(s.rho, s.dmat, s.rule, s.d, w, z, 0.04)
    np.testing.assert_allclose(fw, fw1, atol=1e-13)
    np.testing.assert_allclose((ft + s.rho * fy)[1:], fz1[1:], atol=1e-13)
    lt, ll = _node_coeffs(
        3, 0.0, -0.3, 8.0, 20.0, 1.0, 0.5, -2.0, 0.3, -0.5, 0.0, s.rule, 3.0, 0.04
    )
    assert abs(float(lt - ll)) < 1e-13 * max(1.0, abs(float(lt)))
