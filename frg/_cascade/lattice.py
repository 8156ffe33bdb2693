"""Periodic-lattice momenta and the lattice LPA flow (the cascade's continuum reference).

On a periodic L^d lattice (spacing 1) the momenta are p_μ = 2π n_μ/L and the
dispersion is p̂² = Σ_μ 4 sin²(p_μ/2). Every momentum sum in the LPA depends on p
only through p̂², so it is done over the distinct values q_j of p̂² with weights
w_j = (multiplicity)/L^d (545 values instead of 4096 on 64²).

The lattice LPA on a background-field grid φ̄_i (constant background):

    ∂_t U_k(φ̄) = ½ Σ_j w_j ∂_t R_k(q_j) / (q_j + R_k(q_j) + U_k''(φ̄)),   t = ln(k/Λ),

with U'' by central differences and, at the two ends of the grid, a ghost point
fixed by the bare slope (U'(φ̄_end) = V'(φ̄_end)), so the curvature operator is
tridiagonal and exact for quadratic potentials. It is integrated from U_Λ = V with
diffrax (Dopri8, PID control); for regulators of compact support (Litim) the
right-hand side jumps whenever k² crosses a q_j, and those scales are passed to the
controller as the flow is integrated piecewise between them (``lax.scan`` over intervals, one
adaptive diffrax solve each), so the solver steps exactly across them.

Reference: C. Wetterich, Phys. Lett. B 301, 90 (1993); D. F. Litim, Phys. Rev. D 64,
105007 (2001); docs/theory/cascade.md.
"""

from __future__ import annotations

from collections.abc import Callable

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as val
from .._flow.regulators import AbstractRegulator
from .._results import RESULTS
from .._x64 import numbers_as_float64, x64

__all__ = [
    "LatticeMomenta",
    "lattice_momenta",
    "lattice_p2",
    "BackgroundGrid",
    "background_grid",
    "LatticeLPASolution",
    "lattice_lpa",
    "lattice_threshold",
]


def lattice_p2_shape(shape) -> np.ndarray:
    """``p̂² = Σ_μ 4 sin²(π n_μ/L_μ)`` on the FFT grid of a periodic lattice of ``shape``.

    The one definition of the lattice dispersion in frg (NumPy, float64, FFT order).
    """
    p2 = np.zeros(tuple(shape))
    for mu, n in enumerate(shape):
        s = 4.0 * np.sin(np.pi * np.arange(n) / n) ** 2
        sh = [1] * len(shape)
        sh[mu] = n
        p2 = p2 + s.reshape(sh)
    return p2


def lattice_p2(d: int, size: int) -> np.ndarray:
    """Full FFT grid of ``p̂² = Σ_μ 4 sin²(π n_μ/L)``, shape ``(L,)*d`` (NumPy, float64).

    Args:
        d: dimension, 1 <= d <= 3. size: lattice extent L >= 2.

    Returns:
        float64 array of shape ``(size,) * d`` in FFT order.

    Example:
        >>> frg.lattice_p2(1, 4)
        array([0., 2., 4., 2.])
    """
    d = val.integer("d", d, 1, 3)
    size = val.integer("lattice", size, 2)
    # p̂², its rounded copy and np.unique's sort buffers: about 4 float64 per site
    val.memory("lattice", 32.0 * float(size) ** d, f"the {size}^{d} lattice momenta")
    return lattice_p2_shape((size,) * d)


class LatticeMomenta(eqx.Module):
    """Distinct lattice p̂² values ``q`` with weights ``w = multiplicity/L^d``.

    Attributes:
        q: (n_q,) distinct p̂², ascending. w: (n_q,) weights (Σ w = 1, or 1 − 1/L^d
            without the zero mode).
        d, size: dimension and lattice extent (static).
        zero_mode: whether p = 0 is among the fluctuations (static). Without it the
            zero mode is the background field φ̄ itself (held fixed), and the cascade
            computes the constraint effective potential of the mean field.
    """

    q: jax.Array
    w: jax.Array
    d: int = eqx.field(static=True)
    size: int = eqx.field(static=True)
    zero_mode: bool = eqx.field(static=True, default=True)

    def mean(self, f):
        """``(1/L^d) Σ_p f(p̂²)`` for ``f`` evaluated on ``q`` (last axis)."""
        return jnp.sum(self.w * f, axis=-1)


@x64
def lattice_momenta(d: int, size: int, zero_mode: bool = True) -> LatticeMomenta:
    """The distinct p̂² of a periodic ``size^d`` lattice and their weights.

    Args:
        d: dimension, 1 <= d <= 3.
        size: lattice extent L >= 2.
        zero_mode: keep p = 0 among the fluctuating modes (default). ``False`` drops
            it: the zero mode is then the background field, as it must be for
            regulators with R_k(0) = ∞ (``frg.PowerLaw(n)``, n > 1) and for the
            constraint effective potential P(M) ∝ exp(−L^d U(M)).

    Returns:
        :class:`LatticeMomenta` with ``(1/L^d) Σ_p f(p̂²) = Σ_j w_j f(q_j)`` (the sum
        over p ≠ 0 when ``zero_mode=False``).

    Example:
        >>> frg.lattice_momenta(2, 64).q.shape
        (545,)
        >>> float(frg.lattice_momenta(2, 4, zero_mode=False).w.sum())   # 1 − 1/16
        0.9375

    Reference: docs/theory/conventions.md (lattice dispersion).
    """
    p2 = lattice_p2(d, size)
    key = np.round(p2.ravel(), 12)
    q, idx, counts = np.unique(key, return_index=True, return_counts=True)
    q = p2.ravel()[idx]
    w = counts / p2.size
    if not zero_mode:
        q, w = q[1:], w[1:]  # q[0] = 0 is the zero mode (multiplicity 1)
    return LatticeMomenta(
        q=jnp.asarray(q), w=jnp.asarray(w), d=int(d), size=int(size), zero_mode=bool(zero_mode)
    )


class BackgroundGrid(eqx.Module):
    """Uniform background-field grid with the bare end slopes for the boundary ghosts.

    Attributes:
        phi: (n_phi,) uniform grid φ̄_i. slopes: (2,) V'(φ̄_0), V'(φ̄_{n−1}).
        h: spacing (property).
    """

    phi: jax.Array
    slopes: jax.Array  # V'(φ̄_0), V'(φ̄_{N-1})

    @property
    def h(self):
        return self.phi[1] - self.phi[0]

    def curvature(self, U):
        """U'' by central differences; ends: ghost from U'(φ̄_end) = V'(φ̄_end)."""
        h = self.h
        mid = (U[:-2] - 2.0 * U[1:-1] + U[2:]) / h**2
        lo = 2.0 * (U[1] - U[0] - h * self.slopes[0]) / h**2
        hi = 2.0 * (U[-2] - U[-1] + h * self.slopes[1]) / h**2
        return jnp.concatenate([lo[None], mid, hi[None]])

    def curvature_bands(self):
        """(diag, lower, upper) of the tridiagonal matrix of :meth:`curvature`."""
        n = self.phi.shape[0]
        h2 = self.h**2
        diag = jnp.full((n,), -2.0) / h2
        lower = jnp.ones((n - 1,)).at[-1].set(2.0) / h2
        upper = jnp.ones((n - 1,)).at[0].set(2.0) / h2
        return diag, lower, upper


@x64
def background_grid(potential: Callable, phi_max: float = 3.0, n_phi: int = 61) -> BackgroundGrid:
    """Grid ``φ̄ ∈ [−phi_max, phi_max]`` with ``n_phi`` points and the bare end slopes.

    Args:
        potential: bare V(φ), ``jnp``-traceable.
        phi_max: half-width of the grid, > 0.
        n_phi: number of points, >= 5.

    Returns:
        :class:`BackgroundGrid`.

    Example:
        >>> g = frg.background_grid(lambda x: 0.5 * x**2, phi_max=2.0, n_phi=5)
        >>> g.phi.tolist(), g.slopes.tolist()
        ([-2.0, -1.0, 0.0, 1.0, 2.0], [-2.0, 2.0])
    """
    phi_max = float(val.in_range("phi_max", phi_max, 0.0, low_open=True))
    n_phi = val.integer("n_phi", n_phi, 5)
    phi = jnp.linspace(-phi_max, phi_max, n_phi)
    dV = jax.vmap(jax.grad(lambda x: jnp.asarray(potential(x), dtype=float)))
    return BackgroundGrid(phi=phi, slopes=dV(phi[jnp.array([0, -1])]))


def _on_grid(potential, phi):
    """V(φ̄) at every grid point, as float64 (under x64). Op by op on purpose: a jit
    keyed on the callable would compile again for every new lambda (a loop over
    couplings: 9 → 85 ms per call), while the eager operations are compiled once per
    shape."""
    return jax.vmap(lambda x: jnp.asarray(potential(x), dtype=float))(phi)


@eqx.filter_jit
def _g_at_zero(regulator):
    # one program per regulator class (its parameters as arrays: traced), not ~12
    # small eager compiles
    return regulator.g(jnp.asarray(0.0))


def zero_mode_frozen(regulator: AbstractRegulator) -> bool:
    """Whether R_k(p = 0) = ∞ (g(0) = inf, e.g. ``frg.PowerLaw(n)`` with n > 1).

    Such a regulator freezes the lattice zero mode at every k: the mode does not
    fluctuate, it is the background field φ̄ itself, and its (infinite) contribution to
    the flow does not depend on φ̄. The cascade then sums over p ≠ 0 only.
    """
    with jax.ensure_compile_time_eval():  # concrete even when called inside a jit trace
        g0 = float(np.asarray(_g_at_zero(numbers_as_float64(regulator))))
    return not np.isfinite(g0)


def check_lattice_regulator(regulator: AbstractRegulator, momenta=None) -> None:
    """Refuse momenta that keep the zero mode with a regulator that freezes it."""
    if momenta is not None and momenta.zero_mode and zero_mode_frozen(regulator):
        raise ValueError(
            f"regulator {type(regulator).__name__}: g(0) = inf freezes the lattice zero mode "
            "p̂² = 0, so momenta must exclude it: lattice_momenta(d, size, zero_mode=False) "
            "(the zero mode is the background field)"
        )


def lattice_threshold(regulator: AbstractRegulator, momenta: LatticeMomenta, w, k):
    """Lattice analogue of ℓ_1^d(w): ``k^{-d} ½ (1/L^d) Σ_p ∂_t R/(p̂² + R_k + w k²)``.

    Tends to :func:`frg.threshold` (continuum) for L → ∞ and k → 0 (lattice
    artefacts are O(k²)).

    Args:
        regulator: a regulator (momenta without the zero mode if g(0) = inf).
        momenta: :func:`lattice_momenta`. w: dimensionless mass U''/k² (any shape). k: scale > 0.

    Returns:
        Array shaped like ``w``.

    Example:
        >>> m = frg.lattice_momenta(3, 64)
        >>> float(frg.lattice_threshold(frg.Litim(), m, 0.0, 0.3))  # continuum 0.016887
        0.01737806...

    Reference: Berges, Tetradis, Wetterich, Phys. Rep. 363, 223 (2002) (threshold functions).
    """
    k = jnp.asarray(k, dtype=float)
    q = momenta.q
    num = regulator.dt(q, k)
    den = q + regulator(q, k) + jnp.asarray(w)[..., None] * k**2
    return 0.5 * momenta.mean(num / den) / k**momenta.d


def _interval_ends(regulator, momenta, Lambda, k_ir):
    """RG times 0 > ... > ln(k_IR/Λ) cutting the flow at every jump (k² = q_j/y_max)."""
    t1 = float(np.log(k_ir / Lambda))
    if regulator.support() is None:
        return jnp.asarray([0.0, t1])
    q = np.asarray(momenta.q)
    kj2 = q[q > 0] / float(regulator.support())
    kj2 = kj2[(kj2 < Lambda**2 * (1 - 1e-12)) & (kj2 > k_ir**2 * (1 + 1e-12))]
    tj = np.sort(0.5 * np.log(kj2 / Lambda**2))[::-1]
    return jnp.asarray(np.concatenate([[0.0], tj, [t1]]))


class LatticeLPASolution(eqx.Module):
    """Lattice LPA at k_IR.

    Attributes:
        phi: (n_phi,) background grid. U: (n_phi,) U_{k_IR}(φ̄). k_ir: the IR scale.
        result: :class:`frg.RESULTS` (``successful``, ``max_steps_reached``, ``pole``
            for another solver failure, ``nonfinite`` for a propagator pole crossed).
        num_steps: accepted solver steps over all intervals.
    """

    phi: jax.Array
    U: jax.Array
    k_ir: jax.Array
    result: RESULTS
    num_steps: jax.Array


def _lpa_rhs(t, U, args):
    regulator, momenta, grid, Lam, k2_mid = args
    k = Lam * jnp.exp(t)
    c = grid.curvature(U)
    q = momenta.q
    R = regulator(q, k)
    dt = regulator.dt(q, k)
    ymax = regulator.support()
    if ymax is not None:
        # Inside one interval between jumps the active set {q < y_max k^2} is fixed: take
        # it from the interval's midpoint, so that stages evaluated exactly at a jump
        # (where d_t R is ambiguous) see the right side of it.
        dt = jnp.where(
            q < ymax * k2_mid,
            2.0 * k**2 * regulator.dt_g(jnp.minimum(q / k**2, ymax * (1.0 - 1e-14))),
            0.0,
        )
    den = q[None, :] + R[None, :] + c[:, None]
    return 0.5 * momenta.mean(dt[None, :] / den)


@eqx.filter_jit
def _lpa_solve(regulator, momenta, grid, U0, Lam, ts, rtol, atol, max_steps):
    ctrl = dfx.PIDController(rtol=rtol, atol=atol)

    def interval(carry, tt):
        U, status, steps = carry
        ta, tb = tt[0], tt[1]
        k2_mid = (Lam * jnp.exp(0.5 * (ta + tb))) ** 2
        sol = dfx.diffeqsolve(
            dfx.ODETerm(_lpa_rhs),
            dfx.Dopri8(),
            t0=ta,
            t1=tb,
            dt0=None,
            y0=U,
            args=(regulator, momenta, grid, Lam, k2_mid),
            stepsize_controller=ctrl,
            saveat=dfx.SaveAt(t1=True),
            max_steps=max_steps,
            throw=False,
        )
        Un = sol.ys[-1]
        ok = sol.result == dfx.RESULTS.successful
        finite = jnp.all(jnp.isfinite(Un))
        steps_out = sol.result == dfx.RESULTS.max_steps_reached
        st = jnp.where(ok & finite, 0, jnp.where(finite, jnp.where(steps_out, 1, 2), 3))
        status = jnp.where(status == 0, st, status)
        Un = jnp.where(finite & (status == 0), Un, U)
        return (Un, status, steps + sol.stats["num_steps"]), None

    pairs = jnp.stack([ts[:-1], ts[1:]], axis=1)
    (U, status, steps), _ = jax.lax.scan(interval, (U0, jnp.asarray(0), jnp.asarray(0)), pairs)
    codes = (RESULTS.successful, RESULTS.max_steps_reached, RESULTS.pole, RESULTS.nonfinite)
    return U, result_from_code(status, codes), steps


def result_from_code(code, members):
    """The :class:`frg.RESULTS` member ``members[code]`` (traceable in ``code``)."""
    out = members[-1]
    for i in range(len(members) - 2, -1, -1):
        out = RESULTS.where(code == i, members[i], out)
    return out


def resolve_lattice(potential, d, size, grid=None, momenta=None, regulator=None):
    """Default background grid and momenta for (d, size); check given momenta match.

    The default momenta exclude the zero mode when ``regulator`` freezes it.
    """
    if grid is None:
        grid = background_grid(potential)
    if momenta is None:
        momenta = lattice_momenta(d, size)
        if regulator is not None and zero_mode_frozen(regulator):
            momenta = lattice_momenta(d, size, zero_mode=False)
    elif (momenta.d, momenta.size) != (d, size):
        raise ValueError(
            f"momenta must be for d = {d}, lattice = {size}; got d = {momenta.d}, "
            f"lattice = {momenta.size}"
        )
    return grid, momenta


@x64
def lattice_lpa(
    potential: Callable,
    regulator: AbstractRegulator,
    d: int,
    size: int,
    Lambda: float,
    k_ir: float,
    *,
    grid: BackgroundGrid | None = None,
    momenta: LatticeMomenta | None = None,
    rtol: float = 1e-11,
    atol: float = 1e-13,
    max_steps: int = 4096,
    throw: bool = True,
) -> LatticeLPASolution:
    """Solve the lattice LPA flow from U_Λ = V down to k_IR.

    ∂_t U = ½ (1/L^d) Σ_p ∂_t R_k(p)/(p̂² + R_k(p) + U''(φ̄)), t = ln(k/Λ), U_Λ = V.

    Args:
        potential: bare V(φ), ``jnp``-traceable.
        regulator: e.g. ``frg.Litim()``; with ``frg.PowerLaw(n)`` (n > 1) the zero mode
            is the background field (default momenta exclude it).
        d: dimension 1..3. size: lattice extent L >= 2.
        Lambda: UV scale Λ > 0. k_ir: 0 < k_IR < Λ.
        grid: background grid (default ``background_grid(potential)``).
        momenta: precomputed :func:`lattice_momenta` (optional).
        rtol, atol: PID tolerances of the Dopri8 solve.
        max_steps: step limit of each interval's solve.
        throw: raise when the result is not ``successful`` (else report it in ``result``).

    Returns:
        :class:`LatticeLPASolution` (never NaN; see ``result``).

    Example:
        >>> sol = frg.lattice_lpa(lambda x: 0.25*x**2 + x**4/8, frg.Litim(), 1, 16, 3.0, 0.03)
        >>> frg.result_name(sol.result), sol.U.shape
        ('successful', (61,))

    Reference: C. Wetterich, Phys. Lett. B 301, 90 (1993) (LPA of the Wetterich equation);
    docs/theory/cascade.md ("The reference").
    """
    d = val.integer("d", d, 1, 3)
    size = val.integer("lattice", size, 2)
    Lambda = float(val.in_range("Lambda", Lambda, 0.0, low_open=True))
    k_ir = float(val.in_range("k_ir", k_ir, 0.0, Lambda, low_open=True, high_open=True))
    grid, momenta = resolve_lattice(potential, d, size, grid, momenta, regulator)
    check_lattice_regulator(regulator, momenta)
    U0 = _on_grid(potential, grid.phi)
    ts = _interval_ends(regulator, momenta, Lambda, k_ir)
    U, result, nsteps = _lpa_solve(regulator, momenta, grid, U0, Lambda, ts, rtol, atol, max_steps)
    if throw:
        U = result.error_if(U, result != RESULTS.successful)
    return LatticeLPASolution(
        phi=grid.phi, U=U, k_ir=jnp.asarray(k_ir), result=result, num_steps=nsteps
    )
