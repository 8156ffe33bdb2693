"""Learning the bare action from samples through the cascade (the inverse problem).

One 8² setup (81-point grid, 20 bins) is shared so that the compiled fit is reused.
The interacting recoveries need tens of thousands of HMC samples and are marked slow.
"""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frg
from frg._cascade import learn
from frg.cli import main

L8 = 8


def gaussian_samples(m2, n, size=L8, d=2, seed=0):
    """Exact, independent samples of the free lattice field (FFT colouring of white noise)."""
    p2 = frg.lattice_p2(d, size)
    ax = tuple(range(1, d + 1))
    z = jnp.fft.fftn(jax.random.normal(jax.random.key(seed), (n,) + (size,) * d), axes=ax)
    return np.asarray(jnp.real(jnp.fft.ifftn(z / jnp.sqrt(p2 + m2), axes=ax)))


@pytest.fixture(scope="module")
def gaussian_hist():
    return frg.mean_field_histogram(gaussian_samples(0.5, 4000), bins=20)


def test_histogram_counts_and_weights(gaussian_hist):
    h = gaussian_hist
    assert int(h.counts.sum()) == 4000 and h.volume == 64
    assert np.array_equal(np.asarray(h.block_counts.sum(0)), np.asarray(h.counts))
    assert abs(float(h.tau_int) - 0.5) < 0.1  # independent samples
    used = np.asarray(h.used)
    n = np.asarray(h.counts)[used]
    np.testing.assert_allclose(np.asarray(h.sigma)[used], np.sqrt(2 * float(h.tau_int) / n) / 64)


def test_gaussian_constraint_potential_is_bare():
    """λ = 0: the zero-mode-free cascade leaves U = V + const exactly, for every L."""
    for layers in (1, 4, None):
        phi, U = frg.constraint_potential((0.5, 0.0), 2, L8, layers=layers, n_phi=41)
        U = np.asarray(U - U[20])
        assert np.max(np.abs(U - 0.25 * np.asarray(phi) ** 2)) < 1e-9, layers


def test_one_loop_regulator_independent():
    """Explicit L = 1 from Λ → ∞ to k → 0 is the one-loop constraint potential
    V + ½ (1/L^d) Σ_{p≠0} log(p̂² + V''), whatever the regulator (Litim, power law n = 2).
    Keeping the zero mode would add ½ L^{-d} log V'' (about 1e-2 here): the check can fail."""
    theta = (0.5, 3.0)
    p2 = frg.lattice_p2(2, L8).ravel()
    p2 = p2[p2 > 0]
    ref = None
    for reg, Lam in ((frg.Litim(), 60.0), (frg.PowerLaw(2.0), 60.0)):
        phi, U = frg.constraint_potential(
            theta, 2, L8, regulator=reg, layers=1, layer_type="explicit", Lambda=Lam,
            k_ir=1e-3, n_phi=41, phi_max=1.0,
        )  # fmt: skip
        phi = np.asarray(phi)
        Vpp = 0.5 + 1.5 * phi**2
        one = 0.25 * phi**2 + 3.0 / 24 * phi**4
        one = one + 0.5 * np.log(p2[None, :] + Vpp[:, None]).sum(1) / 64
        diff = np.asarray(U) - one
        diff = diff[1:-1] - diff[20]  # the ends carry the ghost-point closure
        # residual: O(V''/Λ²) of the UV completion, O(h²) of the grid curvature
        assert np.max(np.abs(diff)) < 2e-4, reg
        ref = diff if ref is None else ref
    assert np.max(np.abs(diff - ref)) < 2e-4


@pytest.mark.slow
def test_gradient_through_cascade_matches_finite_differences(gaussian_hist):
    """jax.grad of χ² through 4 self-consistent layers (implicit Newton) = central FD."""
    reg = frg.Litim()
    Lam, kir = learn._default_scales(2, L8, reg, None, None)
    phi = np.linspace(-1.5, 1.5, 81)
    setup = learn._make_setup(2, L8, reg, 4, Lam, kir, phi, "self-consistent")
    theta = jnp.asarray([0.45, 1.5])
    f = jax.jit(lambda t: learn._chi2(t, setup, gaussian_hist))
    g = np.asarray(jax.jit(jax.grad(lambda t: learn._chi2(t, setup, gaussian_hist)))(theta))
    for i in range(2):
        e = np.zeros(2)
        e[i] = 1e-5
        fd = (float(f(theta + e)) - float(f(theta - e))) / 2e-5
        assert abs(g[i] - fd) < 1e-6 * max(1.0, abs(fd)), (i, g[i], fd)


@pytest.mark.slow
def test_gaussian_mass_recovered_within_statistical_error(gaussian_hist):
    """4000 exact samples, λ = 0 held: m² within 3σ of 0.5, and σ the statistical error of
    the estimator (Var M = 1/(L^d m²) ⇒ δm²/m² = sqrt(2/N) = 0.022)."""
    fit = frg.fit_action(gaussian_hist, 2, L8, layers=8, fixed={"lam": 0.0})
    m2, err = float(fit.couplings[0]), float(fit.errors[0])
    assert fit.result == frg.RESULTS.successful
    assert abs(m2 - 0.5) < 3 * err
    assert abs(err / (0.5 * np.sqrt(2 / 4000)) - 1) < 0.3  # jackknife ≈ expected error
    assert abs(float(fit.fisher_errors[0]) / err - 1) < 0.3
    assert fit.dof == int(np.asarray(gaussian_hist.used).sum()) - 2
    assert fit.chi2 < fit.dof + 4 * np.sqrt(2 * fit.dof)  # a good fit: χ² ~ dof
    assert fit.loss[-1] <= fit.loss[0]


# LPA truncation tolerance: the bias of the continuum fit measured on high-statistics
# samples (docs/cascade.md, "Measured"): d = 2, 8², (m², λ) = (−0.6, 3): (+0.003, −0.03);
# d = 3, 4³, (−0.5, 3): (−0.020, +0.12), both below their statistical errors (0.09, 0.47
# and 0.07, 0.44). The tolerance is 3σ (jackknife) plus twice that bias bound.
LPA_TOL = {2: (0.01, 0.1), 3: (0.05, 0.3)}


@pytest.mark.slow
@pytest.mark.parametrize(
    "d,size,m2,lam,n", [(2, 8, -0.6, 3.0, 32000), (3, 4, -0.5, 3.0, 32000)], ids=["d2", "d3"]
)
def test_interacting_recovered_and_converges_in_layers(d, size, m2, lam, n):
    x, chains, _ = frg.phi4_samples(d, size, m2, lam, n, seed=3)
    hist = frg.mean_field_histogram(x, bins=30, chains=chains)
    fits = {L: frg.fit_action(hist, d, size, layers=L) for L in (8, 32, None)}
    cont = fits[None]
    assert cont.result == frg.RESULTS.successful
    truth = np.array([m2, lam])
    tol = 3 * np.asarray(cont.errors) + np.asarray(LPA_TOL[d])
    assert np.all(np.abs(np.asarray(cont.couplings) - truth) < tol)
    # the L-layer fits approach the continuum fit (first order in 1/L)
    dist = [np.abs(np.asarray(fits[L].couplings - cont.couplings)) for L in (8, 32)]
    assert np.all(dist[1] < dist[0])


@pytest.mark.slow
def test_cli_learn_action(tmp_path, capsys):
    path = tmp_path / "x.npz"
    np.savez(path, samples=gaussian_samples(0.5, 16000))
    argv = ["learn-action", "--d", "2", "--lattice", "8", "--samples", str(path)]
    argv += ["--layers", "8", "--bins", "30", "--json", "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["fitted"]) == {"m2", "lam"} and out["layers"] == 8
    assert out["continuum"]["layers"] == "continuum" and len(out["loss"]) >= 1
    back = frg.load(tmp_path / "o")
    assert back.summary["fitted"] == out["fitted"] and back["samples"].shape == (16000, 8, 8)


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--layers", "0"], "--layers"),
        (["--m2", "0.5"], "--samples"),
        (["--samples", "missing.npz", "--lattice", "1"], "lattice"),
    ],
)
def test_cli_learn_action_bad_input(argv, match, capsys):
    assert main(["learn-action", *argv, "--json"]) == 2
    assert match in json.loads(capsys.readouterr().out)["error"]


def test_bad_input():
    with pytest.raises(ValueError, match="samples"):
        frg.mean_field_histogram(np.zeros((100, 4, 5)))
    with pytest.raises(ValueError, match="lattice"):
        frg.fit_action(frg.mean_field_histogram(gaussian_samples(0.5, 400)), 2, 4)
    with pytest.raises(ValueError, match="couplings"):
        frg.constraint_potential((0.5,), 2, 8)
