"""O(∂⁴) derivative expansion (frg/_fixed_point/de4.py, _de4_flow.py): the flow.

Checks: (i) with W_a = W_b = W_c = 0 the flows of w and z are the O(∂²) ones of
``frg.de2`` (independent hand-derived code); (ii) the λ-series loops (subset recursion
over ordered partitions, hand-written vertex formula, series arithmetic) equal an
independent evaluation: vertices by nested ``jax.jvp`` of the ansatz Lagrangian with
plane waves, the propagator chain as the inverse of the fluctuation matrix on the
2^n − 1 momentum modes q + Σ_{i∈S} p_i, and the λ^n coefficient by a Cauchy integral
in complex λ; (iii) the projection onto W_b, W_c does not depend on the momentum
configurations; (iv) with the W's frozen the exponents are those of O(∂²), and the full
O(∂⁴) ones move towards the conformal-bootstrap values.
"""

from __future__ import annotations

import itertools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frg
from frg._compile import jit_with_options
from frg._fixed_point import _de4_flow as F
from frg._fixed_point._cheb import cheb_grid
from frg._fixed_point._de2_flow import de2_flow
from frg._flow.threshold import momentum_rule


def _functions(grid=10, length=0.3, with_w=True):
    x, dm, _ = cheb_grid(grid, length)
    rho = jnp.asarray(x)
    w = -0.2 + 1.5 * rho + 0.8 * rho**2 - 0.3 * jnp.sin(2 * rho)
    z = 1.0 + 0.1 * rho - 0.05 * rho**2 + 0.02 * jnp.cos(3 * rho)
    s = 1.0 if with_w else 0.0
    wa = s * (0.1 - 0.2 * rho + 0.3 * rho**2)
    wb = s * (0.05 + 0.4 * rho - 0.2 * jnp.sin(rho))
    wc = s * (-0.02 + 0.3 * rho - 0.5 * rho**2)
    X = jnp.stack([w, z, wa, wb, wc])
    return rho, jnp.asarray(dm), F.local_data(jnp.asarray(dm), X)


@pytest.mark.slow
def test_frozen_w_flow_is_the_de2_flow():
    """W's = 0: ∂_t w and ∂_t z equal the hand-derived O(∂²) flow pointwise."""
    reg, d, eta = frg.Wetterich(a=2.0), 3.0, 0.04

    @jax.jit  # one program for both flows (evaluated eagerly: ~200 small compiles)
    def flows(reg):
        rho, dm, D = _functions(with_w=False)
        rule = F.de4_rule(reg, d)
        sc = F.scaling(rho, D, d, eta)
        f_w = sc[0] + F.loop_w(rho, D, rule, eta)
        f_z = sc[1] + F.loop_series(jnp.sqrt(2 * rho), D, rule, eta, F._E1, (2,))[0]
        fw2, fz2 = de2_flow(rho, dm, momentum_rule(reg, d), d, D[0, :, 0], D[1, :, 0], eta)
        return f_w, f_z, fw2, fz2

    f_w, f_z, fw2, fz2 = flows(reg)
    np.testing.assert_allclose(f_w, fw2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(f_z, fz2, rtol=0, atol=1e-12)
    assert float(jnp.max(jnp.abs(fz2))) > 1e-2  # a non-trivial comparison


# ------------------------------------------------------------------ independent evaluation
def _lagrangian(Dn, rho0):
    """The ansatz density L(φ, ∂φ, ∂∂φ) with U, Z, W's from their ρ-Taylor data at ρ₀."""

    def taylor(fj, phi):
        x = phi**2 / 2 - rho0
        return sum(fj[j] * x**j / math.factorial(j) for j in range(len(fj)))

    def lag(phi, v, T):
        vv = v @ v
        U = taylor([0.0] + list(Dn[0, :-1]), phi)
        return (
            U
            + 0.5 * taylor(Dn[1], phi) * vv
            + 0.5 * taylor(Dn[2], phi) * jnp.sum(T * T)
            + 0.5 * phi * taylor(Dn[3], phi) * jnp.trace(T) * vv
            + 0.5 * taylor(Dn[4], phi) * vv**2
        )

    return lag


def _vertex(lag, phi0, legs):
    """Γ^(n)(k₁…k_n): ∂^n/∂ε₁…∂ε_n of L(φ₀ + Σε, i Σ ε k, −Σ ε k kᵀ) at ε = 0."""
    n = len(legs)

    def f(eps):
        v = sum(eps[j] * 1j * legs[j] for j in range(n))
        T = -sum(eps[j] * jnp.outer(legs[j], legs[j]) for j in range(n))
        return lag(phi0 + jnp.sum(eps), v, T)

    return _multilinear(f, n)


def _multilinear(f, n):
    """∂^n f/∂e₁…∂e_n at e = 0 by nested forward-mode derivatives."""

    def deriv(g, j):
        t = jnp.eye(n, dtype=complex)[j]
        return lambda e: jax.jvp(g, (e,), (t,))[1]

    for j in range(n):
        f = deriv(f, j)
    return f(jnp.zeros(n, dtype=complex))


def _chain_sum_independent(lag, phi0, g, q, P, lam):
    """Multilinear ε-coefficient of [(Γ⁽²⁾[φ₀ + Σ ε_i e^{i p_i x}] + R)^{-1}]_{qq}, p_i = λP_i."""
    n = len(P)
    full = (1 << n) - 1
    p = [lam * jnp.asarray(Pi, dtype=complex) for Pi in P]

    def mom(S):
        return q + sum((p[i] for i in range(n) if S >> i & 1), jnp.zeros(3, dtype=complex))

    states = list(range(full))  # the full set is the same mode as the empty one
    m0 = jnp.diag(
        jnp.stack([_vertex(lag, phi0, [mom(S), -mom(S)]) + g(mom(S) @ mom(S)) for S in states])
    )
    trans = []
    for S in states:
        free = [i for i in range(n) if not S >> i & 1]
        for r in range(1, len(free) + 1):
            for B in itertools.combinations(free, r):
                S2 = S | sum(1 << i for i in B)
                v = _vertex(lag, phi0, [mom(S), -mom(S2)] + [p[i] for i in B])
                trans.append((S2 % full, S, B, v))

    def h(eps):
        M = m0
        for S2, S1, B, v in trans:
            M = M.at[S2, S1].add(jnp.prod(eps[jnp.asarray(B)]) * v)
        return jnp.linalg.inv(M)[0, 0]

    return _multilinear(h, n)


def _cauchy(fn, orders, r=0.1, n=24):
    """λ^k coefficients of fn from n points on the circle |λ| = r (fn vectorised by vmap).

    One compiled program: evaluated eagerly, the nested forward derivatives of the
    independent evaluation dispatch (and compile) every operation separately. Compiled
    with frg's XLA:CPU options (frg/_compile.py): 16 s instead of 36 s on a 2-core CPU."""
    lam = r * np.exp(2j * np.pi * np.arange(n) / n)
    vals = np.asarray(jit_with_options(jax.jit, jax.vmap(fn))(jnp.asarray(lam)))
    return [np.mean(vals * lam ** (-k)) for k in orders]


def _few_nodes(rule, ys):
    idx = np.array([int(np.argmin(np.abs(np.asarray(rule.y) - y))) for y in ys])
    return eqx.tree_at(lambda r: (r.y, r.w, r.g), rule, (rule.y[idx], rule.w[idx], rule.g[:, idx]))


@pytest.mark.parametrize(
    "config, orders",
    [
        pytest.param(F._E1, (0, 2, 4), marks=pytest.mark.slow),
        pytest.param(F.CONFIG3, (2, 4), marks=pytest.mark.validation),
        pytest.param(F.CONFIG4, (4,), marks=pytest.mark.validation),
    ],
    ids=["2-point", "3-point", "4-point"],
)
def test_loops_equal_matrix_inverse_evaluation(config, orders):
    """The λ-series chain sum equals the independent evaluation at one (node, q) point."""
    reg, d = frg.Exponential(a=1.0), 3.0
    rho, _, D = _functions(grid=6)
    rule = F.de4_rule(reg, d)
    rule = _few_nodes(rule, [0.7])
    two = any(Pi[1] != 0.0 for Pi in config)
    node, idir = 3, 1
    phi = jnp.sqrt(2 * rho)
    raw = F.loop_series(phi, D, rule, 0.0, config, orders, raw=True, two=two)
    if two:
        a1, a2, _ = rule.plane(F._axis(config))
        c1, c2 = float(a1[idir]), float(a2[idir])
    else:
        c1, c2 = float(rule.c1[idir]), 0.0
    y = float(rule.y[0])
    q = math.sqrt(y) * jnp.asarray([c1, c2, math.sqrt(1 - c1**2 - c2**2)], dtype=complex)
    P = [(Pi[0], Pi[1], 0.0) for Pi in config]
    lag = _lagrangian(np.asarray(D[:, node]), float(rho[node]))
    phi0 = float(phi[node])
    fn = lambda lam: _chain_sum_independent(lag, phi0, reg.g, q, P, lam)  # noqa: E731
    ref = _cauchy(fn, orders)
    for k in range(len(orders)):
        got = float(raw[k, node, 0, idir])
        assert abs(ref[k].imag) < 1e-9 * max(1.0, abs(ref[k]))
        np.testing.assert_allclose(got, ref[k].real, rtol=1e-8, atol=1e-12)


@pytest.mark.validation
def test_projection_does_not_depend_on_the_configuration():
    """Other 3- and 4-point configurations (the latter with a ∂_φB term) give the same
    W_b and W_c flows: the O(p⁴) loops are those of a local functional."""
    reg, d, eta = frg.Wetterich(a=2.0), 3.0, 0.03
    rho, _, D = _functions(grid=4)
    rule = _few_nodes(F.de4_rule(reg, d), [0.2, 1.0, 2.5])  # holds shell by shell in q
    c3 = ((1.0, 0.0), (0.3, 0.8), (-1.3, -0.8))
    c4 = ((1.0, 0.0), (-0.4, 0.9), (0.2, -0.5), (-0.8, -0.4))
    assert abs(F._coeffs(c4)[1]) > 0.1  # the ∂_φB term is present
    ref = F.loops(rho, D, rule, eta)
    alt = F.loops(rho, D, rule, eta, c3, c4)
    np.testing.assert_allclose(alt, ref, rtol=1e-9, atol=1e-13)
    assert float(jnp.min(jnp.max(jnp.abs(ref[3:]), axis=1))) > 1e-6


@pytest.mark.validation  # ~200 s on the loaded 2-core CPU
def test_custom_jvp_is_the_forward_derivative():
    """The node-local JVP of the loops (complex-step derivatives in 23 local directions,
    contracted) equals plain forward-mode differentiation of the same loops, for
    tangents in the functions, η and ρ̃ (a small rule: 3 radial nodes, 4 grid nodes;
    tangents of the rule itself go through plain forward mode)."""
    from frg._fixed_point.de4 import _node_loops

    rho, _, D = _functions(grid=3, length=0.3)
    rule = _few_nodes(F.de4_rule(frg.Wetterich(a=2.0), 3.0), [0.2, 1.0, 2.5])
    key = jax.random.PRNGKey(0)
    tD = jax.random.normal(key, D.shape)
    trho = jnp.asarray([0.0, 0.3, -0.2, 0.5])
    args = (rho, D, rule, jnp.asarray(0.04))
    tans = (trho, tD, jax.tree_util.tree_map(jnp.zeros_like, rule), jnp.asarray(0.7))
    val, got = jax.jvp(_node_loops, args, tans)
    val_ref, ref = jax.jvp(F.loops, args, tans)
    np.testing.assert_allclose(val, val_ref, rtol=1e-13, atol=1e-15)
    assert float(jnp.max(jnp.abs(ref))) > 1e-3
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-13)


def _sphere_moment(a, b, d):
    """⟨(q̂·e₁)^a (q̂·e₂)^b⟩ over the unit sphere in d dimensions (closed form)."""
    if a % 2 or b % 2:
        return 0.0
    g = math.gamma
    return g((a + 1) / 2) * g((b + 1) / 2) * g(d / 2) / (math.pi * g((d + a + b) / 2))


@pytest.mark.parametrize("d", [2.1, 3.0, 3.9])
def test_direction_rules_are_exact_to_degree_four(d):
    """The two-direction rule (2 radial × 5 angles) integrates every monomial
    (q̂·e₁)^a (q̂·e₂)^b, a + b ≤ 4, exactly; the 3-angle rule about an axis α does so for
    the monomials made even under the reflection about α (the loops of a configuration
    with that symmetry, :func:`_axis`), and not for the others."""
    rule = F.de4_rule(frg.Exponential(a=1.0), d)
    x1, x2, w = (np.asarray(v) for v in rule.plane())
    assert x1.shape == (10,)
    c1, wd1 = np.asarray(rule.c1), np.asarray(rule.wd1)
    for a, b in itertools.product(range(5), repeat=2):
        if a + b > 4:
            continue
        exact = _sphere_moment(a, b, d)
        assert abs(np.sum(w * x1**a * x2**b) - exact) < 1e-14
        if b == 0:
            assert abs(np.sum(wd1 * c1**a) - exact) < 1e-14
    assert F._axis(F.CONFIG4) == 0.0 and abs(F._axis(F.CONFIG3) % np.pi - 0.25 * np.pi) < 1e-14
    assert F._axis(((1.0, 0.0), (0.3, 0.8), (-1.3, -0.8))) is None
    for alpha in (0.0, 0.25 * np.pi, 1.0):
        x1, x2, w = (np.asarray(v) for v in rule.plane(alpha))
        u = np.array([np.cos(alpha), np.sin(alpha)])
        r1, r2 = 2.0 * (x1 * u[0] + x2 * u[1])[None] * u[:, None] - np.stack([x1, x2])
        worst = 0.0
        for a, b in itertools.product(range(5), repeat=2):
            if a + b > 4:
                continue
            even = 0.5 * (x1**a * x2**b + r1**a * r2**b)
            assert abs(np.sum(w * even) - _sphere_moment(a, b, d)) < 1e-14
            worst = max(worst, abs(np.sum(w * x1**a * x2**b) - _sphere_moment(a, b, d)))
        assert worst > 1e-2  # the odd parts are not integrated: the symmetry is needed


def test_exponential_rule_range_changes_no_integral():
    """frg.Exponential's radial rule keeps y in (1e-14, 1e3) (94 nodes, not 117): the
    integrals the loops are made of, ∫ y^m ∂̃R Gⁿ (m ≤ 4, n ≤ 5, masses from −0.5 to 2,
    2 < d < 4), equal those of the full (1e-30, 1e6) rule of the same shape (the same
    g = e^{−y} as a CustomShape) to 1e-14 relative."""
    for d in (2.1, 3.0, 3.9):
        short = F.de4_rule(frg.Exponential(a=1.0), d)
        full = F.de4_rule(frg.CustomShape(lambda y: jnp.exp(-y) / y), d)
        assert short.y.shape == (94,) and full.y.shape == (117,)
        for m, n, mass in itertools.product(range(5), range(1, 6), (-0.5, 0.0, 2.0)):

            def integral(r, m=m, n=n, mass=mass):
                dtr = 2.0 * (r.g[0] - r.y * r.g[1])
                return jnp.sum(r.w * r.y**m * dtr / (r.y + r.g[0] + mass) ** n)

            a, b = float(integral(short)), float(integral(full))
            assert abs(a - b) <= 1e-14 * abs(b), (d, m, n, mass, a, b)


def test_bad_input_is_refused_before_compiling():
    reg = frg.Wetterich(a=2.0)
    with pytest.raises(ValueError, match="d"):
        frg.critical_exponents(reg, d=4.5, truncation=frg.DE4())
    with pytest.raises(ValueError, match="grid"):
        frg.DE4(grid=3)
    with pytest.raises(ValueError, match="smooth"):
        frg.critical_exponents(frg.Litim(), truncation=frg.DE4())
    with pytest.raises(ValueError, match="N must be 1"):
        frg.critical_exponents(reg, N=2.0, truncation=frg.DE4())


#: grid of the engine tests below (one compilation shared by the frozen and full runs)
_GRID = 12


@pytest.mark.validation  # compiles for minutes (docs/de4.md, "Cost")
def test_frozen_w_is_de2_and_de4_approaches_the_bootstrap():
    """W's frozen at 0: ν, η of frg.DE2 to 1e-8, ω to 1e-5. Full O(∂⁴):
    closer to the conformal bootstrap than O(∂²) (ν = 0.629971, η = 0.0362978: Kos,
    Poland, Simmons-Duffin, Vichi, JHEP 08 (2016) 036), within the error bar of Balog
    et al., PRL 123, 240604 (2019): half the change between successive orders."""
    reg = frg.Wetterich(a=2.0)
    # frg.DE2 on its default grid (large-field boundary row): ν, η converged to 1e-9, ω to
    # ~1e-6 (docs/de2.md); the O(∂⁴) truncation has no boundary row (short ρ̃ interval)
    ex2 = frg.critical_exponents(reg, N=1, d=3.0, truncation=frg.DE2())
    fr = frg.critical_exponents(reg, N=1, d=3.0, truncation=frg.DE4(grid=_GRID, frozen=True))
    assert fr.result == frg.RESULTS.successful
    for a, b, tol in [(fr.nu, ex2.nu, 1e-8), (fr.eta, ex2.eta, 1e-8), (fr.omega, ex2.omega, 1e-5)]:
        assert abs(float(a) - float(b)) < tol
    ex4 = frg.critical_exponents(reg, N=1, d=3.0, truncation=frg.DE4(grid=_GRID))
    assert ex4.result == frg.RESULTS.successful
    for x2, x4, boot in [(ex2.nu, ex4.nu, 0.629971), (ex2.eta, ex4.eta, 0.0362978)]:
        x2, x4 = float(x2), float(x4)
        assert abs(x4 - boot) < abs(x2 - boot)
        assert abs(x4 - boot) < 0.5 * abs(x4 - x2)


@pytest.mark.validation
def test_near_four_dimensions():
    """d = 3.9 (ε = 0.1): η → 0 and ν → 1/2 as in the ε-expansion, η = ε²/54 + O(ε³),
    1/ν = 2 − ε/3 − 19ε²/162 + O(ε³) (ν = 0.50878), ω = ε + O(ε²). Same grid and
    regulator as the test above: no new compilation (d is traced)."""
    tr = frg.DE4(grid=_GRID)
    ex = frg.critical_exponents(frg.Wetterich(a=2.0), N=1, d=3.9, truncation=tr)
    assert ex.result == frg.RESULTS.successful
    eps = 0.1
    assert 0.0 < float(ex.eta) < 1.5 * eps**2 / 54
    assert abs(float(ex.nu) - 1.0 / (2.0 - eps / 3 - 19 * eps**2 / 162)) < 2e-4
    assert abs(float(ex.omega) - eps) < 0.1 * eps
