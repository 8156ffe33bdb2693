"""Side-by-side comparison of the lattice LPA cascade and its finite-layer CDBNs.

One call (:func:`compare_cascade`) solves the lattice LPA down to k_IR (the
"continuum" cascade: exact momentum sums, adaptive RG time) and the L-layer CDBN for
every requested L, and returns the potentials, the sup-norm errors
max_{|φ̄| <= phi_err} |U_L − U_cont|, the fitted convergence slope
d log(error)/d log L, the IR read-outs (minimum φ_min, curvature mass U''(φ_min))
and the per-L diagnostics (non-normalisable layers, explicit instability).
:func:`plot_cascade` draws the potentials, the error vs L and the layer kernels
w(x) in real space with width × k_l across the stack.

Reference: docs/theory/cascade.md ("The comparison").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as val
from .._flow.regulators import AbstractRegulator
from .._results import RESULTS, result_name
from .._x64 import x64
from .crbm import kernel_width, rbm_stack
from .lattice import (
    BackgroundGrid,
    LatticeLPASolution,
    background_grid,
    lattice_lpa,
    lattice_momenta,
    zero_mode_frozen,
)
from .layers import CDBNResult, _capacity, _check_common, cdbn_potential, scale_schedule

__all__ = [
    "CascadeComparison",
    "cascade_readout",
    "cascade_scales",
    "compare_cascade",
    "layer_kernel_widths",
    "plot_cascade",
]


class CascadeComparison(eqx.Module):
    """Result of :func:`compare_cascade` (see :meth:`to_dict` for a JSON summary).

    Attributes:
        phi: (n_phi,) background grid. continuum: the :class:`LatticeLPASolution`.
        U_layers: (n_L, n_phi) U of each L-layer CDBN at k_IR.
        sup_error: (n_L,) max_{|φ̄| <= phi_err} |U_L − U_cont|. slope: fitted
            d log(error)/d log L.
        phi_min, mass2: (n_L,) |φ̄_min| and U''(φ̄_min) of each U_L.
        continuum_phi_min, continuum_mass2: the same for the continuum cascade.
        results: the :class:`CDBNResult` of each L (diagnostics).
        layers, layer_type, phi_err: the inputs (static).
    """

    phi: jax.Array
    continuum: LatticeLPASolution
    U_layers: jax.Array  # (n_L, n_phi)
    sup_error: jax.Array  # (n_L,)
    slope: jax.Array
    phi_min: jax.Array  # (n_L,)
    mass2: jax.Array  # (n_L,)
    continuum_phi_min: jax.Array
    continuum_mass2: jax.Array
    results: tuple[CDBNResult, ...]
    layers: tuple[int, ...] = eqx.field(static=True)
    layer_type: str = eqx.field(static=True)
    phi_err: float = eqx.field(static=True)

    def to_dict(self) -> dict:
        """Plain-Python summary; ``status`` is ``success`` unless something was reported."""
        reps = [r.report() for r in self.results]
        cont = result_name(self.continuum.result)
        statuses = [rep["result"] for rep in reps]
        bad = [s for s in statuses if s != "successful"]
        status = "success" if (cont == "successful" and not bad) else "warning"
        return {
            "status": status,
            "layer_type": self.layer_type,
            "layers": list(self.layers),
            "sup_error": np.asarray(self.sup_error).tolist(),
            "slope": float(self.slope),
            "phi_min": np.asarray(self.phi_min).tolist(),
            "mass2": np.asarray(self.mass2).tolist(),
            "continuum": {
                "result": cont,
                "message": RESULTS[self.continuum.result],
                "phi_min": float(self.continuum_phi_min),
                "mass2": float(self.continuum_mass2),
                "num_steps": int(self.continuum.num_steps),
            },
            "layer_result": statuses,
            "nonnormalisable_layers": [rep["nonnormalisable_layers"] for rep in reps],
            "unstable": [rep["unstable"] for rep in reps],
            "error_window": self.phi_err,
        }


@jax.jit
def cascade_readout(grid: BackgroundGrid, U, window):
    """|φ̄_min| of U on |φ̄| <= window (parabolic refinement) and U''(φ̄_min); traceable.

    Args:
        grid: the background grid of ``U``. U: (n_phi,) potential on it.
        window: half-width of the searched window.

    Returns:
        ``(phi_min, mass2)`` as 0-d arrays.

    Example:
        >>> g = frg.background_grid(lambda x: (x**2 - 1) ** 2)   # h = 0.1
        >>> m, c = frg.cascade_readout(g, (g.phi**2 - 1) ** 2, 2.5)
        >>> round(float(m), 4), round(float(c), 2)   # exact 1 and 8; O(h²) read-out
        (0.995, 7.91)
    """
    phi = grid.phi
    c = grid.curvature(U)
    inside = jnp.abs(phi) <= window + 1e-12
    i = jnp.argmin(jnp.where(inside, U, jnp.inf))
    n = phi.shape[0]
    a, b, cc = U[jnp.maximum(i - 1, 0)], U[i], U[jnp.minimum(i + 1, n - 1)]
    den = a - 2.0 * b + cc
    refine = (i > 0) & (i < n - 1) & (den > 0)
    shift = 0.5 * grid.h * (a - cc) / jnp.where(refine, den, 1.0)
    x = phi[i] + jnp.where(refine, shift, 0.0)
    return jnp.abs(x), jnp.interp(x, phi, c)


def fit_slope(layers, errors, fit_min: int = 8) -> float:
    """Least-squares slope of log(error) vs log(L) over L >= fit_min (all L if < 2 such)."""
    L = np.asarray(layers, dtype=float)
    e = np.asarray(errors, dtype=float)
    ok = e > 1e-13
    use = ok & (L >= fit_min)
    if use.sum() < 2:
        use = ok
    if use.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(L[use]), np.log(e[use]), 1)[0])


def cascade_scales(d: int, Lambda, k_ir, phi_err, phi_max) -> tuple[float, float, float]:
    """Validated ``(Λ, k_IR, phi_err)`` of a cascade; defaults Λ = sqrt(4d + 1), k_IR = 1e-3 Λ.

    Λ² > 4d makes the Litim-regulated precision p̂² + R_Λ = Λ² flat in p (site-local).

    Args:
        d: dimension. Lambda, k_ir: scales or ``None`` for the defaults.
        phi_err: half-width of the error window, in (0, phi_max]. phi_max: grid half-width.

    Returns:
        ``(Lambda, k_ir, phi_err)`` as floats.

    Example:
        >>> frg.cascade_scales(2, None, None, 2.5, 3.0)
        (3.0, 0.003, 2.5)
    """
    Lambda = float(np.sqrt(4 * d + 1)) if Lambda is None else Lambda
    Lambda = float(val.in_range("Lambda", Lambda, 0.0, low_open=True))
    k_ir = 1e-3 * Lambda if k_ir is None else k_ir
    k_ir = float(val.in_range("k_ir", k_ir, 0.0, Lambda, low_open=True, high_open=True))
    phi_max = float(val.in_range("phi_max", phi_max, 0.0, low_open=True))
    phi_err = float(val.in_range("phi_err", phi_err, 0.0, phi_max, low_open=True))
    return Lambda, k_ir, phi_err


@x64
def compare_cascade(
    potential: Callable,
    regulator: AbstractRegulator,
    d: int,
    size: int,
    layers: Sequence[int],
    *,
    Lambda: float | None = None,
    k_ir: float | None = None,
    layer_type: str = "self-consistent",
    phi_max: float = 3.0,
    n_phi: int = 61,
    phi_err: float = 2.5,
    fit_min: int = 8,
) -> CascadeComparison:
    """Compare the lattice LPA cascade with L-layer CDBNs for each L in ``layers``.

    error_L = max_{|φ̄| <= phi_err} |U_L(φ̄) − U_cont(φ̄)| at k_IR; slope = fit of
    log error_L vs log L (expected −1: the stack is first order in the step).

    Args:
        potential: bare V(φ), ``jnp``-traceable.
        regulator: ``frg.Litim()``, ``frg.Wetterich()``, ``frg.PowerLaw(n)`` (zero mode =
            background field), ...
        d, size: dimension 1..3 and lattice extent L >= 2.
        layers: layer counts, each >= 1.
        Lambda: UV scale (default sqrt(4d + 1): Litim site-local at Λ).
        k_ir: IR scale (default 1e-3 Λ).
        layer_type: ``"self-consistent"`` (default) or ``"explicit"``.
        phi_max, n_phi: background grid [−phi_max, phi_max] with n_phi points.
        phi_err: half-width of the window of the sup-norm error and read-outs.
        fit_min: smallest L used in the slope fit (all L if fewer than two qualify).

    Returns:
        :class:`CascadeComparison`.

    Example:
        >>> cmp = frg.compare_cascade(lambda x: 0.25*x**2 + x**4/8, frg.Wetterich(), 1, 16,
        ...                           [8, 16, 32])
        >>> cmp.to_dict()["status"], round(float(cmp.slope), 2)
        ('success', -0.89)

    Reference: docs/theory/cascade.md; S. N. Shah, arXiv:1904.10869 (2019).
    """
    d, size = _check_common(d, size, regulator, layer_type)
    layers = tuple(val.integer("layers", L, 1) for L in layers)
    if not layers:
        raise ValueError("layers must contain at least one layer count >= 1")
    Lambda, k_ir, phi_err = cascade_scales(d, Lambda, k_ir, phi_err, phi_max)
    grid = background_grid(potential, phi_max, n_phi)
    momenta = lattice_momenta(d, size, zero_mode=not zero_mode_frozen(regulator))
    cont = lattice_lpa(
        potential, regulator, d, size, Lambda, k_ir, grid=grid, momenta=momenta, throw=False
    )
    cap = _capacity(max(layers))
    sel = np.abs(np.asarray(grid.phi)) <= phi_err + 1e-12
    results, errs, mins, masses = [], [], [], []
    for L in layers:
        r = cdbn_potential(
            potential,
            regulator,
            d,
            size,
            scale_schedule(Lambda, k_ir, L),
            layer_type=layer_type,
            grid=grid,
            momenta=momenta,
            capacity=cap,
            throw=False,
        )
        results.append(r)
        errs.append(float(np.max(np.abs(np.asarray(r.U - cont.U))[sel])))
        m, c = cascade_readout(grid, r.U, phi_err)
        mins.append(float(m))
        masses.append(float(c))
    cm, cc = cascade_readout(grid, cont.U, phi_err)
    return CascadeComparison(
        phi=grid.phi,
        continuum=cont,
        U_layers=jnp.stack([r.U for r in results]),
        sup_error=jnp.asarray(errs),
        slope=jnp.asarray(fit_slope(layers, errs, fit_min)),
        phi_min=jnp.asarray(mins),
        mass2=jnp.asarray(masses),
        continuum_phi_min=jnp.asarray(cm),
        continuum_mass2=jnp.asarray(cc),
        results=tuple(results),
        layers=layers,
        layer_type=layer_type,
        phi_err=phi_err,
    )


@x64
def layer_kernel_widths(d: int, size: int, ks, regulator: AbstractRegulator):
    """Real-space RMS widths of the layer kernels w_l (shell k_l → k_{l+1}) and width × k_l.

    Args:
        d, size: dimension 1..3 and lattice extent >= 2.
        ks: decreasing scales k_0 > ... > k_L (e.g. :func:`scale_schedule`).
        regulator: a regulator (R_k(0) = ∞: zero mode as in :func:`rbm_layer`).

    Returns:
        ``(kernels, widths, widths * ks[:-1])`` (kernels shape (L, size, ..., size)).

    Example:
        >>> w, widths, wk = frg.layer_kernel_widths(2, 16, frg.scale_schedule(3.0, 0.3, 4),
        ...                                         frg.Litim())
        >>> w.shape, bool(jnp.all(jnp.diff(widths) > 0))   # widths grow as k falls
        ((4, 16, 16), True)

    Reference: docs/theory/cascade.md (property 4); S. N. Shah, arXiv:1904.10869 (2019)
    (receptive field growing as k falls).
    """
    d = val.integer("d", d, 1, 3)
    size = val.integer("lattice", size, 2)
    _, st = rbm_stack((size,) * d, ks, regulator)
    w = st["params"]["kernel"]
    widths = jax.vmap(kernel_width)(w)
    return w, widths, widths * jnp.asarray(ks)[:-1]


def plot_cascade(cmp: CascadeComparison, path: str, regulator=None, d=None, size=None) -> str:
    """Figure: potentials vs continuum, error vs L (log–log), layer kernels and width × k_l.

    Args:
        cmp: a :class:`CascadeComparison`. path: output image file.
        regulator, d, size: give all three to draw the kernel panels (else left empty).

    Returns:
        ``path``.

    Example:
        >>> cmp = frg.compare_cascade(lambda x: 0.25*x**2 + x**4/8, frg.Wetterich(), 1, 16,
        ...                           [8, 16, 32])
        >>> frg.plot_cascade(cmp, "cascade.png", frg.Wetterich(), 1, 16)
        'cascade.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phi = np.asarray(cmp.phi)
    fig, ax = plt.subplots(1, 4, figsize=(19, 4.3))
    U0 = np.asarray(cmp.continuum.U)
    win = np.abs(phi) <= cmp.phi_err + 1e-12
    ax[0].plot(phi[win], U0[win] - U0[win].min(), "k-", lw=2.5, label="lattice LPA (reference)")
    for L, U in zip(cmp.layers, np.asarray(cmp.U_layers), strict=True):
        ax[0].plot(phi[win], U[win] - U0[win].min(), "--", lw=1, label=f"L = {L}")
    ax[0].set(xlabel="φ̄", ylabel="U_kIR(φ̄) − min U_cont", title=f"potentials ({cmp.layer_type})")
    ax[0].legend(fontsize=7)
    L = np.asarray(cmp.layers, float)
    e = np.asarray(cmp.sup_error)
    ax[1].loglog(L, e, "o-", label=f"sup error, slope {float(cmp.slope):.3f}")
    ax[1].loglog(L, e[-1] * L[-1] / L, "k:", label="∝ 1/L")
    ax[1].set(xlabel="layers L", ylabel="max |U_L − U_cont|", title="CDBN → cascade")
    ax[1].legend(fontsize=8)
    if regulator is not None and d is not None and size is not None:
        ks = np.asarray(cmp.results[0].ks)
        ks = scale_schedule(float(ks[0]), float(ks[-1]), 10)
        w, widths, wk = layer_kernel_widths(d, size, ks, regulator)
        w = np.asarray(w)
        r = np.arange(size // 2 + 1)
        for l in range(w.shape[0]):
            prof = w[l][(slice(None),) + (0,) * (d - 1)][: size // 2 + 1]
            ax[2].plot(r, prof / np.abs(prof).max(), label=f"k_{l} = {ks[l]:.3g}")
        ax[2].set(xlabel="x (lattice units, along an axis)", ylabel="w_l(x)/max")
        ax[2].set_title("layer kernels (receptive fields)")
        ax[2].legend(fontsize=6)
        ax[3].semilogx(ks[:-1], np.asarray(widths), "o-", label="RMS width σ_l")
        ax[3].semilogx(ks[:-1], np.asarray(wk), "s-", label="σ_l × k_l")
        ax[3].set(xlabel="k_l", ylabel="lattice units", title="width × k_l across layers")
        ax[3].invert_xaxis()
        ax[3].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
