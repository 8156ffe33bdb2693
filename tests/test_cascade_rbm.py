"""The RBM layer (Flax): sampling, χ² spectrum tests, training, kernel widths (issue 4)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frg

SHAPE, C = (16, 16), 0.3
REG = frg.Litim()
P2 = frg._cascade.crbm.lattice_p2_shape(SHAPE)
ALPHA = 0.01  # significance of the χ² tests


def spec(k, c=C):
    return 1.0 / (P2 + np.asarray(REG(jnp.asarray(P2), k)) + c)


def test_layer_algebra():
    model, var = frg.rbm_layer(SHAPE, 1.0, 0.5, REG, C)
    P = np.asarray(model.apply(var, method=frg.ConvRBM.marginal_precision))
    assert np.allclose(P, 1.0 / spec(0.5), atol=1e-12)
    dU = float(model.apply(var, method=frg.ConvRBM.delta_u))
    m = frg.lattice_momenta(2, 16)
    ref, _, _ = frg.layer_delta_u(REG, m, 1.0, 0.5, jnp.asarray([C]))
    assert abs(dU - float(ref[0])) < 1e-14
    logZ = float(model.apply(var, method=frg.ConvRBM.log_partition))
    assert np.isclose(logZ, P.size * np.log(2 * np.pi) - 0.5 * np.sum(np.log(P)), rtol=1e-14)
    # energy at h integrated out: F(v) = E(v, h*) − ½|h*|² consistency
    v = jax.random.normal(jax.random.key(0), SHAPE)
    h = model.apply(var, v, jax.random.key(1), method=frg.ConvRBM.sample_h)
    E = model.apply(var, v, h, method=frg.ConvRBM.energy)
    assert np.isfinite(float(E))


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
