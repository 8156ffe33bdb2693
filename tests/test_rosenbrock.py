"""The Rodas steppers (frg/_rosenbrock.py): Jacobian by colouring, order, exactness."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from frg._flow._rosenbrock import Rodas4, Rodas5P, tridiagonal_factor, tridiagonal_jvp

# every Rodas tableau of frg/_rosenbrock.py with its classical order
SOLVERS = [(Rodas5P, 5), (Rodas4, 4)]
# the default solver in the quick loop, every tableau in CI
ORDERS = [pytest.param(s, o, marks=() if s is Rodas5P else pytest.mark.slow) for s, o in SOLVERS]


def _nonlinear_tridiagonal(t, y):
    # a nonlinear three-point stencil with a time dependence
    left = jnp.pad(y[:-1], (1, 0))
    right = jnp.pad(y[1:], (0, 1))
    return jnp.sin(y) * left - y**3 + jnp.exp(-t) * right * y + t * y


def test_tridiagonal_jvp_is_the_exact_band_and_time_derivative():
    y = jnp.linspace(-1.0, 2.0, 11) ** 2
    t = 0.7
    f, lower, diag, upper, ft = tridiagonal_jvp(_nonlinear_tridiagonal, y, t)
    J = jax.jacfwd(_nonlinear_tridiagonal, argnums=1)(t, y)
    np.testing.assert_allclose(f, _nonlinear_tridiagonal(t, y), rtol=0, atol=0)
    np.testing.assert_allclose(diag, jnp.diagonal(J), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(upper[:-1], jnp.diagonal(J, 1), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(lower[1:], jnp.diagonal(J, -1), rtol=1e-15, atol=1e-15)
    assert lower[0] == 0 and upper[-1] == 0
    dfdt = jax.jacfwd(_nonlinear_tridiagonal, argnums=0)(t, y)
    np.testing.assert_allclose(ft, dfdt, rtol=1e-15, atol=1e-15)


def _decay(lam):
    # y' = −λ (y − cos t), y(0) = 0: y = λ(λ cos t + sin t − λ e^{−λt})/(λ² + 1)
    term = diffrax.ODETerm(lambda t, y, a: -lam * (y - jnp.cos(t)))
    exact = lambda t: lam * (lam * np.cos(t) + np.sin(t) - lam * np.exp(-lam * t)) / (lam**2 + 1)
    return term, exact


@pytest.mark.parametrize("solver, order", SOLVERS)
def test_polynomial_quadrature_is_exact(solver, order):
    # order p: y' = t^(p−1) is integrated exactly (to rounding) with any constant step
    term = diffrax.ODETerm(lambda t, y, a: t ** (order - 1) + 0.0 * y)
    sol = diffrax.diffeqsolve(
        term,
        solver(),
        0.0,
        2.0,
        0.25,
        jnp.zeros(1),
        stepsize_controller=diffrax.ConstantStepSize(),
    )
    np.testing.assert_allclose(float(sol.ys[-1, 0]), 2.0**order / order, rtol=1e-13)


@pytest.mark.parametrize("solver, order", ORDERS)
def test_convergence_order_with_constant_steps(solver, order):
    term, exact = _decay(2.0)
    errs = []
    hs = [0.2, 0.1, 0.05, 0.025]
    for h in hs:
        sol = diffrax.diffeqsolve(
            term,
            solver(),
            0.0,
            2.0,
            h,
            jnp.zeros(2),
            stepsize_controller=diffrax.ConstantStepSize(),
        )
        errs.append(abs(float(sol.ys[-1, 0]) - exact(2.0)))
    slopes = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    # Rodas5P is order 5 (Steinebach 2023): measured 5.14, 5.05, 5.03 (the embedded
    # order-4 solution taken as the result gives 4.1); Rodas4: 4.05, 4.03, 4.02
    assert np.all((slopes > order - 0.15) & (slopes < order + 0.3)), slopes


@pytest.mark.parametrize("method", ["thomas", "gtsv", None])
def test_tridiagonal_factor_solves_several_right_hand_sides_exactly(method):
    # W = I/(hγ) − J of a diffusion stencil (diagonally dominant) plus a non-symmetric part
    rng = np.random.default_rng(3)
    n = 40
    dl, du = -rng.uniform(0.1, 1.0, n), -rng.uniform(0.1, 1.0, n)
    dl[0] = du[-1] = 0.0
    dd = 2.5 + rng.uniform(0.0, 1.0, n)
    A = np.diag(dd) + np.diag(dl[1:], -1) + np.diag(du[:-1], 1)
    solve = tridiagonal_factor(*(jnp.asarray(x) for x in (dl, dd, du)), method=method)
    for _ in range(3):  # one factorisation, several right-hand sides
        b = rng.normal(size=n)
        np.testing.assert_allclose(
            np.asarray(solve(jnp.asarray(b))), np.linalg.solve(A, b), rtol=1e-13, atol=1e-14
        )
    with pytest.raises(ValueError, match="method"):
        tridiagonal_factor(jnp.asarray(dl), jnp.asarray(dd), jnp.asarray(du), method="lu")


@pytest.mark.parametrize("solver", [s for s, _ in SOLVERS])
def test_adaptive_stiff_linear_system_matches_the_matrix_exponential(solver):
    # heat equation y' = D y with D the tridiagonal Laplacian (stiff: |λ| up to 4e4)
    n = 50
    D = np.diag(-2.0 * np.ones(n)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)
    D = D * (n + 1) ** 2 / 10.0
    y0 = np.sin(np.pi * np.arange(1, n + 1) / (n + 1)) + 0.3 * np.sin(
        7 * np.pi * np.arange(1, n + 1) / (n + 1)
    )
    term = diffrax.ODETerm(lambda t, y, a: jnp.asarray(D) @ y)
    solve = lambda method: diffrax.diffeqsolve(  # noqa: E731
        term,
        solver(linear_solve=method),
        0.0,
        0.5,
        1e-4,
        jnp.asarray(y0),
        stepsize_controller=diffrax.PIDController(rtol=1e-9, atol=1e-12),
        max_steps=10_000,
    )
    sol = solve(None)
    w, V = np.linalg.eigh(D)
    exact = V @ (np.exp(0.5 * w) * (V.T @ y0))
    np.testing.assert_allclose(np.asarray(sol.ys[-1]), exact, rtol=0, atol=1e-8)
    assert int(sol.stats["num_steps"]) < 200  # L-stable: no explicit-type step limit
    # the LAPACK solve in every stage takes the same steps to rounding
    gtsv = solve("gtsv")
    assert int(gtsv.stats["num_steps"]) == int(sol.stats["num_steps"])
    np.testing.assert_allclose(np.asarray(gtsv.ys[-1]), np.asarray(sol.ys[-1]), atol=1e-13)


def test_non_finite_step_is_rejected_not_propagated():
    # f blows up for y > 1: a step landing there must be rejected and retried smaller
    term = diffrax.ODETerm(lambda t, y, a: jnp.where(y > 1.0, jnp.nan, 1.0 + 0.0 * y))
    sol = diffrax.diffeqsolve(
        term,
        Rodas5P(),
        0.0,
        0.9,
        0.5,
        jnp.zeros(1),
        stepsize_controller=diffrax.PIDController(rtol=1e-8, atol=1e-10),
    )
    np.testing.assert_allclose(np.asarray(sol.ys[-1]), [0.9], rtol=1e-12)
