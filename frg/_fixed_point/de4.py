"""Derivative expansion at order ∂⁴ (O(∂⁴) DE) of the Ising (Z₂, N = 1) model: fixed point, ν, ω, η.

Truncation ``Γ_k = ∫ U(ρ) + ½Z(ρ)(∂φ)² + ½W_a(ρ)(∂_μ∂_νφ)² + ½φW_b(ρ)∂²φ(∂φ)² +
½W_c(ρ)((∂φ)²)²`` (Canet, Delamotte, Mouhanna, Vidal, PRD 68, 064421 (2003)), any
smooth regulator ``R_k = Z_k k² g(q²/k²)``; the flows of the five functions are built in
``frg/_fixed_point/_de4_flow.py`` from the one-loop n-point functions (n ≤ 4) expanded in
the external momenta by truncated power series (method in ``docs/de4.md``). The
dimensionless fixed point ``(w, z, w_a, w_b, w_c, η, ρ̃₀)`` on a Chebyshev grid in
ρ̃ ∈ [0, ρ̃_max] is found by Newton's method from the O(∂²) fixed point (W's = 0), η
from z(0) = 1. The stability matrix is the Jacobian with η eliminated by the
normalisation (as in :mod:`frg.de2`); ν = 1/θ₁, ω = −θ₂.

Reference: L. Canet, B. Delamotte, D. Mouhanna, J. Vidal, Phys. Rev. D 68, 064421 (2003).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from .._flow.regulators import AbstractRegulator
from .._flow.threshold import threshold
from .._results import RESULTS
from .._x64 import x64
from ._cheb import bary_row as bary_weights_at, cheb_grid
from ._de4_flow import NF, DE4Rule, J, de4_rule, local_data, loops, scaling
from .de2 import DE2
from .engine import critical_exponents

_SHIFT = 1.0e6  # the normalisation's spurious eigenvalue is moved to θ = −_SHIFT


def _default_rho_max(regulator, d) -> float:
    return 2.7 * float(threshold(regulator, d, 0.0, 1))


def _spectral_tail(f) -> float:
    """Relative size of the top Chebyshev coefficients (≈ 1e-12 for a resolved solution)."""
    f = np.asarray(f)
    m = f.size - 1
    c = np.polynomial.chebyshev.chebfit(np.cos(np.pi * np.arange(m + 1) / m), f, m)
    return float(np.max(np.abs(c[-3:])) / np.max(np.abs(c)))


def _thetas(jac, k):
    ev = -np.linalg.eigvals(np.asarray(jac))
    ev = ev[np.argsort(-ev.real)]
    ev = ev[np.abs(ev + _SHIFT) > 1e-3 * _SHIFT]
    return ev[:k]


class _DE2Start(eqx.Module):
    w: jax.Array
    z: jax.Array
    eta: jax.Array
    rho0: jax.Array
    status: str = eqx.field(static=True)


def de2_fixed_point(regulator, *, d, grid, rho_max):
    """The O(∂²) fixed point on this grid (``frg.DE2`` through the engine): the start."""
    tr = DE2(grid=grid, rho_max=rho_max, on=False)
    ex = critical_exponents(regulator, N=1.0, d=d, truncation=tr)
    f = tr.fields(ex.fixed_point.params, regulator, 1.0, d)
    ok = bool(ex.result == RESULTS.successful)
    status = "success" if ok else RESULTS[ex.result]
    return _DE2Start(f["w"], f["z"], f["eta"], ex.fixed_point.kappa, status)


__all__ = ["DE4FixedPoint", "DE4Exponents", "de4_fixed_point", "de4_exponents"]


class _Setup(eqx.Module):
    rho: jax.Array
    dmat: jax.Array
    bw: jax.Array
    rule: DE4Rule
    d: jax.Array
    frozen: jax.Array  # 1.0: W_a = W_b = W_c ≡ 0 (the O(∂²) truncation), else 0.0


class DE4FixedPoint(eqx.Module):
    """Fixed point of the O(∂⁴) flow on the collocation grid.

    Attributes:
        rho: grid ρ̃_j. f: (5, nodes) values of (w, z, w_a, w_b, w_c) at the nodes.
        eta: anomalous dimension. rho0: minimum, w(ρ̃₀) = 0.
        residual: max-norm of the discretised equations. status: "success" or why not.
    """

    rho: jax.Array
    f: jax.Array
    eta: jax.Array
    rho0: jax.Array
    residual: jax.Array
    status: str = eqx.field(static=True)


class DE4Exponents(eqx.Module):
    """Critical exponents at the O(∂⁴) fixed point: nu = 1/θ₁, omega = −θ₂, eta, theta."""

    nu: jax.Array
    omega: jax.Array
    eta: jax.Array
    theta: jax.Array
    fixed_point: DE4FixedPoint
    status: str = eqx.field(static=True)


_H = 1e-30  # complex-step size: derivatives exact to rounding, values unchanged to O(_H²)


def de4_flow(s: _Setup, F, eta):
    """``∂_t`` of the five functions F (5, nodes) at the nodes (frozen: the W rows are
    the W's themselves, so W = 0 at the solution)."""
    D = local_data(s.dmat, F)
    out = scaling(s.rho, D, s.d, eta) + loops(s.rho, D, s.rule, eta)
    return jnp.where(jnp.arange(NF)[:, None] >= 2, s.frozen * F + (1.0 - s.frozen) * out, out)


def _flow_and_jacobian(X, s: _Setup):
    """Flow rows (5·nodes) and their Jacobian with respect to F and η.

    Each node's loops depend only on its own ρ̃-derivatives D[f, node, j] and η, so one
    complex-step evaluation per (f, j) and one for η (vectorised) give every derivative:
    ∂F_f(n)/∂F_g(n') = Σ_j ∂L_f(n)/∂D[g, n, j] (dmat^j)[n, n'] plus the scaling terms.
    The loops are holomorphic in D and η (rational functions of them)."""
    m = s.rho.shape[0]
    F, eta, _ = _split(X, m)
    D = local_data(s.dmat, F)
    nk = NF * J
    basis = jnp.eye(nk + 1)

    def one(e):
        dc = D + 1j * _H * e[:nk].reshape(NF, 1, J)
        return loops(s.rho, dc, s.rule, eta + 1j * _H * e[nk])

    L = jax.vmap(one)(basis)  # (nk + 1, 5, m)
    dL = L.imag / _H
    powers = [jnp.eye(m)]
    for _ in range(J - 1):
        powers.append(s.dmat @ powers[-1])
    A = dL[:nk].reshape(NF, J, NF, m)  # [g, j, f, n]
    jl = jnp.einsum("gjfn,jnk->fngk", A, jnp.stack(powers)).reshape(NF * m, NF * m)

    def sc(Fv, e):
        return scaling(s.rho, local_data(s.dmat, Fv.reshape(NF, m)), s.d, e).ravel()

    jx = jax.jacfwd(sc, argnums=0)(F.ravel(), eta) + jl
    je = jax.jacfwd(sc, argnums=1)(F.ravel(), eta) + dL[nk].ravel()
    flow = sc(F.ravel(), eta) + L[0].real.ravel()
    frozen = (s.frozen > 0.5) & (jnp.repeat(jnp.arange(NF), m) >= 2)  # W rows: W = 0
    flow = jnp.where(frozen, F.ravel(), flow)
    jx = jnp.where(frozen[:, None], jnp.eye(NF * m), jx)
    je = jnp.where(frozen, 0.0, je)
    return flow, jx, je


def _setup(regulator, d, grid, rho_max, frozen=False) -> _Setup:
    x, dm, bw = cheb_grid(grid, rho_max)
    return _Setup(
        jnp.asarray(x),
        jnp.asarray(dm),
        jnp.asarray(bw),
        de4_rule(regulator, d),
        jnp.asarray(d, dtype=float),
        jnp.asarray(1.0 if frozen else 0.0),
    )


def _split(X, m):
    return X[: NF * m].reshape(NF, m), X[NF * m], X[NF * m + 1]


def _constraints(X, s: _Setup):
    m = s.rho.shape[0]
    F, _, r0 = _split(X, m)
    e0 = bary_weights_at(s.rho, s.bw, r0, jnp)
    return jnp.stack([e0 @ F[0], F[1, 0] - 1.0])


@jax.jit
def _residual_jacobian(X, s: _Setup):
    """Residual [flow rows; w(ρ̃₀), z(0) − 1] and its Jacobian in X = (F, η, ρ̃₀)."""
    flow, jx, je = _flow_and_jacobian(X, s)
    n = flow.shape[0]
    top = jnp.concatenate([jx, je[:, None], jnp.zeros((n, 1))], axis=1)
    jc = jax.jacfwd(_constraints)(X, s)
    return jnp.concatenate([flow, _constraints(X, s)]), jnp.concatenate([top, jc])


def _newton(X, s: _Setup, tol=1e-10, max_steps=30):
    """Newton's method (Jacobian from :func:`_residual_jacobian`, one compilation); returns
    X, the max residual and the Jacobian at X."""
    for _ in range(max_steps):
        r, jac = _residual_jacobian(X, s)
        r, jac = np.asarray(r), np.asarray(jac)
        res = float(np.max(np.abs(r)))
        if not np.isfinite(res) or res < tol:
            break
        X = X - jnp.asarray(np.linalg.solve(jac, r))
    return X, res, jac


def _stability(jac, m):
    """Stability matrix with η eliminated by z(0) = 1 (that mode shifted to −_SHIFT)."""
    n = NF * m
    fx, fe = jac[:n, :n], jac[:n, n]
    c = np.zeros(n)
    c[m] = 1.0
    proj = fe / (c @ fe)
    return fx - np.outer(proj, c @ fx) + _SHIFT * np.outer(proj, c)


def _check(regulator, d, grid):
    _validate.in_range("d", d, 2.0, 4.0, low_open=True, high_open=True)
    _validate.integer("grid", grid, 8, 200)
    if not isinstance(regulator, AbstractRegulator):
        raise ValueError(f"regulator must be an frg regulator; got {regulator!r}")
    if regulator.support() is not None:
        raise ValueError(
            "regulator must be smooth for the O(∂⁴) flow (its g'''' enters); "
            f"{type(regulator).__name__} has compact support"
        )
    regulator.check(d)


@x64
def de4_fixed_point(
    regulator: AbstractRegulator,
    *,
    d: float = 3.0,
    grid: int = 16,
    rho_max: float | None = None,
    frozen: bool = False,
) -> DE4FixedPoint:
    """Fixed point of the O(∂⁴) derivative expansion of the Ising model.

    Solves ``∂_t(w, z, w_a, w_b, w_c) = 0`` with ``w(ρ̃₀) = 0`` and ``z(0) = 1`` by Newton's
    method, starting from the O(∂²) fixed point of :func:`frg.de2_fixed_point` with the W's 0.

    Args:
        regulator: a smooth regulator, e.g. ``frg.Wetterich(a=2.0)`` or ``frg.Exponential(a)``.
        d: dimension, 2 < d < 4.
        grid: Chebyshev polynomial degree (grid + 1 nodes).
        rho_max: right end of the ρ̃ interval (default as :func:`frg.de2_fixed_point`).
        frozen: keep W_a = W_b = W_c ≡ 0: the O(∂²) fixed point through this code.

    Returns:
        :class:`DE4FixedPoint` with ``status``.

    Example:
        >>> fp = frg.de4_fixed_point(frg.Wetterich(a=2.0), d=3.0)  # doctest: +SKIP

    Reference: Canet, Delamotte, Mouhanna, Vidal, Phys. Rev. D 68, 064421 (2003).
    """
    return _fixed_point(regulator, d, grid, rho_max, frozen)[0]


def _fixed_point(regulator, d, grid, rho_max, frozen):
    """(fixed point, stability matrix at it)."""
    _check(regulator, d, grid)
    if rho_max is None:
        rho_max = _default_rho_max(regulator, d)
    _validate.in_range("rho_max", rho_max, 0.0, low_open=True)
    fp2 = de2_fixed_point(regulator, d=d, grid=grid, rho_max=rho_max)
    s = _setup(regulator, d, grid, rho_max, frozen)
    m = s.rho.shape[0]
    if fp2.status != "success":
        nan = jnp.asarray(jnp.nan)
        return DE4FixedPoint(s.rho, jnp.full((NF, m), jnp.nan), nan, nan, nan, fp2.status), None
    F0 = jnp.concatenate([fp2.w[None], fp2.z[None], jnp.zeros((3, m))])
    X0 = jnp.concatenate([F0.ravel(), jnp.stack([fp2.eta, fp2.rho0])])
    X, res, jac = _newton(X0, s)
    return _fp_from(X, res, s), _stability(jac, m)


def _fp_from(X, res, s):
    m = s.rho.shape[0]
    F, eta, r0 = _split(X, m)
    Fn = np.asarray(F)
    frozen = bool(s.frozen)
    if not np.all(np.isfinite(np.asarray(X))) or res > 1e-7:
        status = f"fixed point not converged (residual {res:.3g})"
    elif max(_spectral_tail(f) for f in Fn[: 2 if frozen else NF]) > 1e-5:
        status = "fixed point not spectrally resolved (increase grid or rho_max)"
    elif not (0.0 < float(r0) < float(s.rho[-1])):
        status = "minimum rho0 outside the grid (increase rho_max)"
    else:
        status = "success"
    return DE4FixedPoint(s.rho, F, eta, r0, jnp.asarray(res), status)


@x64
def de4_exponents(
    regulator: AbstractRegulator,
    *,
    d: float = 3.0,
    grid: int = 16,
    rho_max: float | None = None,
    frozen: bool = False,
    n_theta: int = 4,
) -> DE4Exponents:
    """Critical exponents ν, ω, η of the O(∂⁴) derivative expansion of the Ising model.

    θ_i = −eig(∂F/∂(w, z, w_a, w_b, w_c)) at the fixed point with η eliminated through
    z(0) = 1; ν = 1/θ₁, ω = −θ₂.

    Args:
        regulator, d, grid, rho_max, frozen: as :func:`de4_fixed_point`.
        n_theta: how many leading θ_i to return.

    Returns:
        :class:`DE4Exponents`.

    Example:
        >>> ex = frg.de4_exponents(frg.Wetterich(a=2.0), d=3.0, grid=10)  # doctest: +SKIP
        >>> round(float(ex.nu), 2)  # doctest: +SKIP

    Reference: Canet, Delamotte, Mouhanna, Vidal, Phys. Rev. D 68, 064421 (2003).
    """
    fp, jac = _fixed_point(regulator, d, grid, rho_max, frozen)
    nan = jnp.asarray(jnp.nan)
    if fp.status != "success":
        return DE4Exponents(nan, nan, fp.eta, jnp.full((n_theta,), jnp.nan), fp, fp.status)
    if frozen:  # the W rows and columns drop out
        m = fp.rho.shape[0]
        jac = jac[: 2 * m, : 2 * m]
    th = _thetas(jac, n_theta)
    status = "success"
    if np.max(np.abs(th[:2].imag)) > 1e-8:
        status = "complex leading eigenvalues"
    theta = jnp.asarray(th.real)
    return DE4Exponents(1.0 / theta[0], -theta[1], fp.eta, theta, fp, status)
