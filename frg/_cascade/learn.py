"""The inverse problem: learn the bare potential from field samples through the cascade.

Samples φ of a lattice field theory with S[φ] = Σ_x [½ Σ_μ (∂_μφ)² + V_θ(φ_x)] give the
distribution of the mean field M = (1/L^d) Σ_x φ_x,

    P(M) ∝ ∫Dφ δ(M − φ̄[φ]) e^{−S[φ]} = exp(−L^d U_eff(M)),

the constraint effective potential. The cascade computes U_eff(M) from V_θ when the
zero mode is the background field φ̄ = M and only p ≠ 0 fluctuates (LPA: every
fluctuation has the curvature U''(φ̄) of the local potential). Fitting
y_b = −ln(n_b/(N Δ_b))/L^d of a histogram of M by the model's bin average
−ln[(1/Δ_b) ∫_bin e^{−L^d U_θ(M)} dM]/L^d (plus a free constant) with the statistical weights
of the bins, 1/σ_b² = L^{2d} n_b/(2τ_int), recovers θ; ``jax.grad`` goes through
the L layers (implicit differentiation of each self-consistent layer) or through the
adaptive lattice LPA flow (the continuum cascade), and optax's L-BFGS minimises χ².

The top of the cascade at finite Λ is completed by the one-loop integral of the modes
above Λ, U_Λ = V + ½ (1/L^d) Σ_{p≠0} log(1 + V''/(p̂² + R_Λ)), so that the potential
entering the cascade is the bare V of the samples (R_∞ = ∞), up to O(V''''V''/Λ⁴).

Reference: docs/cascade.md ("Learning the bare action"); R. Fukuda and E. Kyriakopoulos,
Nucl. Phys. B 85, 354 (1975) and L. O'Raifeartaigh, A. Wipf, H. Yoneyama, Nucl. Phys.
B 271, 653 (1986) (constraint effective potential); S. N. Shah, arXiv:1904.10869 (2019).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import _validate as val
from .._flow.regulators import AbstractRegulator, Litim
from .._results import RESULTS, result_name
from .._rng import rng_policy
from .._x64 import x64
from .lattice import BackgroundGrid, _interval_ends, _lpa_solve, lattice_momenta
from .layers import _cdbn_scan, _padded, scale_schedule

__all__ = [
    "COUPLINGS",
    "MeanFieldHistogram",
    "ActionFit",
    "mean_field_histogram",
    "constraint_potential",
    "fit_action",
    "phi4_samples",
    "tree_level_fit",
]

COUPLINGS = ("m2", "lam", "g6")  # V = m2/2 φ² + lam/4! φ⁴ + g6/6! φ⁶
_COEF = np.array([1.0 / 2.0, 1.0 / 24.0, 1.0 / 720.0])
_GL_X, _GL_W = np.polynomial.legendre.leggauss(4)


def _V(theta, x):
    return sum(
        t * c * x ** (2 * i + 2)
        for i, (t, c) in enumerate(zip(theta, _COEF[: len(theta)], strict=True))
    )


def _dV(theta, x):
    return sum(
        t * c * (2 * i + 2) * x ** (2 * i + 1)
        for i, (t, c) in enumerate(zip(theta, _COEF[: len(theta)], strict=True))
    )


def _d2V(theta, x):
    return sum(
        t * c * (2 * i + 2) * (2 * i + 1) * x ** (2 * i)
        for i, (t, c) in enumerate(zip(theta, _COEF[: len(theta)], strict=True))
    )


class MeanFieldHistogram(eqx.Module):
    """Histogram of the mean field M with the data of the fit.

    Attributes:
        edges: (n_b + 1,) bin edges. counts: (n_b,) counts. used: (n_b,) bool, bins
            entering the fit (count >= ``min_count``).
        y: (n_b,) −ln(n_b/(N Δ_b))/L^d (+inf for empty bins). sigma: (n_b,) its standard
            error sqrt(2 τ_int/n_b)/L^d (the weights of the fit).
        block_counts: (n_blocks, n_b) counts of each independent block (one chain, or
            a contiguous block of independent samples), for jackknife errors.
        tau_int: integrated autocorrelation time of M (½ for independent samples).
        volume: L^d (static).
    """

    edges: jax.Array
    counts: jax.Array
    used: jax.Array
    y: jax.Array
    sigma: jax.Array
    block_counts: jax.Array
    tau_int: jax.Array
    volume: int = eqx.field(static=True)

    def drop_block(self, j: int) -> MeanFieldHistogram:
        """The same histogram without block ``j`` (a jackknife sample; same bins)."""
        counts = self.counts - self.block_counts[j]
        N = jnp.sum(counts)
        safe = jnp.maximum(counts, 1)
        return eqx.tree_at(
            lambda h: (h.counts, h.used, h.y, h.sigma),
            self,
            (
                counts,
                self.used & (counts > 0),
                -jnp.log(safe / (N * jnp.diff(self.edges))) / self.volume,
                jnp.sqrt(2.0 * self.tau_int / safe) / self.volume,
            ),
        )


@x64
def mean_field_histogram(
    samples,
    bins: int = 30,
    min_count: int = 10,
    chains: int = 1,
    tau_int: float | None = None,
    n_blocks: int = 16,
) -> MeanFieldHistogram:
    """Histogram of M = mean(φ) over each sample, with the statistical weights of the bins.

    σ_b = sqrt(2 τ_int / n_b)/L^d is the standard error of y_b = −ln(n_b/(N Δ_b))/L^d
    (Poisson counts, inflated by the autocorrelation of M along each chain).

    Args:
        samples: (N, L, ..., L) fields (d = samples.ndim − 1 in 1..3).
        bins: number of equal bins over [min M, max M], >= 3.
        min_count: bins with fewer counts are left out of the fit (Gaussian error of
            ln n_b), >= 1.
        chains: the samples are ``chains`` interleaved Markov chains (sample i from
            chain i mod chains, as ``frg.phi4_hmc`` and :func:`phi4_samples` return
            them); the chains are the jackknife blocks. With ``chains=1`` the samples
            are split into ``n_blocks`` contiguous blocks.
        tau_int: τ_int of M (default: Sokal's estimate along the chains).
        n_blocks: jackknife blocks when ``chains=1``, >= 2.

    Returns:
        :class:`MeanFieldHistogram`.

    Example:
        >>> x = jax.random.normal(jax.random.key(0), (4000, 8, 8))   # white noise
        >>> h = frg.mean_field_histogram(x, bins=20)
        >>> int(h.counts.sum()), h.volume, h.block_counts.shape
        (4000, 64, (16, 20))
    """
    samples = np.asarray(samples, dtype=float)
    if samples.ndim < 2 or samples.ndim > 4 or len(set(samples.shape[1:])) != 1:
        raise ValueError(
            f"samples must have shape (N, L, ..., L) with 1..3 equal lattice axes; got "
            f"{samples.shape}"
        )
    N = samples.shape[0]
    val.integer("samples (count)", N, 20)
    bins = val.integer("bins", bins, 3)
    min_count = val.integer("min_count", min_count, 1)
    chains = val.integer("chains", chains, 1, N // 2)
    n_blocks = val.integer("n_blocks", n_blocks, 2, N)
    volume = int(np.prod(samples.shape[1:]))
    M = samples.reshape(N, -1).mean(axis=1)
    n_t = N // chains
    if tau_int is None:
        from .._ml.ising import integrated_autocorr_time

        tau_int = float(integrated_autocorr_time(M[: n_t * chains].reshape(n_t, chains)))
    tau_int = float(val.in_range("tau_int", tau_int, 0.5))
    counts, edges = np.histogram(M, bins=bins)
    if chains > 1:
        block_of = np.arange(N) % chains
    else:
        block_of = np.minimum(np.arange(N) * n_blocks // N, n_blocks - 1)
    block_counts = np.stack(
        [np.histogram(M[block_of == j], bins=edges)[0] for j in range(int(block_of.max()) + 1)]
    )
    used = counts >= min_count
    if used.sum() < 4:
        raise ValueError(
            f"bins: only {int(used.sum())} bins have >= {min_count} counts; need >= 4 "
            "(fewer bins or more samples)"
        )
    width = np.diff(edges)
    with np.errstate(divide="ignore"):
        y = -np.log(counts / (N * width)) / volume
    sigma = np.sqrt(2.0 * tau_int / np.maximum(counts, 1)) / volume
    return MeanFieldHistogram(
        edges=jnp.asarray(edges),
        counts=jnp.asarray(counts),
        used=jnp.asarray(used),
        y=jnp.asarray(y),
        sigma=jnp.asarray(sigma),
        block_counts=jnp.asarray(block_counts),
        # float64, not weakly typed: the jackknife's sigma (drop_block) derives from it
        # and must match the fit's, or the fit's program compiles a second time
        tau_int=jnp.asarray(tau_int, dtype=jnp.float64),
        volume=volume,
    )


# ------------------------------------------------------------------------- forward model
class _Setup(eqx.Module):
    """Everything of the forward model except the couplings (a pytree; statics marked)."""

    regulator: AbstractRegulator
    momenta: object
    phi: jax.Array
    ks: jax.Array  # padded schedule (CDBN) or interval ends (continuum)
    n_layers: jax.Array
    Lambda: float = eqx.field(static=True)
    continuum: bool = eqx.field(static=True)
    explicit: bool = eqx.field(static=True)


def _potential(theta, setup: _Setup):
    """U_{k_IR}(φ̄) on the grid for couplings ``theta`` (the differentiable forward model)."""
    phi = setup.phi
    mom = setup.momenta
    grid = BackgroundGrid(phi=phi, slopes=_dV(theta, phi[jnp.array([0, -1])]))
    c0 = _d2V(theta, phi)
    q = mom.q
    den = q + setup.regulator(q, setup.Lambda)
    # (clamped so that a trial θ of a line search far from the data stays finite)
    uv = 0.5 * mom.mean(jnp.log1p(jnp.maximum(c0[:, None] / den[None, :], -1.0 + 1e-9)))
    U0 = _V(theta, phi) + uv
    if setup.continuum:
        U, _, _ = _lpa_solve(
            setup.regulator, mom, grid, U0, setup.Lambda, setup.ks, 1e-10, 1e-12, 8192
        )
    else:
        U = _cdbn_scan(
            setup.regulator, mom, grid, U0, setup.ks, setup.n_layers, setup.explicit, 1e-12, 1e-12
        )[0]
    return U


def _interp(phi, U, c, x):
    """Cubic spline through (φ_i, U_i) with second derivatives c_i, evaluated at x."""
    h = phi[1] - phi[0]
    i = jnp.clip(jnp.floor((x - phi[0]) / h).astype(int), 0, phi.shape[0] - 2)
    t = (x - phi[i]) / h
    return (
        (1 - t) * U[i]
        + t * U[i + 1]
        - h**2 * t * (1 - t) / 6 * ((2 - t) * c[i] + (1 + t) * c[i + 1])
    )


def _bin_model(theta, setup, edges, volume):
    """−ln[(1/Δ_b) ∫_bin exp(−L^d U(M)) dM]/L^d per bin (4-point Gauss–Legendre, spline)."""
    U = _potential(theta, setup)
    grid = BackgroundGrid(phi=setup.phi, slopes=_dV(theta, setup.phi[jnp.array([0, -1])]))
    c = grid.curvature(U)
    a, b = edges[:-1], edges[1:]
    x = 0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * jnp.asarray(_GL_X)[None, :]
    Ux = _interp(setup.phi, U, c, x)
    ref = jnp.min(Ux)
    integ = jnp.sum(jnp.asarray(_GL_W) * jnp.exp(-volume * (Ux - ref)), axis=1)
    return ref - jnp.log(0.5 * integ) / volume  # the bin average of P, as a density


def _chi2_parts(theta, setup, hist):
    model = _bin_model(theta, setup, hist.edges, hist.volume)
    w = jnp.where(hist.used, 1.0 / hist.sigma**2, 0.0)
    r = jnp.where(hist.used, hist.y - model, 0.0)
    const = jnp.sum(w * r) / jnp.sum(w)
    return jnp.sum(w * (r - const) ** 2), const, model


def _chi2(theta, setup, hist):
    return _chi2_parts(theta, setup, hist)[0]


def _make_setup(d, size, regulator, layers, Lambda, k_ir, phi, layer_type):
    momenta = lattice_momenta(d, size, zero_mode=False)
    continuum = layers is None
    if continuum:
        ks = _interval_ends(regulator, momenta, Lambda, k_ir)
        n = jnp.asarray(0)
    else:
        ks, n = _padded(scale_schedule(Lambda, k_ir, layers))
    return _Setup(
        regulator=regulator,
        momenta=momenta,
        phi=jnp.asarray(phi),
        ks=ks,
        n_layers=n,
        Lambda=float(Lambda),
        continuum=continuum,
        explicit=layer_type == "explicit",
    )


def _default_scales(d, size, regulator, Lambda, k_ir):
    p2min = 4.0 * np.sin(np.pi / size) ** 2
    if Lambda is None:
        Lambda = float(np.sqrt(4 * d + 1))
    if k_ir is None:
        # below the smallest p̂² ≠ 0: a compact-support regulator has finished the flow,
        # a power law is down by (k²/p̂²_min)^n there
        k_ir = 0.5 * np.sqrt(p2min) if regulator.support() is not None else 1e-2 * np.sqrt(p2min)
    Lambda = float(val.in_range("Lambda", Lambda, 0.0, low_open=True))
    k_ir = float(val.in_range("k_ir", k_ir, 0.0, Lambda, low_open=True, high_open=True))
    return Lambda, k_ir


@x64
def constraint_potential(
    couplings,
    d: int,
    size: int,
    *,
    regulator: AbstractRegulator | None = None,
    layers: int | None = None,
    layer_type: str = "self-consistent",
    Lambda: float | None = None,
    k_ir: float | None = None,
    phi_max: float = 3.0,
    n_phi: int = 121,
):
    """LPA constraint effective potential U(M) of V = m2/2 φ² + lam/4! φ⁴ + g6/6! φ⁶.

    The cascade with the zero mode as the background field (p ≠ 0 fluctuate), from the
    bare V (one-loop completion above Λ) down to k_IR: P(M) ∝ exp(−L^d U(M)).

    Args:
        couplings: (m2, lam) or (m2, lam, g6).
        d, size: dimension 1..3 and lattice extent >= 2.
        regulator: default ``frg.Litim()``.
        layers: L-layer CDBN; ``None``: the continuum cascade (adaptive lattice LPA).
        layer_type: ``"self-consistent"`` or ``"explicit"`` (CDBN only).
        Lambda: UV scale (default sqrt(4d + 1)). k_ir: IR scale (default below the
            smallest p̂² ≠ 0, see docs/cascade.md).
        phi_max, n_phi: background grid [−phi_max, phi_max].

    Returns:
        ``(phi, U)``: the grid and U_{k_IR}(φ̄) (up to a constant).

    Example:
        >>> phi, U = frg.constraint_potential((0.5, 0.0), 2, 8, layers=4)
        >>> float(jnp.max(jnp.abs(U - U[60] - 0.25 * phi**2))) < 1e-12   # Gaussian: U = V
        True
    """
    d = val.integer("d", d, 1, 3)
    size = val.integer("lattice", size, 2)
    regulator = Litim() if regulator is None else regulator
    theta = jnp.asarray(val.finite("couplings", couplings), dtype=float)
    if theta.shape not in ((2,), (3,)):
        raise ValueError(f"couplings must be (m2, lam) or (m2, lam, g6); got {theta.shape}")
    if layers is not None:
        layers = val.integer("layers", layers, 1)
    if layer_type not in ("self-consistent", "explicit"):
        raise ValueError(f"layer_type must be 'self-consistent' or 'explicit'; got {layer_type!r}")
    Lambda, k_ir = _default_scales(d, size, regulator, Lambda, k_ir)
    phi_max = float(val.in_range("phi_max", phi_max, 0.0, low_open=True))
    n_phi = val.integer("n_phi", n_phi, 5)
    phi = np.linspace(-phi_max, phi_max, n_phi)
    setup = _make_setup(d, size, regulator, layers, Lambda, k_ir, phi, layer_type)
    return setup.phi, _potential_jit(theta, setup)


_potential_jit = eqx.filter_jit(_potential)


@eqx.filter_jit
def _evaluate(theta, setup: _Setup, hist):
    """At θ: χ², the constant c*, the bin model, U(φ̄) and the cascade's RESULTS."""
    chi2, const, model = _chi2_parts(theta, setup, hist)
    phi = setup.phi
    grid = BackgroundGrid(phi=phi, slopes=_dV(theta, phi[jnp.array([0, -1])]))
    U0 = _V(theta, phi)
    if setup.continuum:
        args = (setup.regulator, setup.momenta, grid, U0, setup.Lambda, setup.ks)
        result = _lpa_solve(*args, 1e-10, 1e-12, 8192)[1]
    else:
        args = (setup.regulator, setup.momenta, grid, U0, setup.ks, setup.n_layers)
        result = _cdbn_scan(*args, setup.explicit, 1e-12, 1e-12)[7]
    return chi2, const, model, _potential(theta, setup) + const, result


@eqx.filter_jit
def _lbfgs_run(theta0, S, base, free, setup, hist, max_iter, gtol):
    """L-BFGS in whitened variables u, θ = θ0 + S u with S Sᵀ a covariance of θ (the
    tree-level one for the fit, the Gauss–Newton one for the jackknife refits), so that
    the Hessian of χ² is about 2·I: m² and λ are correlated up to 0.997, and in
    per-coupling units (a diagonal S) the Hessian's condition number was ~700 and each
    refit took ~20 iterations of many line-search steps.

    θ are the free couplings (indices ``free``); the others keep their values in ``base``.
    """
    opt = optax.lbfgs(
        linesearch=optax.scale_by_backtracking_linesearch(
            max_backtracking_steps=30, store_grad=True
        )
    )
    f = lambda u: _chi2(base.at[free].set(theta0 + S @ u), setup, hist)  # noqa: E731
    value_and_grad = optax.value_and_grad_from_state(f)

    def cond(carry):
        u, state, it, _ = carry
        g = optax.tree.get(state, "grad")
        go = (it == 0) | (jnp.max(jnp.abs(g)) > gtol)
        return (it < max_iter) & go & jnp.all(jnp.isfinite(u))

    def body(carry):
        theta, state, it, losses = carry
        value, grad = value_and_grad(theta, state=state)
        upd, state = opt.update(grad, state, theta, value=value, grad=grad, value_fn=f)
        return optax.apply_updates(theta, upd), state, it + 1, losses.at[it].set(value)

    losses = jnp.full((max_iter,), jnp.nan)
    u0 = jnp.zeros_like(theta0)
    u, state, it, losses = jax.lax.while_loop(
        cond, body, (u0, opt.init(u0), jnp.asarray(0), losses)
    )
    return theta0 + S @ u, it, losses


class ActionFit(eqx.Module):
    """Couplings fitted to a mean-field histogram through one cascade.

    Attributes:
        couplings: (p,) fitted (m2, lam[, g6]). errors: (p,) standard errors, from the
            jackknife over the histogram's blocks (or ``fisher_errors`` without it).
        covariance: (p, p) their covariance. fisher_errors: (p,) the Gauss–Newton
            errors of the weighted fit (exact for independent samples).
        chi2, dof: χ² at the optimum and its degrees of freedom (used bins − p − 1).
        loss: (n_iter,) χ² along the L-BFGS iterations. iterations: their number.
        phi, U: grid and fitted U(φ̄), shifted so that y_b ≈ model_b on the histogram.
        model: (n_b,) fitted bin values. all_couplings: (m2, lam[, g6]) with the fixed ones.
        result: :class:`frg.RESULTS` of the cascade at the fitted couplings.
        layers: the layer count (None: continuum). names: the fitted coupling names.
        fixed: the names of the couplings held fixed (static).
    """

    couplings: jax.Array
    errors: jax.Array
    covariance: jax.Array
    fisher_errors: jax.Array
    chi2: float
    dof: int
    loss: np.ndarray
    iterations: int
    phi: jax.Array
    U: jax.Array
    model: jax.Array
    all_couplings: jax.Array
    result: RESULTS
    layers: int | None = eqx.field(static=True)
    names: tuple[str, ...] = eqx.field(static=True)
    fixed: tuple[str, ...] = eqx.field(static=True)

    def to_dict(self) -> dict:
        """Plain-Python summary."""
        allc = dict(zip(COUPLINGS, np.asarray(self.all_couplings).tolist(), strict=False))
        return {
            "layers": "continuum" if self.layers is None else self.layers,
            "result": result_name(self.result),
            "fixed": {n: allc[n] for n in self.fixed},
            "fitted": {
                n: float(v) for n, v in zip(self.names, np.asarray(self.couplings), strict=True)
            },
            "errors": {
                n: float(v) for n, v in zip(self.names, np.asarray(self.errors), strict=True)
            },
            "fisher_errors": {
                n: float(v) for n, v in zip(self.names, np.asarray(self.fisher_errors), strict=True)
            },
            "chi2": float(self.chi2),
            "dof": int(self.dof),
            "iterations": int(self.iterations),
            "loss": [float(x) for x in np.asarray(self.loss)],
        }


def tree_level_fit(hist: MeanFieldHistogram, n_couplings: int = 2):
    """Weighted linear fit of y_b = const + V_θ(M_b): the couplings without fluctuations.

    The starting point of :func:`fit_action` (and the scale of its variables) and the
    baseline the cascade improves on.

    Args:
        hist: :func:`mean_field_histogram`. n_couplings: 2 (m2, lam) or 3 (+ g6).

    Returns:
        ``(couplings, errors)`` as NumPy arrays.
    """
    return _tree_level(hist, n_couplings)[:2]


def _tree_level(hist: MeanFieldHistogram, n_couplings: int):
    """:func:`tree_level_fit` and the covariance of its couplings."""
    M = 0.5 * np.asarray(hist.edges[:-1] + hist.edges[1:])
    used = np.asarray(hist.used)
    cols = [np.ones_like(M)] + [_COEF[i] * M ** (2 * i + 2) for i in range(n_couplings)]
    A = np.stack(cols, axis=1)[used]
    w = 1.0 / np.asarray(hist.sigma)[used]
    sol, *_ = np.linalg.lstsq(A * w[:, None], np.asarray(hist.y)[used] * w, rcond=None)
    cov = np.linalg.pinv((A * w[:, None]).T @ (A * w[:, None]))
    return sol[1:], np.sqrt(np.diag(cov))[1:], cov[1:, 1:]


def _whitening(cov, fallback):
    """S with S Sᵀ = cov (Cholesky); ``diag(fallback)`` if cov is not positive definite."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return np.diag(fallback)


@x64
def fit_action(
    hist: MeanFieldHistogram,
    d: int,
    size: int,
    *,
    layers: int | None = None,
    fit_g6: bool = False,
    fixed: dict | None = None,
    regulator: AbstractRegulator | None = None,
    layer_type: str = "self-consistent",
    Lambda: float | None = None,
    k_ir: float | None = None,
    margin: float = 1.0,
    n_phi: int = 81,
    init: Sequence[float] | None = None,
    max_iter: int = 100,
    gtol: float = 1e-4,
    jackknife: bool = True,
) -> ActionFit:
    """Fit the bare couplings to −ln P(M)/L^d through the cascade (optax L-BFGS, jax.grad).

    χ²(θ) = Σ_b (y_b − model_b(θ) − c*)²/σ_b², model_b = −ln ∫_bin e^{−L^d U_θ(M)} dM/L^d,
    c* the weighted mean residual (normalisation of P), U_θ from :func:`constraint_potential`.

    Args:
        hist: :func:`mean_field_histogram` of the samples.
        d, size: dimension and lattice extent of the samples (L^d = hist.volume).
        layers: L-layer CDBN; ``None``: the continuum cascade.
        fit_g6: fit g6 as well (V = m2/2 φ² + lam/4! φ⁴ + g6/6! φ⁶).
        fixed: couplings held at given values instead of fitted, e.g. ``{"lam": 0.0}``.
        regulator: default ``frg.Litim()``. layer_type: CDBN layers.
        Lambda, k_ir: scales (defaults as in :func:`constraint_potential`).
        margin: the background grid extends ``margin`` beyond the largest |M| (so that
            its boundary closure does not reach the data).
        n_phi: grid points. init: starting couplings (default :func:`tree_level_fit`).
        max_iter, gtol: L-BFGS iteration limit and tolerance on the gradient of χ² in
            whitened couplings (the tree-level covariance for the fit, the Gauss–Newton
            one for the jackknife refits; 1e-4: θ located to ~1e-4 σ).
        jackknife: errors from refits without each block of ``hist`` (warm; same
            compiled code); ``False``: the Gauss–Newton errors.

    Returns:
        :class:`ActionFit`.

    Example:
        >>> key = jax.random.key(0)
        >>> p2 = frg.lattice_p2(2, 8)          # exact Gaussian samples, m2 = 0.5
        >>> z = jnp.fft.fftn(jax.random.normal(key, (4000, 8, 8)), axes=(1, 2))
        >>> x = jnp.real(jnp.fft.ifftn(z / jnp.sqrt(p2 + 0.5), axes=(1, 2)))
        >>> h = frg.mean_field_histogram(x, bins=20)
        >>> fit = frg.fit_action(h, 2, 8, layers=8, fixed={"lam": 0.0})  # doctest: +SKIP
        >>> round(float(fit.couplings[0]), 3), round(float(fit.errors[0]), 3)  # doctest: +SKIP
        (0.488, 0.013)

    Reference: docs/cascade.md ("Learning the bare action").
    """
    d = val.integer("d", d, 1, 3)
    size = val.integer("lattice", size, 2)
    if size**d != hist.volume:
        raise ValueError(
            f"lattice: samples have L^d = {hist.volume} sites, not {size}^{d} = {size**d}"
        )
    regulator = Litim() if regulator is None else regulator
    if layers is not None:
        layers = val.integer("layers", layers, 1)
    if layer_type not in ("self-consistent", "explicit"):
        raise ValueError(f"layer_type must be 'self-consistent' or 'explicit'; got {layer_type!r}")
    margin = float(val.in_range("margin", margin, 0.0, low_open=True))
    n_phi = val.integer("n_phi", n_phi, 5)
    max_iter = val.integer("max_iter", max_iter, 1)
    n_all = 3 if fit_g6 else 2
    fixed = {} if fixed is None else dict(fixed)
    for name in fixed:
        if name not in COUPLINGS[:n_all]:
            raise ValueError(f"fixed: couplings are {list(COUPLINGS[:n_all])}; got {name!r}")
    free = [i for i in range(n_all) if COUPLINGS[i] not in fixed]
    if not free:
        raise ValueError("fixed: at least one coupling must be fitted")
    names = tuple(COUPLINGS[i] for i in free)
    p = len(free)
    Lambda, k_ir = _default_scales(d, size, regulator, Lambda, k_ir)
    phi_max = float(np.max(np.abs(np.asarray(hist.edges)))) + margin
    phi = np.linspace(-phi_max, phi_max, n_phi)
    setup = _make_setup(d, size, regulator, layers, Lambda, k_ir, phi, layer_type)
    tree, scale, tree_cov = _tree_level(hist, n_all)
    tree[1:] = np.maximum(tree[1:], 0.0)  # start from a bounded potential
    base = np.array([float(fixed.get(COUPLINGS[i], tree[i])) for i in range(n_all)])
    theta0 = base[free] if init is None else val.finite("init", init)
    if theta0.shape != (p,):
        raise ValueError(f"init must have {p} entries {names}; got shape {theta0.shape}")
    free_idx = jnp.asarray(free)
    theta, it, losses = _lbfgs_run(
        jnp.asarray(theta0, float),
        jnp.asarray(_whitening(tree_cov[np.ix_(free, free)], scale[free])),
        jnp.asarray(base),
        free_idx,
        setup,
        hist,
        max_iter,
        gtol,
    )
    full = jnp.asarray(base).at[free_idx].set(theta)
    chi2, const, model, U, result = _evaluate(full, setup, hist)
    # Gauss–Newton covariance of (θ, c): (Jᵀ W J)⁻¹, J = ∂(model_b + c)/∂(θ, c) by central
    # differences of the compiled forward model (steps 1e-4 of the tree-level errors)
    used = np.asarray(hist.used)
    cols = []
    for i in free:
        step = 1e-4 * float(scale[i])
        plus = _evaluate(full.at[i].add(step), setup, hist)[2]
        minus = _evaluate(full.at[i].add(-step), setup, hist)[2]
        cols.append(np.asarray(plus - minus)[used] / (2 * step))
    J = np.stack(cols + [np.ones(int(used.sum()))], axis=1)
    w = 1.0 / np.asarray(hist.sigma)[used] ** 2
    fisher = np.linalg.inv(J.T @ (w[:, None] * J))[:p, :p]
    # jackknife over the independent blocks (chains): refit without each, warm start,
    # whitened by the Gauss–Newton covariance of the fit
    jack = []
    if jackknife:
        S = jnp.asarray(_whitening(fisher, np.sqrt(np.diag(fisher))))
        for j in range(hist.block_counts.shape[0]):
            args = (S, jnp.asarray(base), free_idx, setup)
            tj, _, _ = _lbfgs_run(theta, *args, hist.drop_block(j), max_iter, gtol)
            jack.append(np.asarray(tj))
        jack = np.asarray(jack)
        n_b = jack.shape[0]
        dev = jack - jack.mean(axis=0)
        cov = (n_b - 1) / n_b * dev.T @ dev
    else:
        cov = fisher
    return ActionFit(
        couplings=theta,
        errors=jnp.sqrt(jnp.diag(jnp.asarray(cov))),
        covariance=jnp.asarray(cov),
        fisher_errors=jnp.sqrt(jnp.diag(jnp.asarray(fisher))),
        chi2=float(chi2),
        dof=int(used.sum()) - p - 1,
        loss=np.asarray(losses)[: int(it)],
        iterations=int(it),
        phi=setup.phi,
        U=U,
        model=model + const,
        all_couplings=full,
        result=result,
        layers=layers,
        names=names,
        fixed=tuple(COUPLINGS[i] for i in range(n_all) if i not in free),
    )


# ------------------------------------------------------------------------------ samples
def _action_nd(phi, m2, lam, d):
    ax = tuple(range(-d, 0))
    kin = sum(0.5 * (jnp.roll(phi, -1, a) - phi) ** 2 for a in ax)
    return jnp.sum(kin + 0.5 * m2 * phi**2 + lam / 24.0 * phi**4, axis=ax)


@functools.partial(jax.jit, static_argnames=("d", "n_traj", "n_leap", "burn_in"))
def _hmc_nd(key, phi, m2, lam, eps, d, n_traj, n_leap, burn_in):
    ax = tuple(range(-d, 0))
    gS = jax.grad(lambda p: jnp.sum(_action_nd(p, m2, lam, d)))

    def traj(carry, _):
        phi, key = carry
        key, k1, k2 = jax.random.split(key, 3)
        mom = jax.random.normal(k1, phi.shape)
        h0 = _action_nd(phi, m2, lam, d) + 0.5 * jnp.sum(mom**2, axis=ax)
        p = mom - 0.5 * eps * gS(phi)

        def leap(i, c):
            x, p = c
            x = x + eps * p
            return x, p - eps * gS(x)

        x, p = jax.lax.fori_loop(0, n_leap - 1, leap, (phi, p))
        x = x + eps * p
        p = p - 0.5 * eps * gS(x)
        h1 = _action_nd(x, m2, lam, d) + 0.5 * jnp.sum(p**2, axis=ax)
        acc = jax.random.uniform(k2, h0.shape) < jnp.exp(h0 - h1)
        phi = jnp.where(acc.reshape(acc.shape + (1,) * d), x, phi)
        return (phi, key), (phi, jnp.mean(acc))

    (phi, key), _ = jax.lax.scan(traj, (phi, key), None, length=burn_in)
    _, (cfg, acc) = jax.lax.scan(traj, (phi, key), None, length=n_traj)
    return cfg, jnp.mean(acc)


@rng_policy
@x64
def phi4_samples(
    d: int,
    size: int,
    m2: float,
    lam: float,
    n_samples: int,
    *,
    chains: int = 16,
    n_leap: int = 10,
    eps: float = 0.1,
    burn_in: int = 100,
    seed: int = 0,
):
    """Lattice φ⁴ samples in d = 1..3 by hybrid Monte Carlo (every trajectory kept).

    S = Σ_x [½ Σ_μ (φ_{x+μ} − φ_x)² + m2/2 φ² + lam/4! φ⁴]; in d = 2 this is the action
    of ``frg.phi4_hmc``, which it calls.

    Args:
        d, size: dimension 1..3 and lattice extent >= 2.
        m2, lam: couplings (lam >= 0; m2 > 0 when lam = 0).
        n_samples: number of samples (rounded up to a multiple of ``chains``).
        chains, n_leap, eps, burn_in, seed: HMC settings.

    Returns:
        ``(samples, chains, acceptance)``: samples (n, size, ..., size), interleaved by
        chain (sample i from chain i mod chains).

    Example:
        >>> x, chains, acc = frg.phi4_samples(1, 8, 0.5, 0.0, 64, burn_in=10)
        >>> x.shape, chains
        ((64, 8), 16)
    """
    d = val.integer("d", d, 1, 3)
    size = val.integer("lattice", size, 2)
    m2 = float(val.finite("m2", m2))
    lam = float(val.in_range("lam", lam, 0.0, 1e6))
    if lam == 0 and m2 <= 0:
        raise ValueError(f"m2 must lie in (0, inf) when lam = 0 (unbounded action); got {m2!r}")
    n_samples = val.integer("n_samples", n_samples, 1)
    chains = val.integer("chains", chains, 1)
    n_traj = -(-n_samples // chains)
    if d == 2:
        from .._ml.phi4 import hmc

        run = hmc(
            size, m2, lam, chains=chains, n_traj=n_traj, n_leap=n_leap, eps=eps,
            burn_in=burn_in, save_every=1, seed=seed,
        )  # fmt: skip
        return run.configs, chains, run.acceptance
    key = jax.random.PRNGKey(seed)
    k0, k1 = jax.random.split(key)
    phi0 = 0.1 * jax.random.normal(k0, (chains,) + (size,) * d)
    cfg, acc = _hmc_nd(k1, phi0, m2, lam, eps, d, n_traj, n_leap, burn_in)
    return np.asarray(cfg).reshape((-1,) + (size,) * d), chains, float(acc)
