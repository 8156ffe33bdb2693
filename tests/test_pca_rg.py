"""PCA meets RG: Gaussian control, Fourier modes, φ⁴ HMC against the free field."""

import numpy as np
import pytest

from frg._ml import pca_rg as P, phi4


def test_gaussian_control_stays_at_three():
    X = P.gaussian_field(8, 4000, m2=0.3, seed=0)
    flow = P.pca_rg_flow(X)
    # κ of a Gaussian is 3; sampling error of a 4th-moment ratio with n = 4000 is ≈ 0.1
    assert np.all(np.abs(flow.kurtosis - 3.0) < 0.15)
    assert flow.fraction[0] == 1.0 and np.all(np.diff(flow.fraction) < 0)


def test_ising_like_binary_data_starts_at_one():
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(2000, 16))
    flow = P.pca_rg_flow(X, [1.0, 0.25])
    assert flow.kurtosis[0] == pytest.approx(1.0, abs=0.01)  # up to the sample-mean shift
    assert flow.kurtosis[1] > 1.5  # mixing modes moves towards the Gaussian 3


def test_pca_modes_of_translation_invariant_field_are_fourier_modes():
    X1 = P.gaussian_field(16, 6000, m2=0.3, seed=1, d=1)
    lam, Q = P.pca_modes(X1)
    assert np.all(P.fourier_concentration(Q[:, :9], (16,)) > 0.95)
    X2 = P.gaussian_field(8, 6000, m2=0.3, seed=2)
    lam, Q = P.pca_modes(X2)
    assert np.all(P.fourier_concentration(Q[:, :9], (8, 8)) > 0.95)
    # eigenvalues follow the spectrum 1/(p̂² + m2), largest at p = 0
    assert lam[0] == pytest.approx(1 / 0.3, rel=0.1)
    # a random orthonormal basis is not Fourier
    Qr, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(64, 64)))
    assert np.median(P.fourier_concentration(Qr, (8, 8))) < 0.5


def test_phi4_hmc_free_field():
    r = phi4.hmc(6, 0.5, 0.0, chains=16, n_traj=60, burn_in=20, seed=0)
    exact = phi4.free_phi2(6, 0.5)
    assert r.acceptance > 0.8
    assert r.phi2 == pytest.approx(exact, rel=0.05)


def test_bad_input():
    with pytest.raises(ValueError, match="m2"):
        phi4.hmc(6, -1.0, 0.0)
    with pytest.raises(ValueError, match="lam"):
        phi4.hmc(6, 0.5, -1.0)
    with pytest.raises(ValueError, match="fractions"):
        P.pca_rg_flow(np.zeros((10, 4)), [1.5])
