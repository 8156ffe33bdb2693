"""LPA flow of the O(N) model in d dimensions: ∂_t U = k^d[(N−1)ℓ_1(U'/k²) + ℓ_1((U'+2ρU'')/k²)].

The state is ``u = ∂_σ U`` on a cell-centred grid in the field σ = |φ| = √(2ρ)
(odd in σ: symmetry ghost cell at σ = 0) plus ``U(0)``; the flow is written in
conservative form ``∂_t u = ∂_σ F``, F = k^d[(N−1)ℓ_1(u/(σk²)) + ℓ_1(∂_σu/k²)] (pure
nonlinear diffusion for N = 1), and discretised with a centred three-point
finite-volume flux (``frg/_grid.py``), so the Jacobian is tridiagonal. ℓ_1 is
continued smoothly past the propagator pole (``pole_gap``), so trial states that
overshoot it stay finite. It is integrated in s = −t = ln(Λ/k) by diffrax (integral
step control) with the L-stable, linearly implicit :class:`~frg.Rodas4` stepper
(``frg/_flow/solvers.py``; :class:`~frg.Rodas5P`: order 5, eight stages;
:class:`~frg.Kvaerno5`/:class:`~frg.Kvaerno3`: ESDIRK with Newton iterations): one
coloured JVP per step gives the tridiagonal Jacobian, and its six stage solves are O(n)
(Thomas factorisation once per step on the CPU, ``gtsv`` on accelerators). This
keeps the broken phase (convexity restoration: U' → −k² inside the minimum, stiff and
shock-like) stable.
The dimensionless form :func:`lpa_rhs_dimensionless` works on a ρ̃ grid.
See docs/lpa.md for the measurements behind the choice.

Conventions (docs/theory/conventions.md): t = ln(k/Λ), ρ = φ²/2, R_k = Z p² r(y);
read-outs ρ0 = position of the minimum of U (0 in the symmetric phase), m2R = U'(0)
in the symmetric phase and 2ρ0 U''(ρ0) (outer side) in the broken phase.
Tolerances and ``pole_gap`` are traced (a new value does not recompile);
``max_steps`` sizes diffrax's loop and is static.

Reference: E. Koenigstein et al., SciPost Phys. 12, 180 (2022) (FRG flows as
conservation laws); J. Berges, N. Tetradis, C. Wetterich, Phys. Rep. 363, 223 (2002).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import diffrax
import equinox as eqx
import jax
import jax.lax as lax
import jax.numpy as jnp
import numpy as np

from .._compile import filter_jit
from .._results import RESULTS
from .._validate import finite, in_range, integer
from .._x64 import as_float64, numbers_as_float64, x64
from . import _grid
from ._rosenbrock import _AbstractRodas
from .regulators import AbstractRegulator
from .solvers import Rodas4, TridiagonalNewton, pid_coefficients
from .threshold import ThresholdRule, eta_rule, threshold_rule

__all__ = [
    "RhoPotential",
    "FlowSolution",
    "solve_flow",
    "lpa_rhs_dimensionless",
    "threshold_rule_eta",
]


# --------------------------------------------------------------------------- potentials
class RhoPotential(eqx.Module):
    """Bare potential ``U_Λ(ρ) = lam/2 (ρ − kappa)² + Σ_{n≥3} g_n ρ^n`` (a pytree).

    Args:
        lam, kappa: quartic coupling and minimum position.
        couplings: ``(g3, g4, ...)``, coefficients of ρ³, ρ⁴, ...

    Example:
        >>> U = frg.RhoPotential(lam=1.0, kappa=0.05)
        >>> U(0.05), U(0.0)   # 0 at the minimum, lam kappa^2 / 2 at the origin
        (0.0, 0.00125)
    """

    lam: float | jax.Array = 1.0
    kappa: float | jax.Array = 0.0
    couplings: tuple = ()

    def __call__(self, rho):
        return self.values_and_slopes(rho)[0]

    def values_and_slopes(self, rho):
        """``(U_Λ(ρ), U_Λ'(ρ))`` in closed form: NumPy in, NumPy out for concrete
        couplings (the eager input check of :func:`solve_flow` uses it instead of a
        compiled call)."""
        lam, kappa = self.lam, self.kappa
        U = 0.5 * lam * (rho - kappa) ** 2
        dU = lam * (rho - kappa)
        for i, g in enumerate(self.couplings):
            U = U + g * rho ** (i + 3)
            dU = dU + (i + 3) * g * rho ** (i + 2)
        return U, dU


# --------------------------------------------------------------------------- η threshold
def threshold_rule_eta(regulator: AbstractRegulator, d) -> ThresholdRule:
    """Rule for the anomalous-dimension part: ``ℓ_n(w; η) = ℓ_n(w) + η · rule_eta(w, n)``.

    With ``∂_t R_k = Z k²[2(g − y g') − η g]`` the η part is
    ``−η v_d ∫ dy y^{d/2−1} g(y)/(y + g + w)^n``, i.e. minus :func:`frg.eta_rule`
    (one implementation of the quadrature); for Litim it is
    ``−η (4 v_d/d)/(d+2)/(1+w)^n`` (one node, exact).

    Example:
        >>> re = frg.threshold_rule_eta(frg.Litim(), 3.0)
    """
    rule = eta_rule(regulator, d)
    return ThresholdRule(y=rule.y, q=rule.q, c=-rule.c)


# --------------------------------------------------------------------------- dimensionless RHS
def lpa_rhs_dimensionless(u, rho_tilde, rule, d, N, eta=0.0, *, rule_eta=None):
    """Dimensionless LPA flow ``∂_t u`` on the cell-centred grid (stable signature).

    For ``u = U'/(Z k²)`` as a function of ``ρ̃ = Z k^{2−d} ρ`` (held fixed):

        ∂_t u = −(2−η) u + (d−2+η) ρ̃ ∂_ρ̃ u + ∂_ρ̃ [(N−1) ℓ_1(u) + ℓ_1(u + 2ρ̃ ∂_ρ̃ u)],

    with ℓ_1 from ``rule`` (``frg.threshold_rule(reg, d)``) plus ``eta *
    rule_eta`` (``frg.threshold_rule_eta(reg, d)``) when ``rule_eta`` is given (η in
    the regulator insertion; without it η enters only the scaling terms). The flux
    term uses the same conservative centred finite-volume scheme as
    :func:`solve_flow` (``frg/_grid.py``), the scaling term ``ρ̃ ∂ρ̃ u`` centred
    differences. NaN where an argument of ℓ_1 is past the pole.

    Args:
        u: array (n,), cell values on ``rho_tilde``.
        rho_tilde: array (n,), uniform cell centres ``(j + 1/2) h`` (n ≥ 3).
        rule: a :class:`~frg.ThresholdRule`.
        d, N: dimension and number of field components (traceable).
        eta: anomalous dimension.
        rule_eta: optional η-part rule.

    Returns:
        ``∂_t u``, array (n,).

    Example:
        >>> r = (jnp.arange(64) + 0.5) * 0.02
        >>> rule = frg.threshold_rule(frg.Litim(), 3.0)
        >>> f = frg.lpa_rhs_dimensionless(0.1 * r - 0.02, r, rule, 3.0, 1.0)

    Reference: Berges, Tetradis, Wetterich, Phys. Rep. 363, 223 (2002), eq. (5.8).
    """
    u = jnp.asarray(u)
    rho_tilde = jnp.asarray(rho_tilde)
    h = 2.0 * rho_tilde[0]
    div, _ = _grid.flux_divergence(u, h, rule, N, 1.0, rule_eta=rule_eta, eta=eta)
    du = _grid.centred_slope(u, h)
    return -(2.0 - eta) * u + (d - 2.0 + eta) * rho_tilde * du + div


# --------------------------------------------------------------------------- solution
class FlowSolution(eqx.Module):
    """Result of :func:`solve_flow` (a pytree; outputs NaN-masked unless ``result`` is
    ``frg.RESULTS.successful``).

    Attributes:
        k: (m,) scales of the saved states (decreasing, first Λ, last k_ir by default).
        rho: (n,) cell centres.
        U, dU, d2U: (m, n) U, U' = u and U'' at cell centres.
        rho0, m2R: (m,) minimum position and curvature mass at each k.
        m2R_error: (m,) estimate of the grid error of ``m2R`` (see :func:`solve_flow`).
        result: :class:`frg.RESULTS` (``successful``, ``max_steps_reached``, ``pole``,
            ``nonfinite``, ``minimum_left_grid``).
        num_steps, num_accepted, num_rejected: step counts of the solver.
    """

    k: jax.Array
    rho: jax.Array
    U: jax.Array
    dU: jax.Array
    d2U: jax.Array
    rho0: jax.Array
    m2R: jax.Array
    m2R_error: jax.Array
    result: RESULTS
    num_steps: jax.Array
    num_accepted: jax.Array
    num_rejected: jax.Array

    def dimensionless(self, d, Lambda=None):
        """The flow in dimensionless variables at the saved scales:

            t = ln(k/Λ),   κ̃ = k^{2−d} ρ0,   m̃² = m²_R/k²,

        which approach constants (the Wilson–Fisher fixed point) on the critical
        surface and run away (κ̃ → ∞ broken, m̃² → ∞ symmetric) off it.

        Args:
            d: dimension of the flow; Lambda: UV scale (default: the first saved k).

        Returns:
            ``(t, kappa_tilde, m2_tilde)``, arrays (m,).

        Example:
            >>> sol = frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Litim(), grid=32,
            ...                      k_ir=0.1, ks_out=jnp.array([1.0, 0.1]))
            >>> t, kt, mt = sol.dimensionless(3.0)
            >>> round(float(t[-1]), 6)
            -2.302585
        """
        k = self.k
        Lambda = k[0] if Lambda is None else Lambda
        return jnp.log(k / Lambda), k ** (2.0 - d) * self.rho0, self.m2R / k**2

    @property
    def status(self) -> jax.Array:
        """Integer code of ``result`` (0 = successful), for batched comparisons."""
        return self.result._value

    @property
    def message(self) -> str:
        """Readable result (concrete, scalar result only)."""
        return RESULTS[self.result]

    @property
    def ok(self) -> bool:
        """Whether every member succeeded (concrete result)."""
        return bool(np.all(np.asarray(self.result._value) == 0))


def _root_and_slope(u3, h):
    """Root ``x0`` (nearest 0, ``x0 ≤ 0`` expected) and slope there of the parabola through
    ``(0, u3[0]), (h, u3[1]), (2h, u3[2])``."""
    c0 = u3[0]
    c1 = (-3.0 * u3[0] + 4.0 * u3[1] - u3[2]) / (2.0 * h)
    c2 = (u3[0] - 2.0 * u3[1] + u3[2]) / (2.0 * h * h)
    x = -c0 / c1
    for _ in range(3):  # Newton from the linear root: converged to rounding for |x| ≲ h
        x = x - (c0 + c1 * x + c2 * x * x) / (c1 + 2.0 * c2 * x)
    return x, c1 + 2.0 * c2 * x


def _readout(u, h):
    """ρ0, m2R and an error estimate of m2R from field-grid cell values ``u = ∂_σ U`` (n,)
    at one k; and the 'minimum off grid' flag.

    Broken phase (U'(0) < 0): the minimum σ0 is the root of u on the outer side of the
    convexity front (inside, u ≈ −k²σ is flat and carries no information on the outer
    curvature), and m2R = ∂_σ²U(σ0) = 2ρ0 U''(ρ0) the slope of u there. Both come from
    the parabola through the first three cells beyond the front, extrapolated to its
    root (second order in h; a difference across the front would be first order). The
    error estimate is the difference to the same read-out from the next three cells.
    The minimum counts as off the grid when fewer than three cells lie beyond it.
    Symmetric phase: m2R = U'(0) extrapolated from U'(ρ) = u/σ, even in σ, at the first
    two cells (O(h⁴)); error estimate: the difference to the three-cell extrapolation.
    """
    n = u.shape[-1]
    sig = (jnp.arange(n) + 0.5) * h
    v, up0 = _grid.field_uprime(u, h)
    pos = u > 0
    # first cell beyond the last non-positive one: the outer side of the minimum
    last_neg = jnp.max(jnp.where(~pos, jnp.arange(n), -1))
    j = jnp.clip(last_neg + 1, 0, n - 3)
    x0, s = _root_and_slope(lax.dynamic_slice(u, (j,), (3,)), h)
    # the next three cells (the previous three at the outer edge of the grid)
    j1 = jnp.where(j + 1 <= n - 3, j + 1, j - 1)
    x1, s1 = _root_and_slope(lax.dynamic_slice(u, (j1,), (3,)), h)
    sig0 = jnp.maximum(sig[j] + x0, 0.0)
    broken = up0 < 0
    rho0 = jnp.where(broken, 0.5 * sig0**2, 0.0)
    m2R = jnp.where(broken, s, up0)
    # U'(0) from a + b σ² + c σ⁴ through the first three cells (σ² = 1/4, 9/4, 25/4 h²)
    up0_3 = (150.0 * v[..., 0] - 25.0 * v[..., 1] + 3.0 * v[..., 2]) / 128.0
    err = jnp.where(broken, jnp.abs(s1 - s), jnp.abs(up0_3 - up0))
    off = broken & (last_neg >= n - 3)
    return rho0, m2R, err, off


_DT0 = 1e-3
_KAPPA = 0.1  # Newton stopping threshold (TridiagonalNewton.kappa)


class _FirstStep(diffrax.AbstractAdaptiveStepSizeController):
    """An adaptive controller whose first step is ``dt0`` where the solve passes none.

    The flow calls ``diffeqsolve(..., dt0=None)`` with its first step here. Given a
    ``dt0``, diffrax checks the sign of ``(t1 − t0)·dt0`` with an equinox run-time
    check, a host callback when ``t1 = ln(Λ/k_ir)`` is traced, and JAX's persistent
    compilation cache stores no program with a host callback. The sign is checked on
    the host before compile (``k_ir < Lambda``); every step is the wrapped
    controller's, the first one included.
    """

    inner: diffrax.AbstractAdaptiveStepSizeController
    dt0: float | jax.Array

    @property
    def rtol(self):
        return self.inner.rtol

    @property
    def atol(self):
        return self.inner.atol

    @property
    def norm(self):
        return self.inner.norm

    def wrap(self, direction):
        return _FirstStep(self.inner.wrap(direction), self.dt0 * direction)

    def init(self, terms, t0, t1, y0, dt0, args, func, error_order):
        dt0 = self.dt0 if dt0 is None else dt0
        return self.inner.init(terms, t0, t1, y0, dt0, args, func, error_order)

    def adapt_step_size(self, *args, **kwargs):
        return self.inner.adapt_step_size(*args, **kwargs)


# Rodas5P rejects a step whose result puts an interface deeper than this exponent into
# the continued threshold function ℓ_1(w_c) e^x (x = r (w_c − w), _grid.ell_continued):
# accepted states of B1 flows stay at x ≲ 3; without the check a Rosenbrock step can
# land at x ≈ 60 (flux × e^60), where the flow is stuck (docs/lpa.md, "Steppers").
_MAX_CONTINUATION_EXPONENT = 20.0


def _with_flow_parts(solver, controller, admissible, rtol, atol):
    """The solver with the flow's admissibility test (Rodas) or tridiagonal Newton
    solve at the controller's tolerances (frg's ESDIRKs)."""
    if isinstance(solver, _AbstractRodas):  # linearly implicit: no root finder
        return dataclasses.replace(solver, admissible=admissible)
    if isinstance(solver, diffrax.AbstractImplicitSolver) and hasattr(solver, "pid_coefficients"):
        rt, at = getattr(controller, "rtol", rtol), getattr(controller, "atol", atol)
        root = TridiagonalNewton(rtol=rt, atol=at, kappa=_KAPPA)
        return eqx.tree_at(lambda s: s.root_finder, solver, root)
    return solver


def _solve_impl(
    potential,
    rule,
    d,
    N,
    Lambda,
    k_ir,
    rho_max,
    ks_out,
    n,
    rtol,
    atol,
    max_steps,
    gap,
    solver,
    controller,
    goldstone=True,
):
    s1 = jnp.log(Lambda / k_ir)
    if ks_out is None:
        s_out = jnp.stack([jnp.zeros(()), s1])
    else:
        s_out = jnp.clip(jnp.log(Lambda / ks_out), 0.0, s1)
    sig_max = jnp.sqrt(2.0 * rho_max)
    h = sig_max / n
    sig = (jnp.arange(n) + 0.5) * h
    u_init = jax.vmap(jax.grad(lambda x: potential(0.5 * x * x)))(sig)
    U0 = potential(jnp.zeros(()))
    y0 = jnp.concatenate([U0[None], u_init])

    cont = _grid.continuation(rule, gap)  # once, outside the step loop

    def scales(s):
        # 1/k² and k^d from one exp of a 2-vector (one small kernel per stage, not three)
        return jnp.stack([Lambda**-2, Lambda**d]) * jnp.exp(s * jnp.stack([2.0, -d]))

    def vf(s, y, args):
        inv_k2, kd = scales(s)
        F = _grid.field_flux(y[1:], h, rule, N, inv_k2, cont, goldstone=goldstone)
        # d/ds = −d/dt;  ∂_t U(0) = k^d F_0,  ∂_t u_j = k^d (F_{j+1} − F_j)/h
        # (F and the state both have n + 1 entries; a shifted copy instead of a
        # concatenate keeps this one elementwise kernel)
        F_prev = jnp.pad(F[:-1], (1, 0))
        return -kd * jnp.where(jnp.arange(n + 1) == 0, F, (F - F_prev) / h)

    def admissible(s, y, args):
        # every interface argument short of deep continuation and every entry finite,
        # as one elementwise test and one reduction (x is monotone in w, so this is
        # x(min w) < max; a NaN fails both)
        gold, slope = _grid.field_interface(y[1:], h)
        x = _grid.continuation_exponent(jnp.minimum(gold, slope) * scales(s)[0], rule, cont)
        return jnp.all((x < _MAX_CONTINUATION_EXPONENT) & jnp.isfinite(y))

    # default read-out at Λ and k_ir: save the end points (no dense interpolation, no
    # inner saving loop in every step)
    saveat = diffrax.SaveAt(t0=True, t1=True) if ks_out is None else diffrax.SaveAt(ts=s_out)
    if controller is None:
        pcoeff, icoeff = pid_coefficients(solver)
        # saved scales are step ends (step_ts): a saved state is a step's result, never a
        # dense-output interpolant (cubic Hermite overshoots the stiff flat region of the
        # broken phase, past the pole)
        controller = diffrax.PIDController(
            rtol=rtol,
            atol=atol,
            pcoeff=pcoeff,
            icoeff=icoeff,
            step_ts=None if ks_out is None else s_out,
        )
    dt0 = _DT0
    if isinstance(controller, diffrax.AbstractAdaptiveStepSizeController):
        controller, dt0 = _FirstStep(controller, _DT0), None  # no host callback
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(vf),
        _with_flow_parts(solver, controller, admissible, rtol, atol),
        t0=0.0,
        t1=s1,
        dt0=dt0,
        y0=y0,
        saveat=saveat,
        stepsize_controller=controller,
        max_steps=max_steps,
        throw=False,
    )
    ys = sol.ys
    U0s, us = ys[:, 0], ys[:, 1:]
    ks = Lambda * jnp.exp(-s_out)
    rho0, m2R, m2R_error, off = jax.vmap(lambda u: _readout(u, h))(us)
    dU, _ = _grid.field_uprime(us, h)
    # U'' = (∂_σ u − u/σ)/σ²
    d2U = (_grid.centred_slope(us, h) - dU) / sig**2
    U = _grid.integrate_cells(us, h, U0s)
    res = sol.result
    wmin = jax.vmap(lambda u: _grid.min_interface_argument(u, h))(us) / ks**2
    # the flux is continued past w_pole + pole_gap (see _grid.ell_continued); a state
    # that sits further than 1 (in w) past the pole is a genuine pole crossing
    pole_ok = jnp.all(wmin > rule.w_pole - 1.0)
    finite_ok = jnp.all(jnp.isfinite(ys))
    result = RESULTS.where(
        res == diffrax.RESULTS.successful,
        RESULTS.where(
            ~(pole_ok & finite_ok),
            RESULTS.nonfinite,
            RESULTS.where(jnp.any(off), RESULTS.minimum_left_grid, RESULTS.successful),
        ),
        RESULTS.where(
            res == diffrax.RESULTS.max_steps_reached, RESULTS.max_steps_reached, RESULTS.pole
        ),
    )
    bad = result != RESULTS.successful
    mask = lambda x: jnp.where(bad, jnp.nan, x)
    stats = sol.stats
    return FlowSolution(
        k=ks,
        rho=0.5 * sig**2,
        U=mask(U),
        dU=mask(dU),
        d2U=mask(d2U),
        rho0=mask(rho0),
        m2R=mask(m2R),
        m2R_error=mask(m2R_error),
        result=result,
        num_steps=stats["num_steps"],
        num_accepted=stats["num_accepted_steps"],
        num_rejected=stats["num_rejected_steps"],
    )


# XLA:CPU options for the solve (frg/_compile.py; docs/lpa.md, "Speed"): with the
# legacy LLVM-IR fusion emitters this graph compiles in ~3 s instead of ~5 s and runs
# ~9 % faster (B1, same iterates).
_solve = filter_jit(_solve_impl)


def _goldstone(N) -> bool:
    """Whether the flow needs the Goldstone flux: unless N = 1 is known before tracing
    (then half the ℓ evaluations per stage)."""
    N_value = _concrete(N)
    return not (N_value is not None and N_value.shape == () and N_value == 1.0)


def _concrete(x):
    """``x`` as a NumPy array if concrete, else ``None`` (traced: skip eager checks)."""
    try:
        return np.asarray(x, dtype=np.float64)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None
    except TypeError:
        return None


def _check_scalar(name, value, low, high, low_open=False, high_open=False):
    if _concrete(value) is None:
        return
    in_range(name, value, low, high, low_open=low_open, high_open=high_open)


@eqx.filter_jit
def _potential_on_grid(potential, rho):
    """``U_Λ`` and ``U_Λ'`` at the points ``rho`` (jitted: eager op-by-op evaluation cost
    ~6 ms per :func:`solve_flow` call, a tenth of a warm B1 solve)."""
    return jax.vmap(potential)(rho), jax.vmap(jax.grad(potential))(rho)


def _check_potential(potential, rho_max, n, Lambda, pole, name="potential"):
    leaves = [x for x in jax.tree_util.tree_leaves(potential) if eqx.is_array_like(x)]
    if any(_concrete(x) is None for x in leaves):
        return
    for x in leaves:
        finite(f"{name} coupling", x)
    rho = (np.arange(n) + 0.5) * rho_max / n
    with jax.enable_x64(True):
        try:
            if isinstance(potential, RhoPotential):  # closed form (µs, no compiled call)
                # called on the class: `potential.values_and_slopes` would build an
                # equinox BoundMethod module (~30 µs) on every access
                vs = RhoPotential.values_and_slopes(potential, rho)
                Uv, uv = (np.asarray(x, dtype=np.float64) for x in vs)
            else:
                Uv, uv = (np.asarray(x) for x in _potential_on_grid(potential, jnp.asarray(rho)))
        except Exception as exc:  # noqa: BLE001
            raise ValueError(
                f"{name} must be a jnp-traceable function of rho returning a scalar: {exc}"
            ) from exc
    if not (np.all(np.isfinite(Uv)) and np.all(np.isfinite(uv))):
        raise ValueError(f"{name}: U_Lambda must be finite on the grid [0, rho_max]")
    if not (uv[-1] > 0):
        raise ValueError(
            f"{name}: U_Lambda is unbounded below on the grid (U' at rho_max = {uv[-1]:.3g}; "
            "valid: U' > 0 at rho_max, i.e. U increasing at the grid's outer edge)"
        )
    radial = uv + 2 * rho * np.gradient(uv, rho_max / n)  # uniform spacing: a scalar
    if np.min(uv) / Lambda**2 <= pole or np.min(radial) / Lambda**2 <= pole:
        raise ValueError(
            f"Lambda = {Lambda:g} is too small for this U_Lambda: need Lambda^2 + U' > 0 "
            f"(and Lambda^2 + U' + 2 rho U'' > 0) on the grid; min U' = {np.min(uv):.3g}"
        )


def validate_flow_inputs(potential, regulator, d, N, Lambda, k_ir, n, rho_max, *, d_low=0.0):
    """Eager checks of every argument of :func:`solve_flow` (ValueError naming it).

    Runs on concrete values only (traced arguments, e.g. under ``vmap``, skip their checks),
    evaluated eagerly even inside a user's ``jit`` (``ensure_compile_time_eval``).
    """
    with jax.ensure_compile_time_eval():
        return _validate_flow_inputs(potential, regulator, d, N, Lambda, k_ir, n, rho_max, d_low)[0]


def _validate_flow_inputs(potential, regulator, d, N, Lambda, k_ir, n, rho_max, d_low):
    n = integer("grid", n, 8)
    if not isinstance(regulator, AbstractRegulator):
        raise ValueError(f"regulator must be an frg regulator; got {regulator!r}")
    _check_scalar("d", d, d_low, 4.0, low_open=True)
    _check_scalar("N", N, 1.0, np.inf)
    _check_scalar("Lambda", Lambda, 0.0, np.inf, low_open=True)
    _check_scalar("rho_max", rho_max, 0.0, np.inf, low_open=True)
    Lc, kc = _concrete(Lambda), _concrete(k_ir)
    if kc is not None:
        hi = float(Lc) if Lc is not None else np.inf
        in_range("k_ir", k_ir, 0.0, hi, low_open=True, high_open=True)
    dc = _concrete(d)
    if (
        dc is not None
        and d_low == 0.0
        and all(_concrete(x) is not None for x in jax.tree_util.tree_leaves(regulator))
    ):
        type(regulator).check(regulator, float(dc))  # on the class: no BoundMethod (~30 µs)
    if not callable(potential):
        raise ValueError("potential must be a callable U_Lambda(rho)")
    rc = _concrete(rho_max)
    if Lc is not None and rc is not None and dc is not None:
        rule = threshold_rule(regulator, float(dc)) if d_low == 0.0 else None
        pole = float(np.asarray(rule.w_pole)) if rule is not None else -1.0
        _check_potential(potential, float(rc), n, float(Lc), pole)
        # the rule of the concrete d, returned for reuse (solve_flow: one build, not two)
        return n, rule
    return n, None


def _check_solver(solver, stepsize_controller, rtol, atol, max_steps, pole_gap):
    """Eager checks of the solver arguments of :func:`solve_flow` (ValueError naming them)."""
    if not isinstance(solver, diffrax.AbstractAdaptiveSolver):
        raise ValueError(
            f"solver must be a diffrax adaptive solver such as frg.Rodas4(), frg.Rodas5P(), "
            f"frg.Kvaerno5() or frg.Kvaerno3(); got {solver!r}"
        )
    if stepsize_controller is not None and not isinstance(
        stepsize_controller, diffrax.AbstractStepSizeController
    ):
        raise ValueError(
            f"stepsize_controller must be a diffrax step-size controller (e.g. "
            f"diffrax.PIDController) or None; got {stepsize_controller!r}"
        )
    _check_scalar("rtol", rtol, 0.0, 1.0, low_open=True, high_open=True)
    _check_scalar("atol", atol, 0.0, np.inf, low_open=True)
    _check_scalar("pole_gap", pole_gap, 0.0, 1.0, low_open=True, high_open=True)
    return integer("max_steps", max_steps, 1)


@x64
def solve_flow(
    potential: Callable,
    regulator: AbstractRegulator,
    *,
    d=3.0,
    N=1.0,
    Lambda=1.0,
    k_ir=1e-3,
    grid: int = 128,
    rho_max=0.1,
    ks_out=None,
    solver: diffrax.AbstractAdaptiveSolver | None = None,
    stepsize_controller: diffrax.AbstractStepSizeController | None = None,
    rtol=1e-6,
    atol=1e-9,
    max_steps: int = 20_000,
    pole_gap=1e-2,
    throw: bool = False,
) -> FlowSolution:
    """Solve the LPA flow ``∂_t U = k^d[(N−1)ℓ_1(U'/k²) + ℓ_1((U'+2ρU'')/k²)]`` from Λ to k_ir.

    Args:
        potential: ``U_Λ(ρ)``, any jnp-traceable function of ρ = φ²/2 (an
            ``eqx.Module`` such as :class:`RhoPotential` makes its couplings
            differentiable/vmappable).
        regulator: an :class:`~frg.AbstractRegulator` (its parameters are traced).
        d: dimension, 0 < d ≤ 4. N: number of components, real N ≥ 1.
        Lambda, k_ir: UV and IR scales, 0 < k_ir < Λ.
        grid: number of cells (≥ 8), ``rho_max``: grid extent [0, rho_max].
        ks_out: scales at which to save (descending, within [k_ir, Λ]); default
            ``[Λ, k_ir]``.
        solver: :class:`~frg.Rodas4` (default: linearly implicit Rosenbrock, order 4, six
            tridiagonal solves per step, no Newton iterations), :class:`~frg.Rodas5P`
            (order 5, eight solves: fewer steps in the symmetric phase, more in the
            broken one), :class:`~frg.Kvaerno5` or :class:`~frg.Kvaerno3` (ESDIRK with a
            tridiagonal Newton solve), or any diffrax adaptive solver; docs/lpa.md
            "Steppers".
        stepsize_controller: a diffrax controller; default ``diffrax.PIDController(rtol,
            atol)`` with the solver's ``pid_coefficients``.
        rtol, atol: tolerances of the default controller (and of the ESDIRKs' Newton
            solve), traced: a new value does not recompile.
        max_steps: step limit (static: it sizes diffrax's loop).
        pole_gap: where the threshold function's exponential continuation starts
            (``w_pole + pole_gap``, docs/lpa.md), traced.
        throw: raise (an ``EquinoxRuntimeError`` with the message) when the result is
            not ``successful``; the default ``False`` reports it in ``result``.

    Returns:
        :class:`FlowSolution`; check ``result`` (``frg.RESULTS.successful``; ``message``).
        ``m2R_error`` estimates the grid error of ``m2R`` (the difference of two
        second-order read-outs, see docs/lpa.md "Read-outs").

    Example:
        >>> sol = frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Litim(), d=3, N=1,
        ...                      Lambda=1.0, k_ir=1e-3, grid=128, rho_max=0.1)
        >>> sol.message, round(float(sol.rho0[-1]), 4), round(float(sol.m2R[-1]), 3)
        ('success', 0.0195, 0.02)

    Reference: Koenigstein et al., SciPost Phys. 12, 180 (2022).
    """
    solver = Rodas4() if solver is None else solver
    with jax.ensure_compile_time_eval():
        max_steps = _check_solver(solver, stepsize_controller, rtol, atol, max_steps, pole_gap)
        n, rule = _validate_flow_inputs(
            potential, regulator, d, N, Lambda, k_ir, grid, rho_max, 0.0
        )
    if rule is None:
        rule = threshold_rule(regulator, d)
    sol = _solve_core(
        potential,
        rule,
        d,
        N,
        Lambda,
        k_ir,
        rho_max,
        ks_out,
        n,
        rtol,
        atol,
        max_steps,
        pole_gap,
        solver,
        stepsize_controller,
    )
    if throw:
        sol = sol.result.error_if(sol, sol.result != RESULTS.successful)
    return sol


def _solve_core(
    potential,
    rule,
    d,
    N,
    Lambda,
    k_ir,
    rho_max,
    ks_out,
    n,
    rtol,
    atol,
    max_steps,
    pole_gap,
    solver=None,
    controller=None,
    goldstone=None,
):
    solver = Rodas4() if solver is None else solver
    # Python-number couplings and tolerances → float64 arrays, so that new values do
    # not recompile (filter_jit would treat them as static)
    potential = numbers_as_float64(potential)
    ks_out = None if ks_out is None else as_float64(ks_out)
    # (``goldstone`` given: the caller decided, e.g. before its own jit traced N)
    if goldstone is None:
        goldstone = _goldstone(N)
    return _solve(
        potential,
        rule,
        as_float64(d),
        as_float64(N),
        as_float64(Lambda),
        as_float64(k_ir),
        as_float64(rho_max),
        ks_out,
        n,
        as_float64(rtol),
        as_float64(atol),
        max_steps,
        as_float64(pole_gap),
        solver,
        numbers_as_float64(controller, ints=False),  # tolerances traced
        goldstone,
    )
