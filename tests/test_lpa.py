"""LPA flow of the O(N) model (frg.solve_flow): physics checks, transformations, bad input."""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq

import frg
from frg._compile import jit_with_options

C3 = 1.0 / (6.0 * np.pi**2)  # Litim, d = 3: ℓ_1(w) = C3/(1+w), ℓ_2 = C3/(1+w)^2
KW = dict(d=3.0, Lambda=1.0, k_ir=1e-3, grid=64, rho_max=0.1)


def _solve(kappa, N=1.0, **over):
    kw = {**KW, "N": N, **over}
    return frg.solve_flow(frg.RhoPotential(lam=1.0, kappa=kappa), frg.Litim(), **kw)


def test_broken_and_symmetric_phase_b1():
    br = _solve(0.05)
    sy = _solve(0.01)
    assert br.ok and sy.ok, (br.message, sy.message)
    # broken: finite minimum inside the grid, convexity restored inside (U' -> -k^2 ~ 0)
    assert 0.015 < float(br.rho0[-1]) < 0.025
    assert float(br.m2R[-1]) > 0
    inside = np.asarray(br.rho) < 0.8 * float(br.rho0[-1])
    assert np.all(np.abs(np.asarray(br.dU[-1])[inside]) < 5e-6)
    # symmetric: rho0 = 0, m2R = U'(0) > 0
    assert float(sy.rho0[-1]) == 0.0 and float(sy.m2R[-1]) > 0
    assert np.all(np.isfinite(np.asarray(br.U)))


@pytest.mark.parametrize("solver", [frg.Kvaerno5(), frg.Kvaerno3(), frg.Rodas5P()], ids=repr)
def test_every_solver_agrees_with_the_default_to_the_time_tolerance(solver):
    # Rodas4 (default, linearly implicit) against the ESDIRKs with a Newton solve and
    # the eight-stage Rodas5P:
    # independent integrators of the same semi-discrete flow must agree to ~rtol (1e-6),
    # far below the grid error (~3e-3 between 64 and 128 cells)
    ref, other = _solve(0.05), _solve(0.05, solver=solver)
    assert ref.ok and other.ok
    for q in ("rho0", "m2R"):
        a, b = float(getattr(ref, q)[-1]), float(getattr(other, q)[-1])
        assert abs(a - b) < 2e-6 * abs(a), (q, a, b)


class _Linear(eqx.Module):
    m2: float

    def __call__(self, rho):
        return self.m2 * rho


def test_free_theory_only_the_constant_flows():
    m2, N = 0.3, 2.0
    sol = frg.solve_flow(
        _Linear(m2),
        frg.Litim(),
        d=3.0,
        N=N,
        Lambda=1.0,
        k_ir=1e-2,
        grid=32,
        rho_max=0.1,
        rtol=1e-10,
        atol=1e-13,
    )
    assert sol.ok, sol.message
    np.testing.assert_allclose(np.asarray(sol.dU[-1]), m2, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(sol.d2U[-1]), 0.0, atol=1e-8)
    # U(0) flows by  ∂_t U0 = N C3 k^3/(1 + m2/k^2):  ΔU0 = -∫_{ln k_ir}^0 ... d ln k
    dU0 = -quad(
        lambda t: N * C3 * np.exp(3 * t) / (1 + m2 * np.exp(-2 * t)),
        np.log(1e-2),
        0,
        epsabs=0,
        epsrel=1e-12,
    )[0]
    U = np.asarray(sol.U)
    np.testing.assert_allclose(U[-1] - U[0], dU0, rtol=1e-6)


def test_large_N_matches_characteristic_solution():
    # U = N Ũ(ρ/N): as N -> ∞, ∂_t ũ = ∂_ρ̃ [k^3 ℓ_1(ũ/k^2)], solved along characteristics
    # dρ̃/dt = k ℓ_2(ũ/k^2) with ũ constant.  ũ_Λ = lt (ρ̃ + c0) (symmetric phase).
    N, lt, c0, k_ir, rt_max = 2.0e4, 1.0, 0.02, 0.1, 0.1
    sol = frg.solve_flow(
        frg.RhoPotential(lam=lt / N, kappa=-c0 * N),
        frg.Litim(),
        d=3.0,
        N=N,
        Lambda=1.0,
        k_ir=k_ir,
        grid=64,
        rho_max=rt_max * N,
    )
    assert sol.ok, sol.message

    def G(u):
        return quad(
            lambda t: C3 * np.exp(t) / (1 + u * np.exp(-2 * t)) ** 2,
            np.log(k_ir),
            0,
            epsabs=0,
            epsrel=1e-12,
        )[0]

    rt = np.asarray(sol.rho) / N
    num = np.asarray(sol.dU[-1])
    sel = (rt > 0.01) & (rt < 0.06)  # away from the inflow boundary
    for r, u in zip(rt[sel][::4], num[sel][::4], strict=True):
        # ρ̃ = ρ̃_Λ − G(ũ_Λ(ρ̃_Λ)); the bracket keeps ũ_Λ ≥ 0, clear of the pole of G
        # at ũ = −k² (the root has ũ_Λ > 0: the flow is in the symmetric phase)
        r0 = brentq(lambda x, r=r: x - G(lt * (x + c0)) - r, -c0, r + 1, xtol=1e-14)
        np.testing.assert_allclose(u, lt * (r0 + c0), rtol=2e-3)


def test_grid_refinement_second_order():
    # outer boundary far away (rho_max = 0.4) so that its first-order extrapolation does
    # not reach ρ = 0 by k_ir: the interior scheme is second order
    m = [
        float(_solve(0.01, grid=n, k_ir=0.05, rho_max=0.4, rtol=1e-10, atol=1e-13).m2R[-1])
        for n in (32, 64, 128)
    ]
    order = np.log2(abs(m[0] - m[1]) / abs(m[1] - m[2]))
    assert 1.7 < order < 2.4, (m, order)


def test_jit_matches_no_jit_and_vmap_matches_loop():
    kw = dict(d=3.0, N=1.0, Lambda=1.0, k_ir=0.05, grid=32, rho_max=0.1)
    f = lambda kap: frg.solve_flow(frg.RhoPotential(1.0, kap), frg.Litim(), **kw).m2R[-1]
    kaps = jnp.array([0.01, 0.03, 0.05])
    loop = np.array([float(f(float(k))) for k in kaps])
    np.testing.assert_allclose(float(jax.jit(f)(0.03)), loop[1], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(jax.vmap(f)(kaps)), loop, rtol=1e-8)


def test_concrete_n_one_drops_the_goldstone_flux_without_changing_the_flow():
    # N = 1 given as a number: the Goldstone flux (N − 1) ℓ_1 is left out before tracing;
    # a traced N = 1 takes the general flux, whose Goldstone part is then exactly zero
    kw = dict(d=3.0, Lambda=1.0, k_ir=0.05, grid=32, rho_max=0.1)
    pot = frg.RhoPotential(1.0, 0.03)
    f = lambda N: frg.solve_flow(pot, frg.Litim(), N=N, **kw)
    special, general = f(1.0), jax.jit(f)(1.0)
    assert int(special.num_steps) == int(general.num_steps)
    np.testing.assert_allclose(float(special.m2R[-1]), float(general.m2R[-1]), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(special.U[-1]), np.asarray(general.U[-1]), rtol=1e-12)


@pytest.mark.slow
def test_grad_wrt_coupling_matches_finite_difference():
    kw = dict(d=3.0, N=1.0, Lambda=1.0, k_ir=0.05, grid=32, rho_max=0.1)
    f = lambda lam: frg.solve_flow(frg.RhoPotential(lam, 0.01), frg.Litim(), **kw).m2R[-1]
    # one program, compiled with frg's XLA:CPU options (frg/_compile.py)
    g = float(jit_with_options(jax.jit, jax.grad(f))(1.0))
    h = 1e-4
    fd = (float(f(1.0 + h)) - float(f(1.0 - h))) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-4)


def test_dimensionless_rhs_matches_pointwise_form():
    # the finite-volume RHS and the pointwise β agree to the scheme's O(h²) on a smooth u
    rule = frg.threshold_rule(frg.Litim(), 3.0)
    rule_eta = frg.threshold_rule_eta(frg.Litim(), 3.0)
    n, h = 400, 0.001
    r = (jnp.arange(n) + 0.5) * h
    u = 0.3 * r - 0.05 + 0.5 * r**2
    ell2 = lambda w: rule(w, 2) + 0.1 * rule_eta(w, 2)

    @jax.jit  # one program instead of ~100 eager op compiles
    def both(u, r):
        fv = frg.lpa_rhs_dimensionless(u, r, rule, 3.0, 2.0, eta=0.1, rule_eta=rule_eta)
        return fv, frg.lpa_beta(r, u, 0.3 + r, jnp.ones_like(r), ell2, 3.0, 2.0, eta=0.1)

    fv, pw = both(u, r)
    np.testing.assert_allclose(np.asarray(fv)[5:-5], np.asarray(pw)[5:-5], rtol=1e-4, atol=1e-6)
    # η part of the Litim threshold: (1 - η/(d+2))
    re = frg.threshold_rule_eta(frg.Wetterich(), 3.0)
    rl = frg.threshold_rule_eta(frg.Litim(), 3.0)
    assert float(rl(0.0)) == pytest.approx(-C3 / 5.0, rel=1e-12)
    assert float(re(0.0)) < 0


def test_pointwise_beta_closed_form_litim():
    # Litim, d = 3, N = 2, η = 0: ℓ_2(w) = C3/(1 + w)², written out by hand
    rule = frg.threshold_rule(frg.Litim(), 3.0)
    rho, u, du, ddu = 0.07, -0.03, 0.4, 1.3
    w = u + 2 * rho * du
    expect = (
        -2 * u + rho * du - C3 / (1 + u) ** 2 * du - C3 / (1 + w) ** 2 * (3 * du + 2 * rho * ddu)
    )
    args = [jnp.asarray(x) for x in (rho, u, du, ddu)]
    got = frg.lpa_beta(*args, lambda x: rule(x, 2), 3.0, 2.0)
    assert float(got) == pytest.approx(expect, rel=1e-14)
    rules = frg.flow_rules(frg.Litim(), 3.0)
    assert float(frg.lpa_flow(rules, 2.0, *args)) == pytest.approx(expect, rel=1e-14)


BAD = [
    (dict(k_ir=0.0), "k_ir"),
    (dict(k_ir=2.0), "k_ir"),
    (dict(d=0.0), "d"),
    (dict(d=4.5), "d"),
    (dict(N=0.5), "N"),
    (dict(grid=4), "grid"),
    (dict(rho_max=-1.0), "rho_max"),
]


@pytest.mark.parametrize("over,name", BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_raises_before_compilation(over, name):
    kw = {**KW, "N": 1.0, **over}
    with pytest.raises(ValueError, match=name):
        frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Litim(), **kw)


def test_bad_potential_and_regulator():
    with pytest.raises(ValueError, match="finite"):
        frg.solve_flow(frg.RhoPotential(float("nan"), 0.05), frg.Litim(), **KW)
    with pytest.raises(ValueError, match="unbounded below"):
        frg.solve_flow(frg.RhoPotential(-1.0, 0.05), frg.Litim(), **KW)
    with pytest.raises(ValueError, match="vanish"):
        frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.CustomShape(lambda y: 1.0 + 0 * y), **KW)
    with pytest.raises(ValueError, match="d/2"):
        frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Mass(), **KW)


def test_closed_form_potential_check_matches_autodiff():
    # RhoPotential's NumPy (U, U') used by the eager input check equals U and jax.grad(U)
    pot = frg.RhoPotential(lam=0.7, kappa=0.03, couplings=(2.0, -1.5, 0.25))
    rho = np.linspace(0.0, 0.2, 9)
    U, dU = pot.values_and_slopes(rho)
    assert isinstance(U, np.ndarray) and isinstance(dU, np.ndarray)
    np.testing.assert_allclose(U, jax.vmap(pot)(jnp.asarray(rho)), rtol=1e-14, atol=1e-17)
    np.testing.assert_allclose(dU, jax.vmap(jax.grad(pot))(jnp.asarray(rho)), rtol=1e-13)
    # the closed-form and the compiled check refuse the same potential
    neg = frg.RhoPotential(lam=1.0, kappa=0.05, couplings=(0.0, -5.0))  # −5ρ⁵ wins at ρ_max
    with pytest.raises(ValueError, match="unbounded below"):
        frg.solve_flow(neg, frg.Litim(), **{**KW, "rho_max": 1.0})
    with pytest.raises(ValueError, match="unbounded below"):
        frg.solve_flow(lambda r: neg(r), frg.Litim(), **{**KW, "rho_max": 1.0})


def test_runtime_failure_reports_result_not_nan():
    sol = _solve(0.05, max_steps=5)
    assert bool(sol.result == frg.RESULTS.max_steps_reached) and "max_steps" in sol.message
    assert not sol.ok and np.all(np.isnan(np.asarray(sol.rho0)))
    with pytest.raises(Exception, match="max_steps"):
        _solve(0.05, max_steps=5, throw=True)


def test_bad_solver_arguments_raise_before_compilation():
    for over, name in (
        (dict(solver="rodas4"), "solver"),
        (dict(stepsize_controller="pid"), "stepsize_controller"),
        (dict(rtol=0.0), "rtol"),
        (dict(atol=-1.0), "atol"),
        (dict(pole_gap=0.0), "pole_gap"),
        (dict(max_steps=0), "max_steps"),
    ):
        with pytest.raises(ValueError, match=name):
            _solve(0.05, **over)


def _primitives(jaxpr, found):
    for eqn in jaxpr.eqns:
        found.add(eqn.primitive.name)
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    _primitives(inner, found)
    return found


@pytest.mark.parametrize("over", [{}, {"solver": frg.Kvaerno5()}], ids=["default", "Kvaerno5"])
def test_flow_program_has_no_host_callback(over):
    # JAX's persistent compilation cache stores no program with a host callback; the
    # flow checks its inputs on the host and hands diffrax no dt0 to check at run time
    # (with k_ir traced that check was a callback), so its programs are cacheable.
    # (Saved at given ks_out, diffrax's check of the save times stays a callback.)
    jaxpr = jax.make_jaxpr(lambda kappa: _solve(kappa, grid=16, **over).m2R)(0.05)
    assert not [p for p in _primitives(jaxpr.jaxpr, set()) if "callback" in p]


def test_new_tolerances_do_not_recompile():
    # rtol, atol, pole_gap (and a controller's tolerances) are traced: counting XLA
    # compilations through jax.monitoring, a second solve with new values compiles nothing
    compiles = []

    def listener(event, duration, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    small = dict(grid=16, k_ir=0.1)
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        first = _solve(0.05, rtol=1e-6, atol=1e-9, pole_gap=1e-2, **small)
        n_first = len(compiles)
        second = _solve(0.05, rtol=1e-4, atol=1e-7, pole_gap=2e-2, **small)
        assert len(compiles) == n_first
        ctrl = lambda rtol: diffrax.PIDController(rtol=rtol, atol=1e-9, pcoeff=0.0, icoeff=0.8)
        third = _solve(0.05, stepsize_controller=ctrl(1e-6), **small)
        n_third = len(compiles)
        fourth = _solve(0.05, stepsize_controller=ctrl(1e-4), **small)
        assert len(compiles) == n_third
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    # the new values took effect: fewer steps at the looser tolerance; the controller
    # given explicitly with Rodas4's coefficients is the default one
    assert int(second.num_steps) < int(first.num_steps)
    assert int(fourth.num_steps) < int(third.num_steps)
    assert int(third.num_steps) == int(first.num_steps)
    assert float(third.m2R[-1]) == float(first.m2R[-1])


def test_broken_phase_matches_scipy_bdf_on_the_same_grid():
    # B1-type broken phase (κ = 0.05) on 32 cells against SciPy's BDF solving the same
    # semi-discrete system, written out here from docs/lpa.md: u = ∂_σU at σ_j = (j+½)h,
    # ∂_s u_j = −(F_{j+1} − F_j)/h, ∂_s U(0) = −F_0, F_i = k³ ℓ_1(∂_σu_i/k²) at the
    # interfaces (∂_σu_0 = 2u_0/h by odd symmetry, the last slope repeated), Litim
    # ℓ_1(w) = C3/(1 + w), continued as ℓ_1(w_c) e^{(w_c − w)/(1 + w_c)} below
    # w_c = −1 + pole_gap.
    n, rho_max, k_ir, gap, lam, kappa = 32, 0.1, 1e-2, 1e-2, 1.0, 0.05
    h = np.sqrt(2 * rho_max) / n
    sig = (np.arange(n) + 0.5) * h
    wc = -1.0 + gap

    def ell1(w):
        x = np.minimum((wc - np.minimum(w, wc)) / (1 + wc), 60.0)
        return np.where(w > wc, C3 / (1 + np.maximum(w, wc)), C3 / (1 + wc) * np.exp(x))

    def rhs(s, y):
        u, k2 = y[1:], np.exp(-2 * s)
        du = np.concatenate([[2 * u[0] / h], np.diff(u) / h, [(u[-1] - u[-2]) / h]])
        F = k2**1.5 * ell1(du / k2)
        return -np.concatenate([[F[0]], np.diff(F) / h])

    y0 = np.concatenate([[0.5 * lam * kappa**2], lam * (0.5 * sig**2 - kappa) * sig])
    pattern = np.eye(n + 1) + np.eye(n + 1, k=1) + np.eye(n + 1, k=-1)
    pattern[0, 1] = pattern[1, 3] = 1
    ref = solve_ivp(
        rhs, (0, np.log(1 / k_ir)), y0, method="BDF", rtol=1e-10, atol=1e-13, jac_sparsity=pattern
    )
    assert ref.success
    sol = _solve(kappa, grid=n, k_ir=k_ir, rtol=1e-10, atol=1e-13, pole_gap=gap)
    assert sol.ok, sol.message
    u = np.asarray(sol.dU[-1]) * sig
    np.testing.assert_allclose(u, ref.y[1:, -1], rtol=0, atol=1e-8 * np.max(np.abs(u)))
    U0 = float(sol.U[-1, 0]) - 0.5 * h * u[0]  # first cell centre -> σ = 0
    assert abs(U0 - ref.y[0, -1]) < 1e-8
    assert float(sol.rho0[-1]) > 0.0 and float(sol.m2R[-1]) > 0.0
