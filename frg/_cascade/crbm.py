"""One RG shell as a Gaussian–Gaussian convolutional RBM (Flax linen), sampling, training.

Energy of a layer on a periodic lattice (visible v, hidden h, same lattice):

    E(v, h) = ½ v·A v + ½ h·h − h·(w ⋆ v),    Â(p) = p̂² + R_k(p) + c,
    |ŵ(p)|² = R_k(p) − R_{k'}(p)              (ŵ = unnormalised FFT of w(x)).

Integrating h out leaves the visible precision P̂ = Â − |ŵ|² = p̂² + R_{k'} + c: the
same field one shell lower. Everything is diagonal in Fourier space, so the block
Gibbs conditionals h|v ~ N(w⋆v, 1), v|h ~ N(A⁻¹ wᵀ⋆h, A⁻¹), the exact
log-partition function log Z = N log 2π − ½ Σ_p log P̂ and the free-energy change
ΔU = ½ (1/N) Σ_p log(P̂/Â) are FFTs and sums.

The module is pure: parameters live in the variables dict (``precision`` Â on the
FFT grid, ``kernel`` w(x) in real space), so every method is ``jit``/``vmap``/``grad``
friendly through ``module.apply(variables, ..., method=...)``.

Reference: docs/theory/cascade.md ("One layer", "Sampling and training");
P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014); H. Lee et al., ICML 2009 (CDBN).
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import _validate as val
from .._flow.regulators import AbstractRegulator
from .._rng import rng_policy
from .._x64 import x64
from .lattice import lattice_p2_shape, zero_mode_frozen

__all__ = [
    "ConvRBM",
    "rbm_layer",
    "rbm_stack",
    "gibbs_sample",
    "ancestral_sample",
    "spectrum_chi2",
    "train_layer",
    "kernel_width",
]


def _axes(shape):
    return tuple(range(-len(shape), 0))


class ConvRBM(nn.Module):
    """Gaussian–Gaussian convolutional RBM on a periodic lattice of ``shape``.

    Parameters: ``precision`` Â(p) (FFT grid) and ``kernel`` w(x) (real space).
    ``init`` gives Â = p̂² + 1 and a small random kernel (free parameters, for
    training); :func:`rbm_layer` builds the RG layer of a shell k → k'.

    Example:
        >>> model, variables = frg.rbm_layer((16, 16), 1.0, 0.5, frg.Litim(), 0.3)
        >>> bool(model.apply(variables, method=frg.ConvRBM.delta_u) < 0)
        True

    Reference: docs/theory/cascade.md ("One layer"); S. N. Shah, arXiv:1904.10869 (2019);
    H. Lee, R. Grosse, R. Ranganath, A. Ng, ICML 2009 (convolutional RBMs).
    """

    shape: tuple[int, ...]
    kernel_scale: float = 1e-2

    def setup(self):
        p2 = lattice_p2_shape(self.shape)
        self.precision = self.param("precision", lambda key: jnp.asarray(p2 + 1.0))
        self.kernel = self.param(
            "kernel", lambda key: self.kernel_scale * jax.random.normal(key, self.shape)
        )

    def __call__(self, v):
        """Free energy F(v) = −log ∫dh e^{−E} + const (see :meth:`free_energy`)."""
        return self.free_energy(v)

    # ---------------------------------------------------------------- spectra
    def kernel_hat(self):
        return jnp.fft.fftn(self.kernel, axes=_axes(self.shape))

    def shell(self):
        """|ŵ(p)|²."""
        return jnp.abs(self.kernel_hat()) ** 2

    def marginal_precision(self):
        """P̂ = Â − |ŵ|² (visible precision with h integrated out)."""
        return self.precision - self.shell()

    def normalisable(self):
        """Whether Â > 0 and Â − |ŵ|² > 0 for every p."""
        return jnp.all(self.marginal_precision() > 0) & jnp.all(self.precision > 0)

    # ---------------------------------------------------------------- energies
    def _conv(self, x, hat):
        ax = _axes(self.shape)
        return jnp.real(jnp.fft.ifftn(hat * jnp.fft.fftn(x, axes=ax), axes=ax))

    def energy(self, v, h):
        """E(v, h) = ½ v·A v + ½ h·h − h·(w ⋆ v) (batched over leading axes)."""
        ax = _axes(self.shape)
        Av = self._conv(v, self.precision)
        wv = self._conv(v, self.kernel_hat())
        return jnp.sum(0.5 * v * Av + 0.5 * h * h - h * wv, axis=ax)

    def free_energy(self, v):
        """F(v) = ½ v·A v − ½ |w ⋆ v|² (h integrated out, constant dropped)."""
        ax = _axes(self.shape)
        Av = self._conv(v, self.precision)
        wv = self._conv(v, self.kernel_hat())
        return jnp.sum(0.5 * v * Av - 0.5 * wv * wv, axis=ax)

    def log_partition(self):
        """log Z = N log 2π − ½ Σ_p log(Â − |ŵ|²); +inf if not normalisable."""
        P = self.marginal_precision()
        n = P.size
        val_ = n * jnp.log(2 * jnp.pi) - 0.5 * jnp.sum(jnp.log(jnp.where(P > 0, P, 1.0)))
        return jnp.where(self.normalisable(), val_, jnp.inf)

    def delta_u(self):
        """ΔU = ½ (1/N) Σ_p log[(Â − |ŵ|²)/Â] per site; +inf if not normalisable."""
        P = self.marginal_precision()
        r = jnp.where(P > 0, P / self.precision, 1.0)
        return jnp.where(self.normalisable(), 0.5 * jnp.mean(jnp.log(r)), jnp.inf)

    # ---------------------------------------------------------------- Gibbs
    def sample_h(self, v, key):
        """h | v ~ N(w ⋆ v, 1)."""
        return self._conv(v, self.kernel_hat()) + jax.random.normal(key, v.shape)

    def sample_v(self, h, key):
        """v | h ~ N(A⁻¹ (wᵀ ⋆ h), A⁻¹), by FFT."""
        mean = self._conv(h, jnp.conj(self.kernel_hat()) / self.precision)
        noise = self._conv(jax.random.normal(key, h.shape), 1.0 / jnp.sqrt(self.precision))
        return mean + noise

    def gibbs_step(self, v, key):
        kh, kv = jax.random.split(key)
        return self.sample_v(self.sample_h(v, kh), kv)


@x64
def rbm_layer(shape, k, kp, regulator: AbstractRegulator, curvature=0.0):
    """The RBM of the shell k → k' at background curvature c = U''(φ̄).

    Â = p̂² + R_k + c, ŵ = sqrt(R_k − R_{k'}) (real, even), w = IFFT(ŵ).

    Args:
        shape: lattice shape, every extent >= 2.
        k, kp: scales with k > k' > 0.
        regulator: any regulator; if R_k(0) = ∞ (``frg.PowerLaw(n)``, n > 1) the zero
            mode is the background field: ŵ(0) = 0 and Â(0) = 1 (a placeholder).
        curvature: c (scalar).

    Returns:
        ``(ConvRBM(shape), variables)``.

    Example:
        >>> model, variables = frg.rbm_layer((8,), 1.0, 0.5, frg.Litim(), 0.3)
        >>> bool(model.apply(variables, method=frg.ConvRBM.normalisable))
        True

    Reference: docs/theory/cascade.md ("One layer"); S. N. Shah, arXiv:1904.10869 (2019).
    """
    shape = tuple(val.integer("lattice", n, 2) for n in shape)
    val.integer("d", len(shape), 1, 3)
    k = float(val.in_range("k", k, 0.0, low_open=True))
    val.in_range("kp", kp, 0.0, k, low_open=True, high_open=True)
    curvature = float(val.finite("curvature", curvature))
    return ConvRBM(shape), {"params": _layer_params(shape, k, kp, regulator, curvature)}


def _layer_params(shape, k, kp, regulator, c):
    p2 = jnp.asarray(lattice_p2_shape(shape))
    if zero_mode_frozen(regulator):
        # R_k(0) = ∞: the zero mode is the background field, not a unit of the layer.
        # It gets no shell (ŵ(0) = 0) and a unit placeholder precision, so it adds
        # nothing to ΔU, log Z or the samples' fluctuations.
        fluct = p2 > 0
        p2s = jnp.where(fluct, p2, 1.0)
        Rk = jnp.where(fluct, regulator(p2s, k), 1.0 - c)
        Rkp = jnp.where(fluct, regulator(p2s, kp), 1.0 - c)
    else:
        Rk, Rkp = regulator(p2, k), regulator(p2, kp)
    what = jnp.sqrt(jnp.maximum(Rk - Rkp, 0.0))
    w = jnp.real(jnp.fft.ifftn(what.astype(complex), axes=_axes(shape)))
    return {"precision": p2 + Rk + c, "kernel": w}


@x64
def rbm_stack(shape, ks, regulator: AbstractRegulator, curvature=0.0):
    """Parameters of the layers k_l → k_{l+1} stacked on a leading axis (vmapped).

    Args:
        shape: lattice shape. ks: decreasing scales k_0 > ... > k_L.
        regulator: a regulator (R_k(0) = ∞: zero mode as in :func:`rbm_layer`).
        curvature: scalar c, or one c per layer (shape (L,)).

    Returns:
        ``(ConvRBM(shape), variables)`` with ``precision`` and ``kernel`` of shape (L, *shape).

    Example:
        >>> model, stacked = frg.rbm_stack((8,), frg.scale_schedule(2.0, 0.2, 4), frg.Litim())
        >>> stacked["params"]["kernel"].shape
        (4, 8)

    Reference: docs/theory/cascade.md ("The finite-layer CDBN"); S. N. Shah,
    arXiv:1904.10869 (2019).
    """
    shape = tuple(val.integer("lattice", n, 2) for n in shape)
    ks = val.decreasing("ks", ks)
    val.in_range("ks", ks, 0.0, low_open=True)
    c = val.finite("curvature", curvature)
    if c.ndim > 1 or (c.ndim == 1 and c.size != ks.size - 1):
        raise ValueError(
            f"curvature must be a scalar or have one entry per layer ({ks.size - 1}); "
            f"got shape {c.shape}"
        )
    c = jnp.broadcast_to(jnp.asarray(c), (ks.size - 1,))
    ks = jnp.asarray(ks)
    f = jax.vmap(lambda k, kp, cc: _layer_params(shape, k, kp, regulator, cc))
    return ConvRBM(shape), {"params": f(ks[:-1], ks[1:], c)}


@rng_policy
@x64
def gibbs_sample(model: ConvRBM, variables, key, n_chains: int, n_steps: int):
    """Block Gibbs sampling of one layer: ``n_chains`` chains from v = 0, ``n_steps`` sweeps.

    Args:
        model, variables: a layer, e.g. from :func:`rbm_layer`. key: PRNG key.
        n_chains, n_steps: number of chains and of Gibbs sweeps (>= 1).

    Returns:
        Visible samples, shape ``(n_chains, *shape)``; their power spectrum tends to
        1/(Â − |ŵ|²) = 1/(p̂² + R_{k'} + c).

    Example:
        >>> model, variables = frg.rbm_layer((8,), 1.0, 0.5, frg.Litim(), 0.3)
        >>> v = frg.gibbs_sample(model, variables, jax.random.PRNGKey(0), 256, 20)
        >>> v.shape
        (256, 8)

    Reference: docs/theory/cascade.md ("Sampling and training").
    """
    n_chains = val.integer("n_chains", n_chains, 1)
    n_steps = val.integer("n_steps", n_steps, 1)
    return _gibbs_run(tuple(model.shape), n_chains, n_steps, variables, key)


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _gibbs_run(shape, n_chains, n_steps, variables, key):
    model = ConvRBM(shape)

    def step(v, kk):
        return model.apply(variables, v, kk, method=ConvRBM.gibbs_step), None

    v, _ = jax.lax.scan(step, jnp.zeros((n_chains, *shape)), jax.random.split(key, n_steps))
    return v


@rng_policy
@x64
def ancestral_sample(model: ConvRBM, stacked, key, n_samples: int):
    """Ancestral sampling down a stack (from :func:`rbm_stack`), top (UV) to bottom (IR).

    v_0 ~ N(0, 1/Â_0) (nearly white), then for each layer v ← v + A_l⁻¹ wᵀ_l ⋆ h_l
    with h_l drawn from the layer's hidden marginal (precision 1 − |ŵ_l|²/Â_l). When
    Â_{l+1} = Â_l − |ŵ_l|² (constant curvature) each step adds one shell and
    v_L has spectrum 1/(p̂² + R_{k_L} + c).

    Args:
        model, stacked: from :func:`rbm_stack`. key: PRNG key. n_samples: >= 1.

    Returns:
        Samples of shape ``(n_samples, *shape)``.

    Example:
        >>> model, stacked = frg.rbm_stack((8,), frg.scale_schedule(2.0, 0.2, 4), frg.Litim(), 0.3)
        >>> frg.ancestral_sample(model, stacked, jax.random.PRNGKey(1), 512).shape
        (512, 8)

    Reference: docs/theory/cascade.md ("Sampling and training"); G. E. Hinton, S. Osindero,
    Y.-W. Teh, Neural Comput. 18, 1527 (2006) (ancestral sampling of a DBN).
    """
    n_samples = val.integer("n_samples", n_samples, 1)
    return _ancestral_run(tuple(model.shape), n_samples, stacked["params"], key)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _ancestral_run(shape, n_samples, prm, key):
    ax = _axes(shape)

    def colored(key, spec):
        z = jax.random.normal(key, (n_samples, *shape))
        return jnp.real(jnp.fft.ifftn(jnp.sqrt(spec) * jnp.fft.fftn(z, axes=ax), axes=ax))

    k0, key = jax.random.split(key)
    v0 = colored(k0, 1.0 / prm["precision"][0])

    def layer(v, inp):
        A, w, kk = inp
        what = jnp.fft.fftn(w, axes=ax)
        h = colored(kk, A / (A - jnp.abs(what) ** 2))
        add = jnp.fft.ifftn(jnp.conj(what) / A * jnp.fft.fftn(h, axes=ax), axes=ax)
        return v + jnp.real(add), None

    keys = jax.random.split(key, prm["kernel"].shape[0])
    v, _ = jax.lax.scan(layer, v0, (prm["precision"], prm["kernel"], keys))
    return v


def spectrum_chi2(samples, target, n_bands: int = 8) -> dict:
    """χ² test of sampled fields against a target power spectrum S(p) (FFT grid).

    Whitens u = IFFT(v̂/√S); under H0 the orthogonal projections of u onto bands of
    modes (grouped by S, symmetric under p → −p) give X_b ~ χ²_{M n_b}
    independently. Statistic Q = Σ_b (X_b − M n_b)²/(2 M n_b) ~ χ²_{n_bands}.

    Args:
        samples: (M, *shape) real fields. target: S(p) on the FFT grid of ``shape``.
        n_bands: number of bands (the χ² degrees of freedom).

    Returns:
        dict with ``chi2``, ``dof``, ``p_value`` and ``band_ratio`` (X_b/(M n_b) per band).

    Example:
        >>> S = 1.0 / (1.0 + np.asarray(frg.lattice_p2(1, 8)))   # 5 distinct values
        >>> w = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (512, 8)))
        >>> v = np.fft.ifft(np.sqrt(S) * np.fft.fft(w, axis=1), axis=1).real  # S(p) noise
        >>> res = frg.spectrum_chi2(v, S, n_bands=4)
        >>> res["dof"], res["p_value"] > 1e-3
        (4, True)
    """
    from scipy import stats

    samples = np.asarray(samples)
    target = np.asarray(target)
    if samples.shape[1:] != target.shape:
        raise ValueError(f"samples must have shape (M, *{target.shape}); got {samples.shape}")
    if not np.all(np.isfinite(target)) or np.any(target <= 0):
        raise ValueError("target must be a positive, finite power spectrum S(p)")
    ax = tuple(range(1, samples.ndim))
    vh = np.fft.fftn(samples, axes=ax)
    power = (np.abs(vh) ** 2 / target.size / target).sum(axis=0)  # Σ_chains |û|²/N
    M = samples.shape[0]
    key = np.round(target, 12).ravel()
    levels = np.unique(key)
    if not 1 <= n_bands <= levels.size:
        raise ValueError(
            f"n_bands must be in [1, {levels.size}] (the number of distinct values of "
            f"target); got {n_bands}"
        )
    edges = np.array_split(levels, n_bands)
    X, n = [], []
    for e in edges:
        sel = np.isin(key, e).reshape(target.shape)
        X.append(power[sel].sum())
        n.append(sel.sum() * M)
    X, n = np.asarray(X), np.asarray(n, dtype=float)
    Q = float(np.sum((X - n) ** 2 / (2 * n)))
    return {
        "chi2": Q,
        "dof": int(len(X)),
        "p_value": float(stats.chi2.sf(Q, len(X))),
        "band_ratio": (X / n).tolist(),
    }


@rng_policy
@x64
def train_layer(
    samples,
    precision,
    key,
    *,
    method: str = "likelihood",
    steps: int = 500,
    learning_rate: float = 2e-3,
    batch_size: int = 64,
    cd_steps: int = 1,
):
    """Learn a layer's kernel w (Â fixed) from samples of the coarser scale, with optax.

    ``likelihood``: exact NLL per site ½ (1/N) Σ_p [P̂ S_emp − log P̂], P̂ = Â − |ŵ|²,
    full batch (S_emp the empirical spectrum), ``steps`` Adam steps.
    ``cd``: contrastive divergence CD-k on the free energy, ``steps`` epochs of
    minibatches of ``batch_size``.

    Args:
        samples: (M, *shape) fields drawn at scale k'. precision: Â on the FFT grid (fixed).
        key: PRNG key. method: ``"likelihood"`` or ``"cd"``. steps: Adam steps / epochs.
        learning_rate, batch_size, cd_steps: optimiser and CD-k settings.

    Returns:
        ``(variables, losses)``; compare ``shell`` = |ŵ|² with R_k − R_{k'}.

    Example:
        >>> model, var = frg.rbm_layer((8,), 1.0, 0.5, frg.Litim(), 0.3)
        >>> v = frg.gibbs_sample(model, var, jax.random.PRNGKey(0), 256, 20)
        >>> learned, losses = frg.train_layer(v, var["params"]["precision"],
        ...                                   jax.random.PRNGKey(2), steps=200,
        ...                                   learning_rate=1e-2)
        >>> shell = model.apply(learned, method=frg.ConvRBM.shell)
        >>> [round(float(s), 2) for s in shell[:3]]   # R_k − R_k' = 0.75, 0.41, 0
        [0.79, 0.47, 0.0]

    Reference: docs/theory/cascade.md ("Sampling and training"); G. E. Hinton, Neural
    Comput. 14, 1771 (2002) (contrastive divergence).
    """
    if method not in ("likelihood", "cd"):
        raise ValueError(f"method must be 'likelihood' or 'cd'; got {method!r}")
    samples = jnp.asarray(samples)
    precision = jnp.asarray(precision)
    if samples.shape[1:] != precision.shape:
        raise ValueError(f"samples must have shape (M, *{precision.shape}); got {samples.shape}")
    steps = val.integer("steps", steps, 1)
    shape = tuple(precision.shape)
    model = ConvRBM(shape)
    kinit, key = jax.random.split(key)
    w0 = model.init(kinit, jnp.zeros(shape))["params"]["kernel"]
    lr = float(learning_rate)
    if method == "likelihood":
        w, losses = _train_likelihood(shape, steps, lr, samples, precision, w0)
    else:
        batch_size = val.integer("batch_size", batch_size, 1, samples.shape[0])
        cd_steps = val.integer("cd_steps", cd_steps, 1)
        w, losses = _train_cd(shape, steps, lr, batch_size, cd_steps, samples, precision, w0, key)
    return {"params": {"precision": precision, "kernel": w}}, losses


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _train_likelihood(shape, steps, lr, samples, precision, w):
    ax = _axes(shape)
    S = jnp.mean(jnp.abs(jnp.fft.fftn(samples, axes=ax)) ** 2, axis=0) / precision.size
    opt = optax.adam(lr)

    def loss(w):
        P = precision - jnp.abs(jnp.fft.fftn(w, axes=ax)) ** 2
        P = jnp.maximum(P, 1e-10)
        return 0.5 * jnp.mean(P * S - jnp.log(P))

    def step(carry, _):
        w, state = carry
        lval, g = jax.value_and_grad(loss)(w)
        upd, state = opt.update(g, state)
        return (optax.apply_updates(w, upd), state), lval

    (w, _), losses = jax.lax.scan(step, (w, opt.init(w)), None, length=steps)
    return w, losses


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _train_cd(shape, epochs, lr, batch_size, cd_steps, samples, precision, w, key):
    model = ConvRBM(shape)
    N = precision.size
    nb = samples.shape[0] // batch_size
    opt = optax.adam(lr)

    def cd_loss(w, v, kk):
        var = {"params": {"precision": precision, "kernel": w}}
        vm = v
        for i in range(cd_steps):
            vm = model.apply(var, vm, jax.random.fold_in(kk, i), method=ConvRBM.gibbs_step)
        vm = jax.lax.stop_gradient(vm)
        F = lambda x: model.apply(var, x, method=ConvRBM.free_energy)
        return (jnp.mean(F(v)) - jnp.mean(F(vm))) / N

    def epoch(carry, kk):
        w, state = carry
        kp, kk = jax.random.split(kk)
        data = jax.random.permutation(kp, samples)[: nb * batch_size]
        data = data.reshape(nb, batch_size, *shape)

        def step(carry, inp):
            w, state = carry
            v, kb = inp
            lval, g = jax.value_and_grad(cd_loss)(w, v, kb)
            upd, state = opt.update(g, state)
            return (optax.apply_updates(w, upd), state), lval

        (w, state), ls = jax.lax.scan(step, (w, state), (data, jax.random.split(kk, nb)))
        return (w, state), jnp.mean(ls)

    (w, _), losses = jax.lax.scan(epoch, (w, opt.init(w)), jax.random.split(key, epochs))
    return w, losses


def kernel_width(w) -> jax.Array:
    """RMS radius of a real-space kernel, σ² = Σ_x |x|² w(x)² / Σ_x w(x)² (minimal image).

    Args:
        w: real-space kernel on a periodic lattice (any dimension).

    Returns:
        σ as a 0-d array (lattice spacings).

    Example:
        >>> round(float(frg.kernel_width(jnp.array([1.0, 1.0, 0.0, 1.0]))), 4)   # √(2/3)
        0.8165
    """
    w = jnp.asarray(w)
    r2 = 0.0
    for mu, n in enumerate(w.shape):
        x = np.arange(n)
        x = np.minimum(x, n - x).astype(float)
        sh = [1] * w.ndim
        sh[mu] = n
        r2 = r2 + (x**2).reshape(sh)
    return jnp.sqrt(jnp.sum(r2 * w**2) / jnp.sum(w**2))
