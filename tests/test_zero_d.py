"""0-D O(N) model: the LPA flow is exact; compare with the integrals by quadrature."""

import numpy as np
import pytest
from scipy.integrate import quad

import frg


def exact_vertices(m2, lam, g6, N):
    """Γ^(2)(0) = 1/<φ1²>, Γ^(4)(0) = -(<φ1⁴> - 3<φ1²>²)/<φ1²>⁴ (radial quadrature)."""
    V = lambda r: m2 / 2 * r**2 + lam / 24 * r**4 + g6 / 720 * r**6
    mom = lambda p: quad(
        lambda r: r ** (N - 1 + p) * np.exp(-V(r)), 0, np.inf, epsabs=0, epsrel=1e-13, limit=200
    )[0]
    z0, z2, z4 = mom(0), mom(2), mom(4)
    p2 = z2 / z0 / N  # <φ1²> = <r²>/N
    p4 = 3 * z4 / z0 / (N * (N + 2))  # <φ1⁴> = 3<r⁴>/(N(N+2))
    return 1 / p2, -(p4 - 3 * p2**2) / p2**4


# (m2, lam, g6): single and double wells, and deep double wells with sextic terms
WELLS = [(1.0, 1.0, 0.0), (-1.0, 1.0, 0.0), (-2.0, 0.5, 0.3), (-4.0, 1.0, 0.3), (-4.0, 0.0, 2.0)]
CASES = [(*w, N) for N in (1.0, 2.0, 4.0) for w in WELLS]


@pytest.mark.parametrize("m2,lam,g6,N", CASES, ids=[f"{c}" for c in CASES])
def test_zero_d_matches_exact_integral(m2, lam, g6, N):
    res = frg.solve_zero_d(m2, lam, g6, N)
    assert res.ok, res.message
    g2, g4 = exact_vertices(m2, lam, g6, N)
    np.testing.assert_allclose(float(res.gamma2), g2, rtol=1e-6)
    np.testing.assert_allclose(float(res.gamma4), g4, rtol=1e-6)


def test_zero_d_bad_input():
    with pytest.raises(ValueError, match="unbounded below"):
        frg.solve_zero_d(1.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="N"):
        frg.solve_zero_d(1.0, 1.0, 0.0, 0.5)
    with pytest.raises(ValueError, match="m2"):
        frg.solve_zero_d(float("inf"), 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="k_ir"):
        frg.solve_zero_d(1.0, 1.0, 0.0, 1.0, k_ir=200.0)


def test_zero_d_step_limit_is_reported_and_raised():
    """A step limit far too small: the result says so, and ``throw=True`` raises it."""
    res = frg.solve_zero_d(1.0, 1.0, 0.0, 1.0, grid=40, max_steps=5)
    assert not res.ok and res.result == frg.RESULTS.max_steps_reached
    assert np.all(np.isnan(np.asarray(res.flow.dU[-1])))  # masked, flagged by `result`
    with pytest.raises(Exception, match="steps"):
        frg.solve_zero_d(1.0, 1.0, 0.0, 1.0, grid=40, max_steps=5, throw=True)
