"""Derivative expansion at order ∂² (O(∂²) DE) of the O(N) model: fixed point, ν, ω, η, PMS.

Truncation ``Γ_k = ∫ d^dx [U_k(ρ) + ½ Z_k(ρ)(∂φ)^2 + ¼ Y_k(ρ)(∂ρ)^2]`` (Y only for
N > 1), any smooth regulator ``R_k = Z_k k^2 g(q^2/k^2)``; flow equations in
``frg/_de2_flow.py`` (N = 1) and ``frg/_de2_on.py`` (N > 1), derived in ``docs/de2.md``.
The dimensionless fixed point ``(w = u', z[, ỹ], η)`` is found by Newton's method
(optimistix) on a Chebyshev collocation grid in ρ̃ ∈ [0, ρ̃_max], starting from the LPA
fixed point with z = 1, η = 0; η is fixed by the normalisation z(ρ̃_n) = 1 at
a fixed field value ρ̃_n (``norm=ρ̃_n``, default 0), or at the running minimum ρ̃₀ of
the potential (``norm="min"``: fixed point and η only, see ``docs/de2.md``). The
stability matrix is the Jacobian of the flow with η eliminated
by the normalisation condition; θ_i = −eigenvalues, ν = 1/θ₁, ω = −θ₂.

Reference: L. Canet, B. Delamotte, D. Mouhanna, J. Vidal, Phys. Rev. D 67, 065004
(2003); G. von Gersdorff and C. Wetterich, Phys. Rev. B 64, 054513 (2001).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from .. import _validate
from .._flow.regulators import AbstractRegulator, Wetterich
from .._flow.threshold import MomentumRule, momentum_rule, threshold
from .._x64 import x64
from ._de2_cheb import bary_weights_at, cheb_grid
from ._de2_flow import de2_flow
from ._de2_on import on_flow

__all__ = [
    "DE2FixedPoint",
    "DE2Exponents",
    "DE2PMS",
    "de2_fixed_point",
    "de2_exponents",
    "de2_pms",
    "de2_cli_exponents",
]

_SHIFT = 1.0e6  # the normalisation's spurious eigenvalue is moved to θ = −_SHIFT


class _Setup(eqx.Module):
    rho: jax.Array
    dmat: jax.Array
    bw: jax.Array
    rule: MomentumRule
    d: jax.Array
    n: jax.Array  # N, traced: one compilation serves every N > 1
    on: bool = eqx.field(static=True, default=False)  # N > 1: the O(N) flow with ỹ


class DE2FixedPoint(eqx.Module):
    """Fixed point of the O(∂²) flow on the collocation grid.

    Attributes:
        rho: grid ρ̃_j (Chebyshev–Lobatto on [0, ρ̃_max]).
        w: u'(ρ̃_j).
        z: z(ρ̃_j) (≡ 1 for the frozen-z/LPA case); the transverse z for N > 1.
        y: ỹ(ρ̃_j) (N > 1; zeros for N = 1), z_longitudinal = z + ρ̃ ỹ.
        eta: anomalous dimension (0 for frozen z).
        rho0: minimum of the potential, w(ρ̃₀) = 0.
        residual: max-norm of the discretised fixed-point equations.
        status: "success", or why the solve failed.
    """

    rho: jax.Array
    w: jax.Array
    z: jax.Array
    y: jax.Array
    eta: jax.Array
    rho0: jax.Array
    residual: jax.Array
    status: str = eqx.field(static=True)


class DE2Exponents(eqx.Module):
    """Critical exponents at the O(∂²) fixed point.

    Attributes:
        nu: 1/θ₁. omega: −θ₂. eta: anomalous dimension.
        theta: the leading eigenvalues θ_i (descending real part).
        fixed_point: the :class:`DE2FixedPoint`.
        status: "success" or the failure reason.
    """

    nu: jax.Array
    omega: jax.Array
    eta: jax.Array
    theta: jax.Array
    fixed_point: DE2FixedPoint
    status: str = eqx.field(static=True)


class DE2PMS(eqx.Module):
    """PMS point ``dX/dα = 0`` of exponent X over the regulator prefactor α.

    Attributes: alpha (stationary α), value (X there), exponents (at α), status.
    """

    alpha: jax.Array
    value: jax.Array
    exponents: DE2Exponents
    status: str = eqx.field(static=True)


# --------------------------------------------------------------------------- internals
def _setup(regulator, d, grid, rho_max, N=1) -> _Setup:
    x, dm, bw = cheb_grid(grid, rho_max)
    return _Setup(
        rho=jnp.asarray(x),
        dmat=jnp.asarray(dm),
        bw=jnp.asarray(bw),
        rule=momentum_rule(regulator, d),
        d=jnp.asarray(d, dtype=float),
        n=jnp.asarray(N, dtype=float),
        on=N > 1,
    )


def _interp(s: _Setup, f, r0):
    return bary_weights_at(s.rho, s.bw, r0, jnp) @ f


def _flow_x(s: _Setup, xv, eta):
    """Flow of the state x = (w, z) (N = 1) or (w, z, ỹ) (N > 1), concatenated."""
    m = s.rho.shape[0]
    if not s.on:
        return jnp.concatenate(de2_flow(s.rho, s.dmat, s.rule, s.d, xv[:m], xv[m:], eta))
    return jnp.concatenate(
        on_flow(s.n, s.rho, s.dmat, s.rule, s.d, xv[:m], xv[m : 2 * m], xv[2 * m :], eta)
    )


def _residual(X, s: _Setup, norm: str):
    m = s.rho.shape[0]
    nx = X.shape[0] - 2
    xv, eta, r0 = X[:nx], X[nx], X[nx + 1]
    w, z = xv[:m], xv[m : 2 * m]
    zn = _interp(s, z, r0) if norm == "min" else _interp(s, z, norm)
    return jnp.concatenate([_flow_x(s, xv, eta), jnp.stack([_interp(s, w, r0), zn - 1.0])])


def _lpa_residual(w, s: _Setup):
    if not s.on:
        return de2_flow(s.rho, s.dmat, s.rule, s.d, w, jnp.ones_like(w), 0.0, frozen_z=True)[0]
    w1 = s.dmat @ w
    w2 = s.dmat @ w1
    r = s.rule
    dtr = r.dt_r(0.0)[None, :]
    gt = 1.0 / (r.y[None, :] + r.g[None, :] + w[:, None])
    gl = 1.0 / (r.y[None, :] + r.g[None, :] + (w + 2.0 * s.rho * w1)[:, None])
    i_w = -0.5 * r.integrate(
        dtr * ((s.n - 1) * gt**2 * w1[:, None] + gl**2 * (3.0 * w1 + 2.0 * s.rho * w2)[:, None])
    )
    return -2.0 * w + (s.d - 2.0) * s.rho * w1 + i_w


@eqx.filter_jit
def _newton(fn, x0, s, rtol, max_steps):
    sol = optx.root_find(
        fn, optx.Newton(rtol=rtol, atol=rtol), x0, args=s, max_steps=max_steps, throw=False
    )
    return sol.value, sol.result == optx.RESULTS.successful


@eqx.filter_jit
def _lm(fn, x0, s):
    sol = optx.least_squares(
        fn, optx.LevenbergMarquardt(rtol=1e-6, atol=1e-6), x0, args=s, max_steps=100, throw=False
    )
    return sol.value


def _spectral_tail(f) -> float:
    """Relative size of the top Chebyshev coefficients (≈ 1e-12 for a resolved solution)."""
    f = np.asarray(f)
    m = f.size - 1
    c = np.polynomial.chebyshev.chebfit(np.cos(np.pi * np.arange(m + 1) / m), f, m)
    return float(np.max(np.abs(c[-3:])) / np.max(np.abs(c)))


def _lpa_start(s: _Setup, scale: float):
    """LPA fixed point: Levenberg–Marquardt then Newton from linear guesses; the first that
    converges to a spectrally resolved, monotonic w (boundary-spurious roots rejected)."""
    length = float(s.rho[-1])
    best = None
    for kap, lam in [(0.25, 0.9), (0.33, 0.45), (0.2, 1.8), (0.15, 0.9), (0.4, 0.9), (0.1, 3.6)]:
        w0 = (lam / scale) * (3.0 / (s.n + 2.0)) * (s.rho - kap * length)  # ρ̃₀ ∝ N + 2
        w, ok = _newton(_lpa_residual, _lm(_lpa_residual, w0, s), s, 1e-11, 40)
        res = float(_max_residual(_lpa_residual, w, s))
        if not (bool(ok) or res < 1e-7) or not np.all(np.isfinite(np.asarray(w))):
            continue
        tail = _spectral_tail(w)
        mono = bool(np.all(np.diff(np.asarray(w)) > 0))
        if mono and tail < 1e-7:
            return w, "success"
        if best is None:
            best = w
    if best is None:
        return jnp.full_like(s.rho, jnp.nan), "LPA fixed point not found"
    return best, "LPA fixed point not spectrally resolved (increase grid or rho_max)"


def _rho0_guess(s: _Setup, w) -> float:
    wn = np.asarray(w)
    x = np.asarray(s.rho)
    i = int(np.argmax(wn > 0))
    if i == 0:
        return float(x[0])
    return float(x[i - 1] - wn[i - 1] * (x[i] - x[i - 1]) / (wn[i] - wn[i - 1]))


@functools.partial(jax.jit, static_argnames=("norm", "frozen_z"))
def _stability(X, s: _Setup, norm: str, frozen_z: bool):
    """Jacobian of the flow with η eliminated by the normalisation (spurious mode shifted)."""
    m = s.rho.shape[0]
    if frozen_z:
        return jax.jacfwd(lambda w: _lpa_residual(w, s))(X[:m])
    nx = X.shape[0] - 2
    xv, eta, r0 = X[:nx], X[nx], X[nx + 1]
    w, z = xv[:m], xv[m : 2 * m]

    def flow_xe(xv, e):
        return _flow_x(s, xv, e)

    fx = jax.jacfwd(flow_xe, argnums=0)(xv, eta)
    fe = jax.jacfwd(flow_xe, argnums=1)(xv, eta)
    if norm == "min":
        e = bary_weights_at(s.rho, s.bw, r0, jnp)
        de = jax.jacfwd(lambda r: bary_weights_at(s.rho, s.bw, r, jnp))(r0)
        a = de @ w  # ∂ w(ρ0)/∂ρ0
        c = jnp.concatenate([-(de @ z) / a * e, e, jnp.zeros(nx - 2 * m)])
    else:
        e = bary_weights_at(s.rho, s.bw, norm, jnp)
        c = jnp.concatenate([jnp.zeros(m), e, jnp.zeros(nx - 2 * m)])
    proj = fe / (c @ fe)
    return fx - jnp.outer(proj, c @ fx) + _SHIFT * jnp.outer(proj, c)


def _thetas(jac, k):
    ev = -np.linalg.eigvals(np.asarray(jac))
    ev = ev[np.argsort(-ev.real)]
    ev = ev[np.abs(ev + _SHIFT) > 1e-3 * _SHIFT]
    return ev[:k]


def _check(regulator, N, d, grid, norm, experimental=False):
    _validate.in_range("N", N, 1.0, 1000.0)
    _validate.in_range("d", d, 2.0, 4.0, low_open=True, high_open=True)
    _validate.integer("grid", grid, 8, 200)
    if norm != "min":
        _validate.in_range("norm", norm, 0.0)
    if not isinstance(regulator, AbstractRegulator):
        raise ValueError(f"regulator must be an frg regulator; got {regulator!r}")
    if regulator.support() is not None:
        raise ValueError(
            "regulator must be smooth (C^2) for the O(∂²) flow with this quadrature; "
            f"{type(regulator).__name__} has compact support (its g'' is a distribution)"
        )
    regulator.check(d)


def _default_rho_max(regulator, d) -> float:
    return 2.7 * float(threshold(regulator, d, 0.0, 1))


# --------------------------------------------------------------------------- public API
@x64
def de2_fixed_point(
    regulator: AbstractRegulator,
    *,
    N: int = 1,
    d: float = 3.0,
    grid: int = 32,
    rho_max: float | None = None,
    norm: float | str = 0.0,
    frozen_z: bool = False,
    experimental: bool = False,
) -> DE2FixedPoint:
    """Fixed point of the O(∂²) derivative expansion of the O(N) model.

    Solves ``∂_t w = ∂_t z = 0`` (equations in ``frg/_de2_flow.py``) with
    ``w(ρ̃₀) = 0`` and ``z(ρ̃_n) = 1`` (``norm=ρ̃_n``, default 0) or ``z(ρ̃₀) = 1`` (``norm="min"``)
    for ``(w, z, η, ρ̃₀)`` by Newton's method, from the LPA fixed point.

    Args:
        regulator: a smooth regulator, e.g. ``frg.Wetterich(a=α)``.
        N: number of field components, real 1 <= N <= 1000 (N > 1: with ỹ(ρ̃), η from the
            transverse z), see ``docs/de2.md``.
        d: dimension, 2 < d < 4.
        grid: Chebyshev polynomial degree (grid + 1 nodes).
        rho_max: right end of the ρ̃ interval (default 2.7 ℓ₁^d(0), about 2.5 ρ̃₀).
        norm: normalisation point ρ̃_n >= 0 of z(ρ̃_n) = 1, or ``"min"`` (z = 1 at the
            potential's minimum ρ̃₀).
        frozen_z: keep z ≡ 1, η = 0: the LPA fixed point.
        experimental: deprecated no-op, accepted for compatibility (N > 1 used to need it).

    Returns:
        :class:`DE2FixedPoint` with ``status``.

    Example:
        >>> fp = frg.de2_fixed_point(frg.Wetterich(a=2.0), d=3.0)
        >>> float(fp.eta)

    Reference: Canet, Delamotte, Mouhanna, Vidal, Phys. Rev. D 67, 065004 (2003).
    """
    _check(regulator, N, d, grid, norm, experimental)
    if rho_max is None:
        rho_max = _default_rho_max(regulator, d) * (N + 2) / 3.0
    _validate.in_range("rho_max", rho_max, 0.0, low_open=True)
    if norm != "min":
        _validate.in_range("norm", norm, 0.0, float(rho_max))
    s = _setup(regulator, d, grid, rho_max, N)
    scale = float(threshold(regulator, d, 0.0, 1))
    w_lpa, status = _lpa_start(s, scale)
    r0 = _rho0_guess(s, w_lpa)
    if frozen_z or status != "success":
        res = float(_max_residual(_lpa_residual, w_lpa, s))
        z = jnp.ones_like(w_lpa)
        zero = jnp.zeros_like(w_lpa)
        return DE2FixedPoint(s.rho, w_lpa, z, zero, jnp.asarray(0.0), jnp.asarray(r0), res, status)
    parts = [w_lpa, jnp.ones_like(w_lpa)] + ([jnp.zeros_like(w_lpa)] if N > 1 else [])
    X0 = jnp.concatenate(parts + [jnp.array([0.0, r0])])
    fn = _residual_fn(norm)
    X, _ = _newton(fn, X0, s, 1e-9, 60)
    fp = _fp_from(X, s, norm)
    if fp.status.startswith("fixed point not converged"):
        X, _ = _newton(fn, _lm(fn, X0, s), s, 1e-9, 60)
        fp = _fp_from(X, s, norm)
    return fp


def _residual_min(X, s):
    return _residual(X, s, "min")


class _ResidualAt(eqx.Module):
    rho_n: float

    def __call__(self, X, s):
        return _residual(X, s, self.rho_n)


def _residual_fn(norm):
    return _residual_min if norm == "min" else _ResidualAt(float(norm))


@eqx.filter_jit
def _max_residual(fn, X, s):
    return jnp.max(jnp.abs(fn(X, s)))


def _fp_from(X, s, norm):
    m = s.rho.shape[0]
    res = float(_max_residual(_residual_fn(norm), X, s))
    nx = X.shape[0] - 2
    w, z, eta, r0 = X[:m], X[m : 2 * m], X[nx], X[nx + 1]
    yy = X[2 * m : nx] if s.on else jnp.zeros_like(w)
    if not np.all(np.isfinite(np.asarray(X))) or res > 1e-5:
        status = f"fixed point not converged (residual {res:.3g})"
    elif _spectral_tail(w) > 1e-6 or _spectral_tail(z) > 1e-6:
        status = "fixed point not spectrally resolved (increase grid or rho_max)"
    elif not (0.0 < float(r0) < float(s.rho[-1])):
        status = "minimum rho0 outside the grid (increase rho_max)"
    else:
        status = "success"
    return DE2FixedPoint(s.rho, w, z, yy, eta, r0, jnp.asarray(res), status)


@x64
def de2_exponents(
    regulator: AbstractRegulator,
    *,
    N: int = 1,
    d: float = 3.0,
    grid: int = 32,
    rho_max: float | None = None,
    norm: float | str = 0.0,
    frozen_z: bool = False,
    n_theta: int = 4,
    experimental: bool = False,
) -> DE2Exponents:
    """Critical exponents ν, ω, η of the O(∂²) derivative expansion of the O(N) model.

    θ_i = −eig(∂F/∂(w, z)) at the fixed point, with η(w, z) eliminated through the
    normalisation condition; ν = 1/θ₁, ω = −θ₂.

    Args:
        regulator, N, d, grid, rho_max, frozen_z, experimental: as :func:`de2_fixed_point`.
        norm: fixed normalisation point ρ̃_n (``"min"`` is refused here).
        n_theta: how many leading θ_i to return.

    Returns:
        :class:`DE2Exponents` (``nu``, ``omega``, ``eta``, ``theta``, ``status``).

    Example:
        >>> ex = frg.de2_exponents(frg.Wetterich(a=2.0), d=3.0)
        >>> float(ex.nu), float(ex.eta)

    Reference: Canet, Delamotte, Mouhanna, Vidal, Phys. Rev. D 67, 065004 (2003).
    """
    if norm == "min":
        raise ValueError(
            "norm='min' is for de2_fixed_point only: the stability matrix needs a fixed "
            "normalisation point (norm = rho_n >= 0); see docs/de2.md"
        )
    fp = de2_fixed_point(
        regulator,
        N=N,
        d=d,
        grid=grid,
        rho_max=rho_max,
        norm=norm,
        frozen_z=frozen_z,
        experimental=experimental,
    )
    nan = jnp.asarray(jnp.nan)
    if fp.status != "success":
        return DE2Exponents(nan, nan, fp.eta, jnp.full((n_theta,), jnp.nan), fp, fp.status)
    s = _setup(regulator, d, grid, float(fp.rho[-1]), N)
    parts = [fp.w, fp.z] + ([fp.y] if N > 1 else [])
    X = jnp.concatenate(parts + [jnp.stack([fp.eta, fp.rho0])])
    th = _thetas(_stability(X, s, norm, frozen_z), n_theta)
    status = "success"
    if np.max(np.abs(th[:2].imag)) > 1e-8:
        status = "complex leading eigenvalues"
    theta = jnp.asarray(th.real)
    return DE2Exponents(1.0 / theta[0], -theta[1], fp.eta, theta, fp, status)


def _diff_exponent(alpha, X0, s0: _Setup, norm, which, family):
    """Exponent ``which`` at regulator ``family(alpha)`` on the grid of ``s0``: differentiable
    in alpha (the fixed point by implicit differentiation, θ₁/θ₂ by first-order eigenvalue
    perturbation)."""
    s = eqx.tree_at(lambda t: t.rule, s0, momentum_rule(family(alpha), s0.d))
    fn = _residual_fn(norm)
    sol = optx.root_find(
        fn, optx.Newton(rtol=1e-10, atol=1e-10), X0, args=s, max_steps=100, throw=False
    )
    X = sol.value
    if which == "eta":
        return X[-2]
    jac = _stability(X, s, norm, False)
    jn = jax.lax.stop_gradient(jac)
    lam, vr = jnp.linalg.eig(jn)
    lam_l, vl = jnp.linalg.eig(jn.T)
    order = jnp.argsort(lam.real)  # θ = −λ descending ⇔ λ ascending
    idx = order[0] if which == "nu" else order[1]
    j = jnp.argmin(jnp.abs(lam_l - lam[idx]))
    r, left = vr[:, idx], vl[:, j]
    lam_hf = (left @ (jac.astype(r.dtype) @ r)) / (left @ r)
    theta = -lam_hf.real
    return 1.0 / theta if which == "nu" else -theta


class _PMSArgs(eqx.Module):
    X0: jax.Array
    s0: _Setup
    norm: float | str = eqx.field(static=True)
    which: str = eqx.field(static=True)
    family: Callable = eqx.field(static=True)


def _pms_fn(alpha, a: _PMSArgs):
    """dX/dα (module-level, so optimistix's compiled solve is reused across calls)."""
    return jax.grad(_diff_exponent)(alpha, a.X0, a.s0, a.norm, a.which, a.family)


def _exponential(alpha):
    return Wetterich(a=alpha)


@x64
def de2_pms(
    *,
    which: str = "nu",
    N: float = 1,
    d: float = 3.0,
    grid: int = 32,
    rho_max: float | None = None,
    norm: float | str = 0.0,
    bracket: tuple[float, float] = (1.0, 4.0),
    family: Callable[[jax.Array], AbstractRegulator] | None = None,
) -> DE2PMS:
    """Principle of minimal sensitivity over a regulator parameter α: ``dX/dα = 0``.

    ``dX/dα`` is computed by ``jax.grad`` through the Newton fixed point (implicit
    differentiation, optimistix) and the eigenvalue problem (first-order perturbation
    with left/right eigenvectors); its zero in ``bracket`` is found by
    ``optx.root_find`` with ``optx.Bisection``.

    Args:
        which: exponent made stationary, ``"nu"``, ``"eta"`` or ``"omega"``.
        N, d, grid, rho_max, norm: as :func:`de2_fixed_point`.
        bracket: α interval containing the stationary point.
        family: ``α ↦ regulator`` (default ``frg.Wetterich(a=α)``,
            ``R = α Z q²/(e^{q²/k²} − 1)``); e.g. ``lambda a: frg.CustomShape(r, params=a)``.

    Returns:
        :class:`DE2PMS` with α_PMS, the exponent there and all exponents at α_PMS.

    Example:
        >>> pms = frg.de2_pms(which="nu", N=2, d=3.0, grid=16)
        >>> float(pms.alpha), float(pms.value)

    Reference: P. M. Stevenson, Phys. Rev. D 23, 2916 (1981); Canet et al., Phys. Rev. D
    67, 065004 (2003).
    """
    if which not in ("nu", "eta", "omega"):
        raise ValueError(f"which must be 'nu', 'eta' or 'omega'; got {which!r}")
    family = _exponential if family is None else family
    lo, hi = (float(v) for v in bracket)
    _validate.in_range("bracket[0]", lo, 0.0, low_open=True)
    if not hi > lo:
        raise ValueError("bracket must be (low, high) with high > low > 0")
    mid = 0.5 * (lo + hi)
    kw = dict(N=N, d=d, grid=grid, norm=norm)
    ex0 = de2_exponents(family(mid), rho_max=rho_max, **kw)
    if ex0.status != "success":
        nan = jnp.asarray(jnp.nan)
        return DE2PMS(nan, nan, ex0, f"no fixed point at alpha = {mid}: {ex0.status}")
    fp = ex0.fixed_point
    L = float(fp.rho[-1])
    parts = [fp.w, fp.z] + ([fp.y] if N > 1 else [])
    X0 = jnp.concatenate(parts + [jnp.stack([fp.eta, fp.rho0])])
    s0 = _setup(family(mid), d, grid, L, N)

    sol = optx.root_find(
        _pms_fn,
        optx.Bisection(rtol=1e-6, atol=1e-6, flip="detect"),
        jnp.asarray(mid),
        args=_PMSArgs(X0, s0, norm, which, family),
        options=dict(lower=lo, upper=hi),
        max_steps=60,
        throw=False,
    )
    alpha = sol.value
    ex = de2_exponents(family(float(alpha)), rho_max=L, **kw)
    value = {"nu": ex.nu, "eta": ex.eta, "omega": ex.omega}[which]
    ok = sol.result == optx.RESULTS.successful
    status = ex.status if ok else "PMS bisection did not converge (check bracket)"
    return DE2PMS(alpha, value, ex, status)


def de2_cli_exponents(
    *,
    N: float = 1,
    d: float = 3.0,
    regulator: str = "wetterich",
    alpha: float | None = None,
    grid: int = 32,
    norm: float | str = 0.0,
) -> dict:
    """Dict for ``frg exponents --truncation de2``: ``nu, omega, eta, theta, alpha, status``.

    With ``alpha=None`` the exponential regulator's prefactor is set at its PMS value for ν.

    Args:
        N, d, grid, norm: as :func:`de2_fixed_point`. regulator: only ``"wetterich"``.
        alpha: prefactor α of ``frg.Wetterich(a=α)``, or ``None`` for the PMS value.

    Returns:
        JSON-ready dict (also ``truncation``, ``N``, ``d``, ``regulator``, ``norm``).

    Example:
        >>> r = frg.de2_cli_exponents(N=1, d=3.0, alpha=2.0, grid=16)
        >>> r["status"], round(r["nu"], 3), round(r["eta"], 3)
        ('success', 0.628, 0.044)

    Reference: Canet, Delamotte, Mouhanna, Vidal, Phys. Rev. D 67, 065004 (2003).
    """
    _validate.in_range("N", N, 1.0, 1000.0)
    if regulator != "wetterich":
        raise ValueError(f"--truncation de2 supports regulator 'wetterich'; got {regulator!r}")
    if alpha is None:
        pms = de2_pms(which="nu", N=N, d=d, grid=grid, norm=norm)
        ex, a = pms.exponents, float(pms.alpha)
        status = pms.status
    else:
        _validate.in_range("alpha", alpha, 0.0, low_open=True)
        ex = de2_exponents(Wetterich(a=alpha), N=N, d=d, grid=grid, norm=norm)
        a, status = float(alpha), ex.status
    return {
        "truncation": "de2",
        "N": N,
        "d": d,
        "regulator": regulator,
        "alpha": a,
        "norm": norm,
        "nu": float(ex.nu),
        "omega": float(ex.omega),
        "eta": float(ex.eta),
        "theta": [float(t) for t in np.asarray(ex.theta)],
        "status": status,
    }
