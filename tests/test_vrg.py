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


def _brute_force(H, params):
    """KL(p ‖ p_RBM), ln Z'/Z and p_RBM(h) by explicit sums over the joint (v, h) states.

    E(v, h) = −a·v − b·h − vᵀWh (±1 units); p_RBM(v) = Σ_h e^{−E}/Z_RBM. The VRG kernel
    T(v, h) = H(v) − E(v, h) + c with c fixed by ⟨ln Σ_h e^{T} − ... ⟩: e^{g(v)} = Σ_h e^{T},
    ⟨g⟩_p = 0, and Z' = Σ_{v,h} e^{T − H} = e^{c} Z_RBM. Independent of frg's closed forms.
    """
    from scipy.special import logsumexp

    from frg._ml.ising import all_spin_states

    a, b, W = (np.asarray(x, np.float64) for x in params)
    vs = all_spin_states(W.shape[0]).astype(np.float64)
    hs = all_spin_states(W.shape[1]).astype(np.float64)
    minus_E = (vs @ a)[:, None] + (hs @ b)[None, :] + vs @ W @ hs.T  # (2^n_v, 2^n_h)
    log_zr = logsumexp(minus_E)
    log_prbm_v = logsumexp(minus_E, axis=1) - log_zr
    logp = -H - logsumexp(-H)
    p = np.exp(logp)
    kl = float(np.sum(p * (logp - log_prbm_v)))
    g0 = H + logsumexp(minus_E, axis=1)  # ln Σ_h e^{H − E} before fixing the constant
    c = -np.sum(p * g0)
    log_ratio = float(logsumexp(minus_E + c) - logsumexp(-H))  # ln Z'/Z
    log_prbm_h = logsumexp(minus_E, axis=0) - log_zr
    return kl, log_ratio, log_prbm_h, hs


def _check_against_brute_force(H, params, n_h):
    r = G.vrg_analysis(H, params)
    kl, log_ratio, log_prbm_h, hs = _brute_force(H, params)
    assert r.kl == pytest.approx(kl, abs=1e-10)
    assert r.log_z_ratio == pytest.approx(log_ratio, abs=1e-10)
    assert log_ratio == pytest.approx(kl, abs=1e-10)  # ln Z'/Z = KL, from explicit sums
    # the hidden Hamiltonian's Walsh couplings reproduce the RBM's hidden marginal
    chi = np.array(
        [[np.prod(h[[i for i in range(n_h) if m >> i & 1]]) for m in r.couplings] for h in hs]
    )
    logq = chi @ np.array(list(r.couplings.values()))
    logq -= np.log(np.sum(np.exp(logq)))
    np.testing.assert_allclose(logq, log_prbm_h, atol=1e-8)
    return r


def test_vrg_analysis_against_brute_force_and_ml_fit():
    H = G.chain_energy(0.8, 8)
    params, hist = G.fit_rbm_exact(H, 4, steps=600)
    r = _check_against_brute_force(H, params, 4)
    assert r.kl < 1e-2 and hist[-1] < hist[0]
    # a random RBM violates the VRG condition much more
    rng = np.random.default_rng(0)
    bad = (np.zeros(8), np.zeros(4), rng.normal(size=(8, 4)))
    rb = _check_against_brute_force(H, bad, 4)
    assert rb.kl > 10 * r.kl and rb.vrg_violation > r.vrg_violation
    # the ML-trained RBM finds the decimated chain: its hidden Hamiltonian's largest 2-body
    # couplings lie near ½ ln cosh 2K (a finding of docs/ml_rg.md, §6)
    pairs = sorted(abs(v) for m, v in r.couplings.items() if bin(m).count("1") == 2)
    assert pairs[-1] == pytest.approx(G.decimation_K(0.8), rel=0.1)


def test_2d_4x4_against_brute_force():
    H = G.ising2d_energy(0.3, 4)
    rng = np.random.default_rng(1)
    params = (0.1 * rng.normal(size=16), 0.1 * rng.normal(size=4), 0.3 * rng.normal(size=(16, 4)))
    r = _check_against_brute_force(H, params, 4)
    assert r.kl > 0


def test_bad_input():
    with pytest.raises(ValueError, match="n"):
        G.decimation_rbm(7)
    with pytest.raises(ValueError, match="L"):
        G.ising2d_energy(0.4, 5)
    with pytest.raises(ValueError, match="H_v"):
        G.vrg_analysis(np.zeros(5), (np.zeros(2), np.zeros(1), np.zeros((2, 1))))
