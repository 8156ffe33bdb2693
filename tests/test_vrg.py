"""VRG vs RBM by exact enumeration."""

import numpy as np
import pytest

from frg._ml import vrg as G


def test_walsh_couplings_roundtrip():
    from frg._ml.ising import all_spin_states

    s = all_spin_states(4).astype(float)
    logw = 0.3 * s[:, 0] * s[:, 1] - 0.7 * s[:, 2] + 0.2 * s[:, 0] * s[:, 1] * s[:, 3] + 1.5
    c = G.walsh_couplings(logw, 4)
    assert c == pytest.approx({0: 1.5, 0b11: 0.3, 0b100: -0.7, 0b1011: 0.2})


@pytest.mark.parametrize("K", [0.3, 0.8, 1.5])
def test_decimation_limit_of_rbm(K):
    n = 8
    H = G.chain_energy(K, n)
    c, lz, lzp = G.vrg_hidden_hamiltonian(H, G.decimation_rbm(n, 40.0))
    assert G.nn_coupling(c, n // 2) == pytest.approx(G.decimation_K(K), abs=1e-10)
    assert lzp == pytest.approx(lz, abs=1e-10)  # normalised kernel preserves Z
    # only constant + nearest-neighbour couplings survive
    assert set(c) <= {0, 0b11, 0b110, 0b1100, 0b1001}


def test_soft_decimation_preserves_z_and_weakens_coupling():
    H = G.chain_energy(0.8, 8)
    Ks = []
    for W in (0.5, 1.0, 3.0):
        c, lz, lzp = G.vrg_hidden_hamiltonian(H, G.decimation_rbm(8, W))
        assert lzp == pytest.approx(lz, abs=1e-10)
        Ks.append(G.nn_coupling(c, 4))
    assert Ks[0] < Ks[1] < Ks[2] < G.decimation_K(0.8) + 1e-9


def test_kl_equals_log_z_ratio_and_fit_quality():
    H = G.chain_energy(0.8, 8)
    params, hist = G.fit_rbm_exact(H, 4, steps=600)
    r = G.vrg_analysis(H, params)
    assert r.log_z_ratio == pytest.approx(r.kl, abs=1e-10)
    assert r.kl < 1e-2 and hist[-1] < hist[0]
    # a random RBM violates the VRG condition much more
    rng = np.random.default_rng(0)
    bad = (np.zeros(8), np.zeros(4), rng.normal(size=(8, 4)))
    rb = G.vrg_analysis(H, bad)
    assert rb.kl > 10 * r.kl and rb.vrg_violation > r.vrg_violation
    assert rb.log_z_ratio == pytest.approx(rb.kl, abs=1e-10)
    # the RBM's induced hidden Hamiltonian has 2-body couplings near ½ ln cosh 2K
    pairs = sorted(abs(v) for m, v in r.couplings.items() if bin(m).count("1") == 2)
    assert pairs[-1] == pytest.approx(G.decimation_K(0.8), rel=0.1)


def test_2d_4x4_identity():
    H = G.ising2d_energy(0.3, 4)
    rng = np.random.default_rng(1)
    params = (np.zeros(16), np.zeros(4), 0.3 * rng.normal(size=(16, 4)))
    r = G.vrg_analysis(H, params)
    assert r.log_z_ratio == pytest.approx(r.kl, abs=1e-9)
    assert r.kl > 0


def test_bad_input():
    with pytest.raises(ValueError, match="n"):
        G.decimation_rbm(7)
    with pytest.raises(ValueError, match="L"):
        G.ising2d_energy(0.4, 5)
    with pytest.raises(ValueError, match="H_v"):
        G.vrg_analysis(np.zeros(5), (np.zeros(2), np.zeros(1), np.zeros((2, 1))))
