"""The finite-layer CDBN: the RG cascade as a stack of Gaussian convolutional RBMs.

Layer l (scales k = k_l > k' = k_{l+1}, background φ̄, curvature c) integrates out
one regulator shell |ŵ(p)|² = R_k(p) − R_{k'}(p); its free-energy change per site is

    ΔU(φ̄) = ½ (1/L^d) Σ_p log[(p̂² + R_{k'}(p) + c)/(p̂² + R_k(p) + c)],

and the stack updates U_{l+1} = U_l + ΔU_l with either

- ``explicit`` layers: c = U_l''(φ̄) (frozen; a forward step of the nonlinear
  diffusion in φ̄, conditionally stable), or
- ``self-consistent`` layers: c = U_{l+1}''(φ̄), solved per layer with
  ``optimistix.Newton`` on a tridiagonal-tagged Jacobian (``lineax.Tridiagonal``;
  unconditionally stable, the default).

The stack is a ``lax.scan`` over layers. A layer is normalisable only while
p̂² + R_{k'} + c > 0 for every p; where it is not, the layer is reported (index
and φ̄) and its curvature is clamped to the normalisability edge (the result is
finite, not NaN, and flagged). An explicit stack is reported unstable at the first
layer where the accumulated von Neumann amplification of grid-scale round-off,
Π_l max_φ̄ |1 − 4 D_l(φ̄)/h²| with D = ∂ΔU/∂c, exceeds 1e8 (round-off grown to
~1e-8), at the φ̄ of the largest factor.

Reference: docs/theory/cascade.md; S. N. Shah, "Variational approach to unsupervised
learning", arXiv:1904.10869 (2019) (the seed: a cascade of RBMs as a CDBN); C. Wetterich,
Phys. Lett. B 301, 90 (1993).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx

from .. import _validate as val
from .._flow.regulators import AbstractRegulator
from .._results import RESULTS, result_name
from .._x64 import x64
from .lattice import (
    BackgroundGrid,
    LatticeMomenta,
    _on_grid,
    check_lattice_regulator,
    resolve_lattice,
    result_from_code,
)

__all__ = [
    "LAYER_TYPES",
    "CDBNResult",
    "layer_delta_u",
    "one_loop_potential",
    "scale_schedule",
    "cdbn_potential",
]

LAYER_TYPES = ("self-consistent", "explicit")
_CODES = (
    RESULTS.successful,
    RESULTS.non_normalisable,
    RESULTS.explicit_unstable,
    RESULTS.newton_failed,
)
_GROWTH_LOG10 = 8.0  # report an explicit stack once round-off could have grown 1e8-fold


def _shell_terms(regulator, momenta, k, kp):
    q = momenta.q
    Rk = regulator(q, k)
    Rkp = regulator(q, kp)
    return q + Rk, Rkp - Rk, jnp.min(q + Rkp)


def layer_delta_u(regulator: AbstractRegulator, momenta: LatticeMomenta, k, kp, c):
    """Free-energy change of one layer and its curvature derivative D = ∂ΔU/∂c.

    ΔU = ½ Σ_j w_j log1p[(R_{k'} − R_k)(q_j)/(q_j + R_k(q_j) + c)]  (elementwise in c).

    Args:
        regulator: a regulator. momenta: :func:`frg.lattice_momenta`.
        k, kp: the shell's scales, k > k' > 0. c: curvature(s) U''(φ̄), any shape.

    Returns:
        ``(dU, D, edge)`` (dU, D shaped like ``c``) with ``edge = min_p (p̂² + R_{k'})``
        (normalisable iff c > −edge).

    Example:
        >>> m = frg.lattice_momenta(2, 8)
        >>> dU, D, edge = frg.layer_delta_u(frg.Litim(), m, 3.0, 1.5, jnp.array([0.0, 1.0]))
        >>> [round(float(x), 4) for x in dU], float(edge)
        ([-0.4188, -0.3506], 2.25)

    Reference: docs/theory/cascade.md ("One layer"); S. N. Shah, arXiv:1904.10869 (2019).
    """
    a, shell, edge = _shell_terms(regulator, momenta, k, kp)
    den = a[None, :] + jnp.asarray(c)[..., None]
    x = shell[None, :] / den
    dU = 0.5 * momenta.mean(jnp.log1p(x))
    D = 0.5 * momenta.mean(1.0 / (den + shell[None, :]) - 1.0 / den)
    return dU, D, edge


@x64
def one_loop_potential(V_values, curvature, regulator, momenta, Lambda, k_ir):
    """One-loop potential: the single RBM that integrates out the whole shell Λ → k_IR.

    U = V + ½ (1/L^d) Σ_p log[(p̂² + R_{k_IR} + V'')/(p̂² + R_Λ + V'')].

    Args:
        V_values: V(φ̄) on the background grid. curvature: V''(φ̄) there.
        regulator: a regulator. momenta: :func:`frg.lattice_momenta`.
        Lambda, k_ir: the shell's UV and IR scales.

    Returns:
        U(φ̄), same shape as ``V_values``; NaN where the layer is not normalisable
        (V'' < −min_p (p̂² + R_{k_IR})), see :func:`cdbn_potential` for a checked stack.

    Example:
        >>> phi = jnp.linspace(-1.0, 1.0, 5)
        >>> U = frg.one_loop_potential(0.5 * phi**2, jnp.ones(5), frg.Litim(),
        ...                            frg.lattice_momenta(1, 16), 3.0, 0.1)
        >>> round(float(U[2]), 4)   # Gaussian V: a constant shift
        -0.6698

    Reference: docs/theory/cascade.md (property 1); S. N. Shah, arXiv:1904.10869 (2019).
    """
    dU, _, _ = layer_delta_u(regulator, momenta, Lambda, k_ir, curvature)
    return jnp.asarray(V_values) + dU


@x64
def scale_schedule(Lambda: float, k_ir: float, layers: int) -> np.ndarray:
    """Geometric scales ``k_l = Λ b^{-l}``, ``b = (Λ/k_IR)^{1/L}``, l = 0..L (NumPy).

    Args:
        Lambda: UV scale Λ > 0. k_ir: 0 < k_IR < Λ. layers: L >= 1.

    Returns:
        float64 array of L + 1 decreasing scales from Λ to k_IR.

    Example:
        >>> frg.scale_schedule(4.0, 1.0, 2)
        array([4., 2., 1.])
    """
    Lambda = float(val.in_range("Lambda", Lambda, 0.0, low_open=True))
    k_ir = float(val.in_range("k_ir", k_ir, 0.0, Lambda, low_open=True, high_open=True))
    layers = val.integer("layers", layers, 1)
    return Lambda * (k_ir / Lambda) ** (np.arange(layers + 1) / layers)


class CDBNResult(eqx.Module):
    """Potential after an L-layer CDBN, with per-layer diagnostics.

    Attributes:
        phi, U: background grid and U_{k_L}(φ̄) (finite always).
        ks: the scale schedule k_0 > ... > k_L.
        nonnormalisable: (L,) bool, layer l had p̂² + R_{k_{l+1}} + c <= 0 somewhere.
        nonnorm_phi: (L,) φ̄ of the most negative margin in that layer (0 if none).
        growth_log10: (L,) accumulated log10 amplification of grid-scale round-off.
        unstable_layer: first layer with growth_log10 > 8 (−1: none; explicit only).
        unstable_phi: φ̄ of the largest amplification in that layer.
        newton_ok: (L,) bool (self-consistent only; True for explicit).
        result: :class:`frg.RESULTS`: ``successful``, ``non_normalisable``,
            ``explicit_unstable`` (reported instead of ``non_normalisable`` when the
            instability starts no later) or ``newton_failed``.
        layer_type: ``"self-consistent"`` or ``"explicit"`` (static).
    """

    phi: jax.Array
    U: jax.Array
    ks: jax.Array
    nonnormalisable: jax.Array
    nonnorm_phi: jax.Array
    growth_log10: jax.Array
    unstable_layer: jax.Array
    unstable_phi: jax.Array
    newton_ok: jax.Array
    result: RESULTS
    layer_type: str = eqx.field(static=True)

    def report(self) -> dict:
        """Plain-Python summary (result name and message, failing layers, instability)."""
        bad = np.flatnonzero(np.asarray(self.nonnormalisable))
        phis = np.asarray(self.nonnorm_phi)
        ul = int(self.unstable_layer)
        return {
            "result": result_name(self.result),
            "message": RESULTS[self.result],
            "layer_type": self.layer_type,
            "nonnormalisable_layers": [{"layer": int(i), "phi": float(phis[i])} for i in bad],
            "unstable": None if ul < 0 else {"layer": ul, "phi": float(self.unstable_phi)},
            "newton_failed_layers": [int(i) for i in np.flatnonzero(~np.asarray(self.newton_ok))],
        }


def _newton_layer(grid, U_l, regulator, momenta, k, kp, edge, rtol, atol):
    floor = -edge * (1.0 - 1e-9) + 1e-12

    def F(U, _):
        c = jnp.maximum(grid.curvature(U), floor)
        dU, _, _ = layer_delta_u(regulator, momenta, k, kp, c)
        return U - U_l - dU

    solver = optx.Newton(rtol=rtol, atol=atol, linear_solver=lx.Tridiagonal())
    sol = optx.root_find(
        F,
        solver,
        U_l,
        max_steps=64,
        throw=False,
        tags=frozenset({lx.tridiagonal_tag}),
    )
    return sol.value, sol.result == optx.RESULTS.successful


def _capacity(n: int) -> int:
    """Scan length for n layers: 32, or the next power of two above (one compilation for
    every n <= 32, then one per octave; a skipped layer costs a few µs)."""
    return max(32, 1 << max(0, int(n - 1).bit_length()))


def _padded(ks, capacity=None) -> tuple[jax.Array, jax.Array]:
    ks = np.asarray(ks, dtype=float)
    n = ks.size - 1
    cap = _capacity(n) if capacity is None else max(int(capacity), n)
    return jnp.asarray(np.concatenate([ks, np.full(cap - n, ks[-1])])), jnp.asarray(n)


@eqx.filter_jit
def _cdbn_scan(regulator, momenta, grid, U0, ks, n_layers, explicit: bool, rtol, atol):
    """Scan over a padded schedule; layers with index >= n_layers are skipped (lax.cond)."""
    h = grid.h

    def layer(carry, kk):
        idx = carry[-1]
        return jax.lax.cond(idx < n_layers, active, skip, carry, kk)

    def skip(carry, kk):
        U, glog, ul, uphi, idx = carry
        f = jnp.asarray(False)
        return (U, glog, ul, uphi, idx + 1), (f, jnp.asarray(0.0), glog, jnp.asarray(True))

    def active(carry, kk):
        U, glog, unstable_layer, unstable_phi, idx = carry
        k, kp = kk[0], kk[1]
        _, _, edge = _shell_terms(regulator, momenta, k, kp)
        floor = -edge * (1.0 - 1e-9) + 1e-12
        if explicit:
            c = grid.curvature(U)
            dU, D, _ = layer_delta_u(regulator, momenta, k, kp, jnp.maximum(c, floor))
            Un = U + dU
            ok = jnp.asarray(True)
        else:
            Un, ok = _newton_layer(grid, U, regulator, momenta, k, kp, edge, rtol, atol)
            c = grid.curvature(Un)
            _, D, _ = layer_delta_u(regulator, momenta, k, kp, jnp.maximum(c, floor))
        margin = c + edge
        nonnorm = jnp.any(margin <= 0)
        nn_phi = jnp.where(nonnorm, grid.phi[jnp.argmin(margin)], 0.0)
        if explicit:
            amp = jnp.where(margin > 0, jnp.abs(1.0 - 4.0 * D / h**2), 1.0)
            glog = glog + jnp.log10(jnp.maximum(jnp.max(amp), 1.0))
            new_bad = (glog > _GROWTH_LOG10) & (unstable_layer < 0)
            unstable_layer = jnp.where(new_bad, idx, unstable_layer)
            unstable_phi = jnp.where(new_bad, grid.phi[jnp.argmax(amp)], unstable_phi)
        finite = jnp.all(jnp.isfinite(Un))
        unstable_layer = jnp.where(~finite & (unstable_layer < 0), idx, unstable_layer)
        Un = jnp.where(finite, Un, U)
        out = (nonnorm, nn_phi, glog, ok)
        return (Un, glog, unstable_layer, unstable_phi, idx + 1), out

    pairs = jnp.stack([ks[:-1], ks[1:]], axis=1)
    init = (U0, jnp.asarray(0.0), jnp.asarray(-1), jnp.asarray(0.0), jnp.asarray(0))
    (U, _, ul, uphi, _), (nonnorm, nn_phi, glog, ok) = jax.lax.scan(layer, init, pairs)
    # An explicit blow-up usually ends in garbage curvature that looks non-normalisable:
    # report the instability when it comes first, the non-normalisable layer otherwise.
    first_nn = jnp.where(jnp.any(nonnorm), jnp.argmax(nonnorm), nonnorm.shape[0])
    status = jnp.where(
        (ul >= 0) & (ul <= first_nn),
        2,
        jnp.where(jnp.any(nonnorm), 1, jnp.where(ul >= 0, 2, jnp.where(jnp.any(~ok), 3, 0))),
    )
    return U, nonnorm, nn_phi, glog, ul, uphi, ok, result_from_code(status, _CODES)


def _check_common(d, size, regulator, layer_type):
    d = val.integer("d", d, 1, 3)
    size = val.integer("lattice", size, 2)
    if layer_type not in LAYER_TYPES:
        raise ValueError(f"layer_type must be one of {LAYER_TYPES}; got {layer_type!r}")
    check_lattice_regulator(regulator)
    return d, size


@x64
def cdbn_potential(
    potential: Callable,
    regulator: AbstractRegulator,
    d: int,
    size: int,
    ks: Sequence[float] | None = None,
    *,
    Lambda: float | None = None,
    k_ir: float | None = None,
    layers: int | None = None,
    layer_type: str = "self-consistent",
    grid: BackgroundGrid | None = None,
    momenta: LatticeMomenta | None = None,
    rtol: float = 1e-13,
    atol: float = 1e-13,
    capacity: int | None = None,
    throw: bool = True,
) -> CDBNResult:
    """Potential produced by an L-layer convolutional DBN (one RBM per regulator shell).

    U_{l+1}(φ̄) = U_l(φ̄) + ½ (1/L^d) Σ_p log[(p̂²+R_{k_{l+1}}+c_l)/(p̂²+R_{k_l}+c_l)],
    U_0 = V, with c_l = U_l'' (explicit) or U_{l+1}'' (self-consistent).

    Args:
        potential: bare V(φ), ``jnp``-traceable.
        regulator: e.g. ``frg.Litim()``; with ``frg.PowerLaw(n)`` (n > 1) the zero mode
            is the background field (the default momenta exclude it).
        d, size: dimension (1..3) and lattice extent (>= 2).
        ks: strictly decreasing scales k_0 = Λ > ... > k_L = k_IR; or give
            ``Lambda``, ``k_ir`` and ``layers`` for the geometric schedule.
        layer_type: ``"self-consistent"`` (default) or ``"explicit"``.
        grid: background grid (default ``background_grid(potential)``: 61 points on [−3, 3]).
        momenta: precomputed :func:`frg.lattice_momenta`.
        capacity: scan length (>= L; default 32 or the next power of two). Calls with the
            same capacity share one compilation.
        rtol, atol: tolerances of the self-consistent layers' Newton solves.
        throw: raise when the result is not ``successful`` (else report it in ``result``).

    Returns:
        :class:`CDBNResult` (never NaN; see ``result`` and :meth:`CDBNResult.report`).

    Example:
        >>> r = frg.cdbn_potential(lambda x: 0.25*x**2 + x**4/8, frg.Litim(), 1, 16,
        ...                        Lambda=3.0, k_ir=0.03, layers=8)
        >>> r.report()["result"], r.U.shape
        ('successful', (61,))

    Reference: docs/theory/cascade.md ("The finite-layer CDBN"); S. N. Shah,
    arXiv:1904.10869 (2019); C. Wetterich, Phys. Lett. B 301, 90 (1993).
    """
    d, size = _check_common(d, size, regulator, layer_type)
    if ks is None:
        if Lambda is None or k_ir is None or layers is None:
            raise ValueError("give either ks (decreasing scales) or Lambda, k_ir and layers")
        ks = scale_schedule(Lambda, k_ir, layers)
    else:
        ks = val.decreasing("ks", ks)
        val.in_range("ks", ks, 0.0, low_open=True)
    grid, momenta = resolve_lattice(potential, d, size, grid, momenta, regulator)
    check_lattice_regulator(regulator, momenta)
    U0 = _on_grid(potential, grid.phi)
    kpad, n = _padded(ks, capacity)
    out = _cdbn_scan(regulator, momenta, grid, U0, kpad, n, layer_type == "explicit", rtol, atol)
    U, nonnorm, nn_phi, glog, ul, uphi, ok, result = out
    if throw:
        U = result.error_if(U, result != RESULTS.successful)
    L = len(ks) - 1
    nonnorm, nn_phi, glog, ok = nonnorm[:L], nn_phi[:L], glog[:L], ok[:L]
    return CDBNResult(
        phi=grid.phi,
        U=U,
        ks=jnp.asarray(ks),
        nonnormalisable=nonnorm,
        nonnorm_phi=nn_phi,
        growth_log10=glog,
        unstable_layer=ul,
        unstable_phi=uphi,
        newton_ok=ok,
        result=result,
        layer_type=layer_type,
    )
