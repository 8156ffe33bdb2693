"""Lattice LPA reference, the CDBN stack and the comparison.

Small lattices (2D 16²) and one background grid (61 points on [−3, 3]) are shared so
that every compiled function is reused across tests.
"""

import json

import jax.numpy as jnp
import numpy as np
import pytest

import frg
from frg.cli import main

D, SIZE, LAM, KIR = 2, 16, 3.0, 3e-3
V_INT = lambda x: 0.25 * x**2 + x**4 / 8  # design-note prototype potential
V_GAUSS = lambda x: 0.25 * x**2


@pytest.fixture(scope="module")
def momenta():
    return frg.lattice_momenta(D, SIZE)


def exact_gaussian(reg, momenta, grid, m2=0.5):
    q = momenta.q
    one = 0.5 * momenta.mean(jnp.log((q + reg(q, KIR) + m2) / (q + reg(q, LAM) + m2)))
    return V_GAUSS(grid.phi) + one


def test_lattice_momenta_weights():
    m = frg.lattice_momenta(2, 8)
    p2 = frg.lattice_p2(2, 8)
    assert np.isclose(float(jnp.sum(m.w)), 1.0)
    f = lambda x: 1.0 / (1.0 + x) ** 2
    assert np.isclose(float(m.mean(f(m.q))), np.mean(f(p2)), rtol=1e-14)
    assert frg.lattice_momenta(2, 64).q.shape[0] < 600  # cheap sums


@pytest.mark.parametrize(
    "d,size,reg,tol",
    [
        (1, 4096, frg.Wetterich(), 2e-3),
        (2, 256, frg.Wetterich(), 3e-3),
        (3, 64, frg.Wetterich(), 5e-3),
        (1, 4096, frg.Litim(), 1e-2),
    ],
)
def test_lattice_threshold_continuum_limit(d, size, reg, tol):
    """L → ∞, k → 0: lattice sum → continuum threshold integral (artefacts O(k²))."""
    m = frg.lattice_momenta(d, size)
    w = jnp.array([0.0, 0.5, 2.0])
    lat = frg.lattice_threshold(reg, m, w, 0.1)
    cont = frg.threshold(reg, d, w)
    assert np.max(np.abs(np.asarray(lat / cont - 1))) < tol


@pytest.mark.parametrize(
    "reg",
    [frg.Litim(), pytest.param(frg.Wetterich(), marks=pytest.mark.slow)],
    ids=["litim", "wetterich"],
)
def test_gaussian_exact(reg, momenta):
    """Quadratic V: reference and every L, both layer types, exact (shells telescope)."""
    grid = frg.background_grid(V_GAUSS)
    exact = exact_gaussian(reg, momenta, grid)
    ref = frg.lattice_lpa(V_GAUSS, reg, D, SIZE, LAM, KIR, grid=grid, momenta=momenta)
    assert ref.result == frg.RESULTS.successful
    assert np.max(np.abs(np.asarray(ref.U - exact))) < 1e-10  # adaptive solver tolerance
    for lt in frg.LAYER_TYPES:
        for L in (1, 3, 8):
            r = frg.cdbn_potential(
                V_GAUSS, reg, D, SIZE, Lambda=LAM, k_ir=KIR, layers=L,
                layer_type=lt, grid=grid, momenta=momenta, capacity=8,
            )  # fmt: skip
            assert r.result == frg.RESULTS.successful
            assert np.max(np.abs(np.asarray(r.U - exact))) < 1e-12, (lt, L)


def test_explicit_one_layer_is_one_loop(momenta):
    grid = frg.background_grid(V_INT)
    r = frg.cdbn_potential(
        V_INT, frg.Litim(), D, SIZE, [LAM, KIR], layer_type="explicit",
        grid=grid, momenta=momenta,
    )  # fmt: skip
    V = V_INT(grid.phi)
    # with the grid's V'' (central differences): identical to round-off
    one = frg.one_loop_potential(V, grid.curvature(V), frg.Litim(), momenta, LAM, KIR)
    assert np.max(np.abs(np.asarray(r.U - one))) < 1e-12
    # with the analytic V'' = 0.5 + 1.5 φ²: equal up to the O(h²) stencil error inside
    exact = frg.one_loop_potential(V, 0.5 + 1.5 * grid.phi**2, frg.Litim(), momenta, LAM, KIR)
    assert np.max(np.abs(np.asarray(r.U - exact))[1:-1]) < 5e-4


@pytest.fixture(scope="module")
def comparisons():
    out = {}
    for lt in frg.LAYER_TYPES:
        out[lt] = frg.compare_cascade(
            V_INT, frg.Litim(), D, SIZE, [16, 32, 64, 128], Lambda=LAM, k_ir=KIR, layer_type=lt
        )
    return out


@pytest.mark.parametrize("lt", frg.LAYER_TYPES)
def test_interacting_first_order(comparisons, lt):
    """Error → 0 as L grows, slope −1 ± 0.15; read-outs converge to the reference."""
    cmp = comparisons[lt]
    d = cmp.to_dict()
    assert d["status"] == "success"
    e = np.asarray(d["sup_error"])
    assert np.all(np.diff(e) < 0)
    assert abs(d["slope"] + 1.0) < 0.15, d["slope"]
    assert abs(d["mass2"][-1] - d["continuum"]["mass2"]) < abs(
        d["mass2"][0] - d["continuum"]["mass2"]
    )


def test_explicit_instability_reported():
    """241-point grid: explicit stack blows up at L = 32 (reported, finite), not at L = 4;
    the self-consistent stack is stable."""
    grid = frg.background_grid(V_INT, 3.0, 241)
    kw = dict(Lambda=LAM, k_ir=KIR, layers=32, grid=grid, capacity=32)
    r = frg.cdbn_potential(V_INT, frg.Litim(), D, SIZE, layer_type="explicit", **kw, throw=False)
    rep = r.report()
    assert rep["result"] == "explicit_unstable"
    with pytest.raises(Exception, match="explicit stack unstable"):
        frg.cdbn_potential(V_INT, frg.Litim(), D, SIZE, layer_type="explicit", **kw)
    assert 0 <= rep["unstable"]["layer"] < 32 and abs(rep["unstable"]["phi"]) <= 3.0
    assert np.all(np.isfinite(np.asarray(r.U)))
    few = dict(kw, layers=4)  # very few layers: too few amplifying steps, clean
    assert (
        frg.cdbn_potential(V_INT, frg.Litim(), D, SIZE, layer_type="explicit", **few).report()[
            "result"
        ]
        == "successful"
    )
    s = frg.cdbn_potential(V_INT, frg.Litim(), D, SIZE, layer_type="self-consistent", **kw)
    assert s.report()["result"] == "successful"
    assert np.max(np.abs(np.diff(np.asarray(s.U), 4))) < 1e-4  # smooth


def test_nonnormalisable_layer_reported(momenta):
    """V'' = −1 near φ̄ = 0: the single RBM (L = 1) is not normalisable there."""
    V = lambda x: -0.5 * x**2 + x**4 / 8
    grid = frg.background_grid(V)
    r = frg.cdbn_potential(
        V, frg.Litim(), D, SIZE, [LAM, KIR], layer_type="explicit", grid=grid, momenta=momenta,
        throw=False,
    )  # fmt: skip
    rep = r.report()
    assert rep["result"] == "non_normalisable" and rep["message"].startswith("non-normalisable")
    assert rep["nonnormalisable_layers"][0]["layer"] == 0
    assert abs(rep["nonnormalisable_layers"][0]["phi"]) < 0.5
    assert np.all(np.isfinite(np.asarray(r.U)))


def test_cli_json(capsys):
    rc = main(
        ["cascade", "--d", "2", "--lattice", "16", "--m2", "0.5", "--lam", "3",
         "--layers", "16,128", "--json"]
    )  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["layers"] == [16, 128] and len(out["sup_error"]) == 2
    assert out["sup_error"][1] < out["sup_error"][0] and out["slope"] < 0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: frg.lattice_momenta(2, 1), "lattice"),
        (lambda: frg.lattice_momenta(4, 8), "d"),
        (lambda: frg.scale_schedule(3.0, 0.1, 0), "layers"),
        (lambda: frg.cdbn_potential(V_INT, frg.Litim(), 2, 8, [1.0, 2.0]), "ks"),
        (lambda: frg.compare_cascade(V_INT, frg.Litim(), 2, 8, [0]), "layers"),
        (lambda: frg.compare_cascade(V_INT, frg.Litim(), 2, 1, [4]), "lattice"),
        (
            lambda: frg.cdbn_potential(
                V_INT, frg.PowerLaw(n=2.0), 2, 8, [1.0, 0.5], momenta=frg.lattice_momenta(2, 8)
            ),
            "g\\(0\\)",
        ),
        (
            lambda: frg.cdbn_potential(
                V_INT, frg.Litim(), 2, 8, [1.0, 0.5], momenta=frg.lattice_momenta(2, 4)
            ),
            "momenta",
        ),
        (
            lambda: frg.cdbn_potential(V_INT, frg.Litim(), 2, 8, [1.0, 0.5], layer_type="x"),
            "layer_type",
        ),
        (lambda: frg.spectrum_chi2(np.zeros((3, 4, 4)), np.ones((5, 5))), "samples"),
        (lambda: frg.spectrum_chi2(np.zeros((3, 4)), np.ones(4)), "n_bands"),  # one level
        (lambda: frg.spectrum_chi2(np.zeros((3, 4)), np.zeros(4)), "target"),
        (lambda: frg.rbm_layer((8, 8), 0.5, 1.0, frg.Litim()), "kp"),
        (lambda: frg.rbm_stack((8, 8), [1.0, 0.5, 0.2], frg.Litim(), [0.1, 0.2, 0.3]), "curvature"),
        (lambda: frg.train_layer(np.zeros((4, 8, 8)), np.ones((6, 6)), None), "samples"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--lattice", "1"], "lattice must"),
        (["--phi-max", "-1"], "phi_max must lie in (0.0, inf]"),
        (["--d", "3", "--lattice", "100000"], "lattice: the 100000^3 lattice momenta needs"),
    ],
)
def test_cli_bad_input(argv, match, capsys):
    assert main(["cascade", *argv, "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "error" and match in out["error"]


@pytest.mark.slow
def test_power_law_regulator_runs_with_zero_mode_as_background():
    """The seed's R = (k/p)^{2n}, n = 2: the stack converges at first order to its lattice
    LPA (zero mode excluded), and its Gaussian theory is exact."""
    cmp = frg.compare_cascade(V_INT, frg.PowerLaw(2.0), D, SIZE, [8, 16, 32])
    d = cmp.to_dict()
    assert d["status"] == "success"
    assert np.all(np.diff(d["sup_error"]) < 0) and abs(d["slope"] + 1) < 0.15
    m = frg.lattice_momenta(D, SIZE, zero_mode=False)
    reg = frg.PowerLaw(2.0)
    r = frg.cdbn_potential(V_GAUSS, reg, D, SIZE, Lambda=LAM, k_ir=KIR, layers=4, momenta=m)
    q = m.q
    one = 0.5 * m.mean(jnp.log((q + reg(q, KIR) + 0.5) / (q + reg(q, LAM) + 0.5)))
    assert np.max(np.abs(np.asarray(r.U - V_GAUSS(r.phi) - one))) < 1e-12
    # kernels of eq. 24: zero-mean (no zero-mode shell), finite
    w, widths, _ = frg.layer_kernel_widths(D, SIZE, frg.scale_schedule(3.0, 0.3, 4), reg)
    assert np.all(np.isfinite(np.asarray(w))) and np.max(np.abs(np.asarray(w).sum((1, 2)))) < 1e-12


@pytest.mark.slow
def test_sweep_cascade_matches_compare_and_resumes(tmp_path, capsys):
    """`frg sweep cascade` (jit(vmap) over m2) = `compare_cascade` point by point."""
    argv = ["sweep", "cascade", "--d", "2", "--lattice", "8", "--layers", "16", "--lam", "3"]
    argv += ["--param", "m2=-0.3,0.5", "--out", str(tmp_path), "--chunk-size", "2", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["completed"] == 2 and out["failed"] == 0
    for rec in out["results"]:
        m2 = rec["m2"]
        V = lambda x, m2=m2: 0.5 * m2 * x**2 + 3.0 / 24.0 * x**4
        ref = frg.compare_cascade(V, frg.Litim(), 2, 8, [16]).to_dict()
        got = [rec["sup_error"], rec["mass2"], rec["continuum_mass2"], rec["phi_min"]]
        want = [ref["sup_error"][0], ref["mass2"][0], ref["continuum"]["mass2"]]
        np.testing.assert_allclose(got[:3], want, rtol=1e-9)
        assert abs(got[3] - ref["phi_min"][0]) < 1e-12
    assert out["results"][0]["mass2"] < out["results"][1]["mass2"]
    assert main([*argv, "--resume"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["computed_chunks"] == [] and again["results"] == out["results"]


def test_sweep_cascade_needs_one_layer_count(tmp_path, capsys):
    argv = ["sweep", "cascade", "--layers", "4,8", "--param", "m2=0.1,0.2"]
    assert main([*argv, "--out", str(tmp_path), "--json"]) == 2
    assert "one layer count" in json.loads(capsys.readouterr().out)["error"]
