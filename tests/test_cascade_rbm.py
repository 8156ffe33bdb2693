"""The RBM layer (Flax): sampling, χ² spectrum tests, training, kernel widths."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frg

SHAPE, C = (16, 16), 0.3
REG = frg.Litim()
P2 = frg.lattice_p2(2, SHAPE[0])
ALPHA = 0.01  # significance of the χ² tests


def spec(k, c=C):
    return 1.0 / (P2 + np.asarray(REG(jnp.asarray(P2), k)) + c)


def _circulant(kernel):
    """Dense matrix of x ↦ kernel ⋆ x on a periodic 2D lattice (real space, no FFT)."""
    n0, n1 = kernel.shape
    N = n0 * n1
    M = np.zeros((N, N))
    for a in range(n0):
        for b in range(n1):
            for c in range(n0):
                for e in range(n1):
                    M[a * n1 + b, c * n1 + e] = kernel[(a - c) % n0, (b - e) % n1]
    return M


def test_layer_algebra_against_real_space():
    """8² layer: Fourier-space precision, ΔU and log Z against dense real-space algebra.

    A = −Δ + R_k + c and W (the kernel's convolution) as dense 64×64 matrices; h
    integrated out leaves A − WᵀW, so ΔU = (1/2N) log det[(A − WᵀW) A⁻¹] and
    log Z = N log 2π − ½ log det(A − WᵀW). The regulator enters A through its
    real-space kernel (inverse FFT of R_k), the Laplacian through its stencil.
    """
    shape, k, kp = (8, 8), 1.0, 0.5
    model, var = frg.rbm_layer(shape, k, kp, REG, C)
    p2 = frg.lattice_p2(2, 8)
    lap = np.zeros(shape)
    lap[0, 0], lap[1, 0], lap[-1, 0], lap[0, 1], lap[0, -1] = 4.0, -1.0, -1.0, -1.0, -1.0
    Rk = np.real(np.fft.ifft2(np.asarray(REG(jnp.asarray(p2), k))))
    A = _circulant(lap) + _circulant(Rk) + C * np.eye(64)
    W = _circulant(np.asarray(var["params"]["kernel"]))
    P = A - W.T @ W
    N = 64
    dU = float(model.apply(var, method=frg.ConvRBM.delta_u))
    assert abs(dU - (np.linalg.slogdet(P)[1] - np.linalg.slogdet(A)[1]) / (2 * N)) < 1e-13
    logZ = float(model.apply(var, method=frg.ConvRBM.log_partition))
    assert abs(logZ - (N * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(P)[1])) < 1e-10
    # the marginal precision is the same field one shell lower: p̂² + R_k' + c
    Rkp = np.real(np.fft.ifft2(np.asarray(REG(jnp.asarray(p2), kp))))
    assert np.max(np.abs(P - (_circulant(lap) + _circulant(Rkp) + C * np.eye(64)))) < 1e-12


def test_free_energy_is_energy_with_hidden_integrated_out():
    """E(v, h) = F(v) + ½|h − w⋆v|² for every h (completing the square in h)."""
    model, var = frg.rbm_layer(SHAPE, 1.0, 0.5, REG, C)
    rng = np.random.default_rng(0)
    v = rng.normal(size=SHAPE)
    F = float(model.apply(var, v, method=frg.ConvRBM.free_energy))
    wv = np.real(np.fft.ifft2(np.fft.fft2(np.asarray(var["params"]["kernel"])) * np.fft.fft2(v)))
    for _ in range(2):
        h = rng.normal(size=SHAPE)
        E = float(model.apply(var, v, h, method=frg.ConvRBM.energy))
        assert abs(E - (F + 0.5 * np.sum((np.asarray(h) - wv) ** 2))) < 1e-10 * abs(E)


def test_nonnormalisable_shell_reported():
    model, var = frg.rbm_layer(SHAPE, 1.0, 0.5, REG, -0.3)  # c < −k'² = −0.25
    assert not bool(model.apply(var, method=frg.ConvRBM.normalisable))
    assert float(model.apply(var, method=frg.ConvRBM.log_partition)) == np.inf
    assert float(model.apply(var, method=frg.ConvRBM.delta_u)) == np.inf


def test_gibbs_spectrum_chi2():
    """One layer, 256 chains × 40 sweeps from v = 0: spectrum = 1/(p̂² + R_k' + c)."""
    model, var = frg.rbm_layer(SHAPE, 1.0, 0.5, REG, C)
    v = frg.gibbs_sample(model, var, jax.random.key(0), 256, 40)
    res = frg.spectrum_chi2(v, spec(0.5))
    assert res["p_value"] > ALPHA, res
    assert frg.spectrum_chi2(v, spec(0.7))["p_value"] < 1e-4  # the test has power


def test_ancestral_spectrum_chi2():
    """Six geometric layers from Λ = 3 to 0.3: bottom spectrum = 1/(p̂² + R_{0.3} + c)."""
    ks = frg.scale_schedule(3.0, 0.3, 6)
    model, st = frg.rbm_stack(SHAPE, ks, REG, C)
    v = frg.ancestral_sample(model, st, jax.random.key(1), 512)
    res = frg.spectrum_chi2(v, spec(0.3))
    assert res["p_value"] > ALPHA, res
    assert frg.spectrum_chi2(v, spec(0.3, 1.2 * C))["p_value"] < 1e-4  # the test has power


def test_training_recovers_shell():
    """Exact-likelihood training (Adam) on 4000 samples at k' = 0.5 learns R_k − R_k'."""
    model, st = frg.rbm_stack(SHAPE, [1.0, 0.5], REG, C)
    data = frg.ancestral_sample(model, st, jax.random.key(2), 4000)
    A = P2 + np.asarray(REG(jnp.asarray(P2), 1.0)) + C
    shell = A - P2 - np.asarray(REG(jnp.asarray(P2), 0.5)) - C
    var, losses = frg.train_layer(data, A, jax.random.key(3), steps=1500)
    assert float(losses[-1]) < float(losses[0])
    learned = np.asarray(frg.ConvRBM(SHAPE).apply(var, method=frg.ConvRBM.shell))
    # per mode, relative to the precision it modifies (sampling error ~ 1/sqrt(M))
    assert np.max(np.abs(learned - shell) / A) < 0.08
    # inside the shell's support, averaged over p̂² classes
    key = np.round(P2, 10).ravel()
    _, inv = np.unique(key, return_inverse=True)
    avg = lambda x: np.bincount(inv, x.ravel()) / np.bincount(inv)
    inside = avg(shell) > 0
    assert np.max(np.abs(avg(learned) - avg(shell))[inside]) < 0.1 * shell.max()


@pytest.mark.parametrize(
    "reg,tol", [(frg.Wetterich(), 0.06), (frg.Litim(), 0.1)], ids=["wetterich", "litim"]
)
def test_kernel_width_scales_as_inverse_k(reg, tol):
    """64², k_l = 0.5·1.4^−l, l = 0..5 (1 ≪ 1/k ≪ L): σ_l k_l constant within ±tol of median."""
    ks = 0.5 * 1.4 ** -np.arange(7)
    _, widths, wk = frg.layer_kernel_widths(2, 64, ks, reg)
    wk = np.asarray(wk)
    assert np.all(np.diff(np.asarray(widths)) > 0)  # receptive field grows as k falls
    assert np.all(np.abs(wk / np.median(wk) - 1) < tol), wk
