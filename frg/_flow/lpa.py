"""LPA flow of the O(N) model in d dimensions: ∂_t U = k^d[(N−1)ℓ_1(U'/k²) + ℓ_1((U'+2ρU'')/k²)].

The state is ``u = ∂_σ U`` on a cell-centred grid in the field σ = |φ| = √(2ρ)
(odd in σ: symmetry ghost cell at σ = 0) plus ``U(0)``; the flow is written in
conservative form ``∂_t u = ∂_σ F``, F = k^d[(N−1)ℓ_1(u/(σk²)) + ℓ_1(∂_σu/k²)] (pure
nonlinear diffusion for N = 1), and discretised with a centred three-point
finite-volume flux (``frg/_grid.py``), so the Jacobian is tridiagonal. ℓ_1 is
continued smoothly past the propagator pole (``pole_gap``), so trial states that
overshoot it stay finite. It is integrated in s = −t = ln(Λ/k) by diffrax (integral
step control) with the L-stable, linearly implicit Rodas4 stepper (``frg/_rosenbrock.py``;
``stepper="rodas5p"``: order 5, eight stages; ``"kvaerno5"``/``"kvaerno3"``: ESDIRK
with Newton iterations): one coloured JVP per step gives the tridiagonal Jacobian, and
its six stage solves are O(n)
(Thomas factorisation once per step on the CPU, ``gtsv`` on accelerators). This
keeps the broken phase (convexity restoration: U' → −k² inside the minimum, stiff and
shock-like) stable.
The dimensionless form :func:`lpa_rhs_dimensionless` works on a ρ̃ grid.
See docs/lpa.md for the measurements behind the choice.

Conventions (docs/theory/conventions.md): t = ln(k/Λ), ρ = φ²/2, R_k = Z p² r(y);
read-outs ρ0 = position of the minimum of U (0 in the symmetric phase), m2R = U'(0)
in the symmetric phase and 2ρ0 U''(ρ0) (outer side) in the broken phase.

Reference: E. Koenigstein et al., SciPost Phys. 12, 180 (2022) (FRG flows as
conservation laws); J. Berges, N. Tetradis, C. Wetterich, Phys. Rep. 363, 223 (2002).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import diffrax
import equinox as eqx
import jax
import jax.lax as lax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from .._validate import finite, in_range, integer
from .._x64 import as_float64, x64
from . import _grid
from ._rosenbrock import Rodas4, Rodas5P, _AbstractRodas, tridiagonal_jvp
from .regulators import AbstractRegulator
from .threshold import ThresholdRule, eta_rule, threshold_rule

__all__ = [
    "RhoPotential",
    "FlowSolution",
    "solve_flow",
    "lpa_rhs_dimensionless",
    "threshold_rule_eta",
    "STATUS_MESSAGES",
]

STATUS_MESSAGES = {
    0: "success",
    1: "step limit reached (max_steps) before k_ir",
    2: "integration failed: the propagator pole k² + U' → 0 was reached or the state "
    "became non-finite (step size collapsed)",
    3: "non-finite values or pole crossed in the result",
    4: "the minimum of U left the grid (increase rho_max)",
}


# --------------------------------------------------------------------------- potentials
class RhoPotential(eqx.Module):
    """Bare potential ``U_Λ(ρ) = lam/2 (ρ − kappa)² + Σ_{n≥3} g_n ρ^n`` (a pytree).

    Args:
        lam, kappa: quartic coupling and minimum position.
        couplings: ``(g3, g4, ...)``, coefficients of ρ³, ρ⁴, ...

    Example:
        >>> U = frg.RhoPotential(lam=1.0, kappa=0.05)
        >>> U(0.05)   # 0.0
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
    """Result of :func:`solve_flow` (a pytree; outputs NaN-masked unless ``status == 0``).

    Attributes:
        k: (m,) scales of the saved states (decreasing, first Λ, last k_ir by default).
        rho: (n,) cell centres.
        U, dU, d2U: (m, n) U, U' = u and U'' at cell centres.
        rho0, m2R: (m,) minimum position and curvature mass at each k.
        status: int code, 0 = success (see :data:`STATUS_MESSAGES` / :attr:`message`).
        num_steps, num_accepted, num_rejected: step counts of the solver.
    """

    k: jax.Array
    rho: jax.Array
    U: jax.Array
    dU: jax.Array
    d2U: jax.Array
    rho0: jax.Array
    m2R: jax.Array
    status: jax.Array
    num_steps: jax.Array
    num_accepted: jax.Array
    num_rejected: jax.Array

    @property
    def message(self) -> str:
        """Readable status (concrete, scalar status only)."""
        return STATUS_MESSAGES.get(int(np.asarray(self.status)), "unknown status")

    @property
    def ok(self) -> bool:
        return bool(np.all(np.asarray(self.status) == 0))


def _readout(u, h):
    """ρ0, m2R from field-grid cell values ``u = ∂_σ U`` (n,) at one k; 'minimum off grid' flag."""
    n = u.shape[-1]
    sig = (jnp.arange(n) + 0.5) * h
    _, up0 = _grid.field_uprime(u, h)
    pos = u > 0
    # outer side of the minimum: first two cells beyond the last non-positive one
    last_neg = jnp.max(jnp.where(~pos, jnp.arange(n), -1))
    j = jnp.clip(last_neg + 1, 0, n - 2)
    s = (u[j + 1] - u[j]) / h  # ∂_σ² U = U' + 2ρU'' = 2ρ0 U''(ρ0) at the minimum
    sig0 = jnp.maximum(sig[j] - u[j] / s, 0.0)
    broken = up0 < 0
    rho0 = jnp.where(broken, 0.5 * sig0**2, 0.0)
    m2R = jnp.where(broken, s, up0)
    off = broken & (last_neg >= n - 2)
    return rho0, m2R, off


class _NewtonState(eqx.Module):
    size: jax.Array  # scaled norm of the last Newton correction |Δ_k|
    step: jax.Array  # iterations done
    code: jax.Array  # 0: go on, 1: converged, 2: failed (diffrax rejects the step)


class _TridiagonalNewton(optx.AbstractRootFinder):
    """Newton's method (re-linearised every iteration) for a tridiagonal Jacobian.

    Each iteration is one forward pass: ``f(y)`` and the three diagonals of ∂f/∂y come
    from one ``vmap``ped JVP with colour seeds (ones at the indices ≡ c mod 3), and the
    correction from LAPACK ``gtsv`` (``lax.linalg.tridiagonal_solve``): O(n).
    Plain jnp/lax instead of optimistix's ``Newton`` + lineax operators: the same
    arithmetic in fewer XLA kernels per iteration, which is what a solve on CPU pays
    for (docs/lpa.md, "Speed").

    Stopping rule of Hairer & Wanner (IV.8): with the contraction rate
    θ = |Δ_k|/|Δ_{k−1}| (max norm scaled by atol + rtol|y|), stop when
    θ/(1−θ)|Δ_k| < ``kappa`` (or |Δ_1| < ``kappa``); give up (diffrax rejects the
    step and shrinks it) as soon as θ ≥ 1 or θ^(max_iter−k)/(1−θ)|Δ_k| > ``kappa``, i.e.
    when convergence within ``max_iter`` iterations is out of reach. On B1 (broken
    phase) this cuts the Newton iterations per solve by ~30 % against optimistix's
    Cauchy test and, under ``vmap``, stops one hopeless member from holding the whole
    batch for ``max_iter`` iterations (docs/lpa.md). The decision is taken in
    :meth:`step` and stored in the state, so :meth:`terminate` only reads it.
    """

    rtol: float
    atol: float
    kappa: float = 0.1
    max_iter: int = 10
    norm: Callable = optx.max_norm

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del fn, args, options, f_struct, aux_struct, tags
        dtype = y.dtype
        return _NewtonState(size=jnp.array(jnp.inf, dtype), step=jnp.array(0), code=jnp.array(0))

    def step(self, fn, y, args, options, state, tags):
        del options, tags
        fx, lower, diag, upper = tridiagonal_jvp(lambda z: fn(z, args)[0], y)
        diff = lax.linalg.tridiagonal_solve(lower, diag, upper, fx[:, None])[:, 0]
        new_y = y - diff
        size = self.norm(diff / (self.atol + self.rtol * jnp.abs(new_y))).astype(y.dtype)
        k = state.step + 1
        rate = size / state.size
        second = k >= 2
        tiny = size < 10.0 ** (2 - jnp.finfo(size.dtype).precision)
        converged = (size < self.kappa) | (
            second & (rate < 1) & (size * rate / (1 - rate) < self.kappa)
        )
        hopeless = second & (
            (rate >= 1) | (size * rate ** (self.max_iter - k) / (1 - rate) > self.kappa)
        )
        failed = ~jnp.isfinite(size) | (hopeless & ~converged & ~tiny)
        code = jnp.where(failed, 2, jnp.where(tiny | converged, 1, 0))
        return new_y, _NewtonState(size=size, step=k, code=code), None

    def terminate(self, fn, y, args, options, state, tags):
        result = optx.RESULTS.where(
            state.code == 2, optx.RESULTS.nonlinear_divergence, optx.RESULTS.successful
        )
        return state.code > 0, result

    def postprocess(self, fn, y, aux, args, options, state, tags, result):
        return y, aux, {}


# diffrax's ESDIRKs evaluate ``root_finder.init`` (for a chord method: the Jacobian) in
# a ``lax.cond`` at the second stage of every step and carry it through the stage loop.
# ``_TridiagonalNewton.init`` builds no Jacobian, so calling it at every stage is free
# and drops that cond (one XLA conditional per stage, docs/lpa.md "Speed").
_EVERY_STAGE = type(diffrax.Kvaerno5.calculate_jacobian).every_stage


class _Kvaerno3(diffrax.Kvaerno3):
    calculate_jacobian = _EVERY_STAGE


class _Kvaerno5(diffrax.Kvaerno5):
    calculate_jacobian = _EVERY_STAGE


_STEPPERS = {
    "kvaerno3": _Kvaerno3,
    "kvaerno5": _Kvaerno5,
    "rodas4": Rodas4,
    "rodas5p": Rodas5P,
}
# Step control per stepper, (pcoeff, icoeff) of diffrax.PIDController. The Rodas
# steppers: integral control with the gain of the fewest steps over mixed κ (B1-type,
# 8 κ in [0.01, 0.08]: Rodas4 1457 steps at 0.8, Rodas5P 1296 at 0.7, against 1780 /
# 1474 with the PI control (0.4, 0.3) and 1359 (Rodas5P) with diffrax's gain 1);
# the ESDIRKs keep the PI control, which rejects fewer Newton solves (docs/lpa.md,
# "Session 7")
_CONTROL = {
    "kvaerno3": (0.4, 0.3),
    "kvaerno5": (0.4, 0.3),
    "rodas4": (0.0, 0.8),
    "rodas5p": (0.0, 0.7),
}
# default stepper: Rodas4 (B1 broken 4.6 ms against Rodas5P's 5.6 ms compiled, 5–100×
# smaller global error at the same tolerance; symmetric flows ~1.3× slower, ~1 ms)
DEFAULT_STEPPER = "rodas4"
_KAPPA = 0.1
_DT0 = 1e-3


# Rodas5P rejects a step whose result puts an interface deeper than this exponent into
# the continued threshold function ℓ_1(w_c) e^x (x = r (w_c − w), _grid.ell_continued):
# accepted states of B1 flows stay at x ≲ 3; without the check a Rosenbrock step can
# land at x ≈ 60 (flux × e^60), where the flow is stuck (docs/lpa.md, "Steppers").
_MAX_CONTINUATION_EXPONENT = 20.0


def _make_solver(rtol, atol, stepper=DEFAULT_STEPPER, admissible=None):
    if issubclass(_STEPPERS[stepper], _AbstractRodas):  # linearly implicit: no root finder
        return _STEPPERS[stepper](admissible=admissible)
    root = _TridiagonalNewton(rtol=rtol, atol=atol, kappa=_KAPPA)
    return _STEPPERS[stepper](root_finder=root)


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
    stepper,
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

    def scales(s):
        # 1/k² and k^d from one exp of a 2-vector (one small kernel per stage, not three)
        return jnp.stack([Lambda**-2, Lambda**d]) * jnp.exp(s * jnp.stack([2.0, -d]))

    def vf(s, y, args):
        inv_k2, kd = scales(s)
        F = _grid.field_flux(y[1:], h, rule, N, inv_k2, gap, goldstone=goldstone)
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
        x = _grid.continuation_exponent(jnp.minimum(gold, slope) * scales(s)[0], rule, gap)
        return jnp.all((x < _MAX_CONTINUATION_EXPONENT) & jnp.isfinite(y))

    # default read-out at Λ and k_ir: save the end points (no dense interpolation, no
    # inner saving loop in every step)
    saveat = diffrax.SaveAt(t0=True, t1=True) if ks_out is None else diffrax.SaveAt(ts=s_out)
    pcoeff, icoeff = _CONTROL[stepper]
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(vf),
        _make_solver(rtol, atol, stepper, admissible),
        t0=0.0,
        t1=s1,
        dt0=_DT0,
        y0=y0,
        saveat=saveat,
        stepsize_controller=diffrax.PIDController(
            rtol=rtol, atol=atol, pcoeff=pcoeff, icoeff=icoeff
        ),
        max_steps=max_steps,
        throw=False,
    )
    ys = sol.ys
    U0s, us = ys[:, 0], ys[:, 1:]
    ks = Lambda * jnp.exp(-s_out)
    rho0, m2R, off = jax.vmap(lambda u: _readout(u, h))(us)
    dU, _ = _grid.field_uprime(us, h)
    # U'' = (∂_σ u − u/σ)/σ²
    d2U = (_grid.centred_slope(us, h) - dU) / sig**2
    U = _grid.integrate_cells(us, h, U0s)
    res = sol.result
    status = jnp.where(
        res == diffrax.RESULTS.successful,
        0,
        jnp.where(res == diffrax.RESULTS.max_steps_reached, 1, 2),
    )
    wmin = jax.vmap(lambda u: _grid.min_interface_argument(u, h))(us) / ks**2
    # the flux is continued past w_pole + pole_gap (see _grid.ell_continued); a state
    # that sits further than 1 (in w) past the pole is a genuine pole crossing
    pole_ok = jnp.all(wmin > rule.w_pole - 1.0)
    finite_ok = jnp.all(jnp.isfinite(ys))
    status = jnp.where((status == 0) & ~(pole_ok & finite_ok), 3, status)
    status = jnp.where((status == 0) & jnp.any(off), 4, status)
    bad = status != 0
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
        status=status,
        num_steps=stats["num_steps"],
        num_accepted=stats["num_accepted_steps"],
        num_rejected=stats["num_rejected_steps"],
    )


# XLA:CPU options for the solve (docs/lpa.md, "Speed"): with the legacy LLVM-IR fusion
# emitters this graph compiles in ~3 s instead of ~5 s and runs ~9 % faster (B1, same
# iterates). JAX takes compile options only on the outermost jit: a solve_flow call
# under a user's jit/vmap/grad (traced arguments) uses the plain jit, and the outer
# compile decides.
_XLA_OPTIONS = {"xla_cpu_use_fusion_emitters": False}
_solve_fast = eqx.filter_jit(_solve_impl, compiler_options=_XLA_OPTIONS)
_solve_plain = eqx.filter_jit(_solve_impl)


@functools.cache
def _xla_options_supported(backend: str) -> bool:
    """Whether this jaxlib's XLA knows ``_XLA_OPTIONS`` (a capability probe, ~10 ms, once).

    Only the CPU backend uses them; an XLA that has dropped the legacy emitters
    refuses the option at compile time, and the solve is then compiled without it.
    """
    if backend != "cpu":
        return False
    try:
        jax.jit(lambda x: x + 1.0).lower(1.0).compile(_XLA_OPTIONS)
    except Exception:  # noqa: BLE001 - XlaRuntimeError, type differs by jaxlib
        return False
    return True


def _solve(*args):
    traced = any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(args))
    if not traced and _xla_options_supported(jax.default_backend()):
        try:
            return _solve_fast(*args)
        except ValueError as exc:  # inside a user's jit on concrete values: no options
            if "top-level" not in str(exc):
                raise
    return _solve_plain(*args)


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
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 20_000,
    pole_gap: float = 1e-2,
    stepper: str = DEFAULT_STEPPER,
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
        rtol, atol: step-size control tolerances; max_steps: step limit.
        pole_gap: where the threshold function's exponential continuation starts
            (``w_pole + pole_gap``, docs/lpa.md).
        stepper: ``"rodas4"`` (default: linearly implicit Rosenbrock, order 4, six
            tridiagonal solves per step, no Newton iterations), ``"rodas5p"`` (order 5,
            eight solves: fewer steps in the symmetric phase, more in the broken one),
            ``"kvaerno5"`` or ``"kvaerno3"`` (ESDIRK with a tridiagonal Newton solve);
            docs/lpa.md "Steppers".

    Returns:
        :class:`FlowSolution`; check ``status`` (0 = success, see ``message``).

    Example:
        >>> sol = frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Litim(), d=3, N=1,
        ...                      Lambda=1.0, k_ir=1e-3, grid=128, rho_max=0.1)
        >>> float(sol.rho0[-1]), float(sol.m2R[-1])

    Reference: Koenigstein et al., SciPost Phys. 12, 180 (2022).
    """
    with jax.ensure_compile_time_eval():
        n, rule = _validate_flow_inputs(
            potential, regulator, d, N, Lambda, k_ir, grid, rho_max, 0.0
        )
    if rule is None:
        rule = threshold_rule(regulator, d)
    return _solve_core(
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
        stepper,
    )


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
    stepper=DEFAULT_STEPPER,
):
    if stepper not in _STEPPERS:
        raise ValueError(f"stepper must be one of {sorted(_STEPPERS)}; got {stepper!r}")
    # Python-number couplings → float64 arrays, so that new values do not recompile
    # (filter_jit would treat them as static)
    potential = jax.tree_util.tree_map(
        lambda x: (
            as_float64(x)
            if isinstance(x, (int, float, np.floating, np.integer)) and not isinstance(x, bool)
            else x
        ),
        potential,
    )
    ks_out = None if ks_out is None else as_float64(ks_out)
    # N = 1 known before tracing: no Goldstone flux (half the ℓ evaluations per stage)
    N_value = _concrete(N)
    goldstone = not (N_value is not None and N_value.shape == () and N_value == 1.0)
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
        rtol,
        atol,
        max_steps,
        pole_gap,
        stepper,
        goldstone,
    )
