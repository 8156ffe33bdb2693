"""Regulators and threshold functions: every registered regulator must pass these."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import beta, gamma

import frg

# The registry every new regulator must join (with a d it regulates).
ALL_REGULATORS = [
    (frg.Litim(), 3.0),
    (frg.Exponential(), 3.0),
    (frg.Exponential(a=2.0), 3.0),
    (frg.Wetterich(), 3.0),
    (frg.Wetterich(a=2.0, b=1.0), 3.0),
    (frg.Wetterich(a=1.0, b=2.0), 3.0),
    (frg.PowerLaw(n=2.0), 3.0),
    (frg.PowerLaw(n=3.0), 2.0),
    (frg.Mass(), 1.0),
    (frg.CustomShape(lambda y: jnp.exp(-(y**2)) / y), 3.0),
]
IDS = [f"{type(r).__name__}-{i}" for i, (r, _) in enumerate(ALL_REGULATORS)]

# R_k(p) of each entry above, as published (NumPy, independent of the classes)
_R_REFERENCE = dict(
    zip(
        IDS,
        [
            lambda p2, k, Z: Z * max(k**2 - p2, 0.0),  # Litim, PRD 64, 105007
            lambda p2, k, Z: Z * k**2 * np.exp(-p2 / k**2),  # Balog et al. 2019
            lambda p2, k, Z: 2.0 * Z * k**2 * np.exp(-p2 / k**2),
            lambda p2, k, Z: Z * p2 / np.expm1(p2 / k**2),  # Wetterich 1993
            lambda p2, k, Z: 2.0 * Z * p2 / np.expm1(p2 / k**2),
            lambda p2, k, Z: Z * p2 / np.expm1((p2 / k**2) ** 2),
            lambda p2, k, Z: Z * k**4 / p2,  # Morris 1994, n = 2: Z k^{2n} p^{2-2n}
            lambda p2, k, Z: Z * k**6 / p2**2,
            lambda p2, k, Z: Z * k**2,  # Callan-Symanzik
            lambda p2, k, Z: Z * p2 * np.exp(-((p2 / k**2) ** 2)) / (p2 / k**2),
        ],
        strict=True,
    )
)


def _vd(d):
    return 1.0 / (2 ** (d + 1) * np.pi ** (d / 2) * gamma(d / 2))


@pytest.mark.parametrize("reg,d", ALL_REGULATORS, ids=IDS)
def test_regulator_contract(reg, d):
    reg.check(d)  # valid in its dimension
    y = jnp.linspace(0.05, 5.0, 50)
    g = reg.g(y)
    assert np.all(np.asarray(g) >= 0)
    assert np.all(np.diff(np.asarray(g)) <= 1e-15)  # non-increasing
    # R_k(p) against the regulator's formula from the literature, written out here
    p2, k, Z = 0.7, 1.3, 2.0
    np.testing.assert_allclose(
        reg(p2, k, Z), _R_REFERENCE[IDS[ALL_REGULATORS.index((reg, d))]](p2, k, Z), rtol=1e-14
    )


@pytest.mark.parametrize("reg,d", ALL_REGULATORS, ids=IDS)
def test_dt_R_autodiff_matches_finite_difference(reg, d):
    # ∂_t R = k ∂_k R at fixed p; central difference in ln k.
    p2, k, h = 0.6, 1.1, 1e-5
    fd = (reg(p2, k * np.exp(h)) - reg(p2, k * np.exp(-h))) / (2 * h)
    np.testing.assert_allclose(reg.dt(p2, k), fd, rtol=1e-8)


@pytest.mark.parametrize("reg,d", ALL_REGULATORS, ids=IDS)
def test_threshold_quadrature_matches_scipy(reg, d):
    rule = frg.threshold_rule(reg, d)
    g_and_dtg = jax.jit(lambda y: (reg.g(y), reg.dt_g(y)))

    def integrand(y, w, n):
        g, dtg = (float(v) for v in g_and_dtg(y))
        return 2 * _vd(d) * y ** (d / 2 - 1) * dtg / (y + g + w) ** n

    for w in (-0.2, 0.0, 1.5):
        for n in (1, 2):
            ref = sum(
                quad(integrand, a, b, args=(w, n), limit=400, epsabs=0, epsrel=1e-12)[0]
                for a, b in ((0, 1), (1, np.inf))
            )
            np.testing.assert_allclose(rule(w, n), ref, rtol=1e-9)


@pytest.mark.parametrize("d", [0.5, 1.0, 2.0, 2.5, 3.0, 3.7, 4.0])
def test_litim_quadrature_matches_closed_form(d):
    # ℓ_n^d(w) = (4 v_d / d)/(1 + w)^n for the Litim regulator (Litim, PRD 64, 105007).
    rule = frg.threshold_rule(frg.Litim(), d, exact=False)
    w = jnp.array([-0.95, -0.5, 0.0, 0.3, 2.0, 40.0])
    for n in (1, 2, 3):
        np.testing.assert_allclose(rule(w, n), frg.litim_threshold(d, w, n), rtol=1e-10)


@pytest.mark.parametrize("d", [0.5, 1.0, 1.5])
def test_quadrature_at_double_precision_against_closed_forms(d):
    # The quadrature's accuracy claim (≈1e-15): closed forms with the two kinds of rule.
    # exp–sinh on [0, ∞): mass regulator, ℓ_n = 2 v_d (1 + w)^{d/2−n} B(d/2, n − d/2)
    # (endpoint singularity y^{d/2−1}, algebraic tail); tanh–sinh on [0, 1]: Litim.
    w = np.array([-0.5, -0.2, 0.0, 0.3, 1.5, 40.0])
    mass = frg.threshold_rule(frg.Mass(), d)
    litim = frg.threshold_rule(frg.Litim(), d, exact=False)
    for n in (1, 2, 3):
        exact = 2 * _vd(d) * (1 + w) ** (d / 2 - n) * beta(d / 2, n - d / 2)
        np.testing.assert_allclose(mass(jnp.asarray(w), n), exact, rtol=4e-15, atol=0)
        exact = 4 * _vd(d) / d / (1 + w) ** n
        np.testing.assert_allclose(litim(jnp.asarray(w), n), exact, rtol=4e-15, atol=0)
    # power law n = 2, d = 3: ℓ_1(0) = 4 v_3 ∫ y^{1/2}/(1 + y²) dy = 4 v_3 π/√2
    pw = frg.threshold_rule(frg.PowerLaw(2.0), 3.0)
    assert float(pw(0.0)) == pytest.approx(4 * _vd(3.0) * np.pi / np.sqrt(2), rel=4e-15)


def test_closed_forms_are_regulator_methods():
    # Litim's one-node rules equal its quadrature; the others have none
    for make in (frg.threshold_rule, frg.eta_rule):
        exact, quad_ = make(frg.Litim(), 3.0), make(frg.Litim(), 3.0, exact=False)
        np.testing.assert_allclose(exact(0.7, 2), quad_(0.7, 2), rtol=1e-13)
    assert frg.Wetterich().threshold_closed_form() is None
    assert float(frg.m22(frg.Litim(), 3.0)(1.0, 0.3)) == pytest.approx(0.25, rel=1e-15)


def test_litim_d3_prefactor():
    # conventions.md: in d = 3, 4 v_3/3 = 1/(6π²)
    np.testing.assert_allclose(frg.litim_threshold(3.0, 0.0), 1 / (6 * np.pi**2), rtol=1e-15)


def test_threshold_traceable_in_d_and_regulator_parameter():
    # vmap over d agrees with a loop; grad w.r.t. the exponential prefactor matches FD.
    ds = jnp.array([2.2, 3.0, 3.8])
    batched = jax.vmap(lambda d: frg.threshold_rule(frg.Wetterich(), d)(0.1))(ds)
    looped = [frg.threshold_rule(frg.Wetterich(), float(d))(0.1) for d in ds]
    np.testing.assert_allclose(batched, looped, rtol=1e-14)

    f = lambda a: frg.threshold_rule(frg.Wetterich(a=a), 3.0)(0.2, 2)
    h = 1e-6
    np.testing.assert_allclose(jax.grad(f)(1.3), (f(1.3 + h) - f(1.3 - h)) / (2 * h), rtol=1e-7)


@pytest.mark.parametrize(
    "reg,d,match",
    [
        (frg.Mass(), 3.0, "p > d/2"),
        (frg.PowerLaw(n=1.0), 2.0, "p > d/2"),
        (frg.CustomShape(lambda y: 1.0 / (1.0 + 0.0 * y)), 1.0, "vanish at large y"),
        (frg.CustomShape(lambda y: -jnp.exp(-y) / y), 3.0, ">= 0"),
    ],
)
def test_bad_regulators_are_refused(reg, d, match):
    with pytest.raises(ValueError, match=match):
        reg.check(d)


def test_make_regulator_by_name():
    assert isinstance(frg.make_regulator("litim"), frg.Litim)
    assert float(frg.make_regulator("wetterich", a=2.0).a) == 2.0
    with pytest.raises(ValueError, match="regulator must be one of"):
        frg.make_regulator("nope")


def _verdict(check, d):
    try:
        check(d)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    "reg",
    [frg.Litim()]
    + [frg.Wetterich(a=a, b=b) for a in (-1.0, 0.5, 2.0) for b in (-1.0, 0.5, 1.0, 2.0)]
    + [frg.PowerLaw(n=n) for n in (0.5, 1.0, 1.4, 1.6, 2.0, 3.0)]
    + [frg.Mass()],
    ids=repr,
)
@pytest.mark.parametrize("d", [1.0, 1.9, 2.5, 3.0, 4.0])
def test_closed_form_checks_agree_with_the_sampled_check(reg, d):
    # Built-ins override ``check`` with their closed-form validity domain (no compiled
    # call per solve); the contract's sampled check must reach the same verdict.
    assert _verdict(reg.check, d) == _verdict(lambda dd: frg.AbstractRegulator.check(reg, dd), d)
