"""Binary restricted Boltzmann machines in JAX: dense and convolutional (no pooling).

Units are {0, 1}; a ±1 Ising spin s maps to v = (s + 1)/2.

E(v, h) = −a·v − b·h − vᵀ W h,   F(v) = −a·v − Σ_j softplus(b_j + (vW)_j).

Training minimises the contrastive-divergence surrogate
ℒ = ⟨F(v)⟩_data − ⟨F(sg(ṽ))⟩_k + λ Σ|W|, whose gradient is exactly the CD-k (or PCD)
estimate of −∇ log-likelihood plus the L1 penalty (ṽ: k block-Gibbs steps from the data,
or from persistent chains for PCD). Optimiser: optax Adam.

Sampling runs in float32 (speed); exact likelihoods and gradients (small RBMs) in float64.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import _validate as V
from .._rng import rng_policy
from .._x64 import x64


class RBMParams(NamedTuple):
    """Dense binary RBM: W (n_v, n_h), a (n_v,) visible bias, b (n_h,) hidden bias."""

    W: jnp.ndarray
    a: jnp.ndarray
    b: jnp.ndarray


class ConvRBMParams(NamedTuple):
    """Conv binary RBM: W (C_out, C_in, f, f), a (C_in,), b (C_out,); periodic, stride 1."""

    W: jnp.ndarray
    a: jnp.ndarray
    b: jnp.ndarray


class TrainHistory(NamedTuple):
    """Per-epoch mean reconstruction error (float64) of a training run."""

    reconstruction_error: np.ndarray


# --------------------------------------------------------------------------- dense RBM


def init_rbm(key, n_visible, n_hidden, scale=0.01, dtype=jnp.float32):
    """Random RBM: W ~ N(0, scale²), zero biases."""
    n_visible = V.integer("n_visible", n_visible, 1)
    n_hidden = V.integer("n_hidden", n_hidden, 1)
    W = scale * jax.random.normal(key, (n_visible, n_hidden), dtype)
    return RBMParams(W, jnp.zeros(n_visible, dtype), jnp.zeros(n_hidden, dtype))


def free_energy(params, v):
    """F(v) = −a·v − Σ_j softplus(b_j + Σ_i v_i W_ij) for a batch v (..., n_v)."""
    if isinstance(params, ConvRBMParams):
        return conv_free_energy(params, v)
    return -v @ params.a - jnp.sum(jax.nn.softplus(v @ params.W + params.b), axis=-1)


def hidden_probs(params, v):
    """p(h_j = 1 | v) = σ(b_j + (vW)_j)."""
    if isinstance(params, ConvRBMParams):
        return jax.nn.sigmoid(_conv(v, params.W) + params.b[:, None, None])
    return jax.nn.sigmoid(v @ params.W + params.b)


def visible_probs(params, h):
    """p(v_i = 1 | h) = σ(a_i + (W h)_i)."""
    if isinstance(params, ConvRBMParams):
        return jax.nn.sigmoid(_conv_t(h, params.W) + params.a[:, None, None])
    return jax.nn.sigmoid(h @ params.W.T + params.a)


def gibbs_step(params, v, key):
    """One block-Gibbs step v → h → v' (Bernoulli samples)."""
    k1, k2 = jax.random.split(key)
    h = jax.random.bernoulli(k1, hidden_probs(params, v)).astype(v.dtype)
    return jax.random.bernoulli(k2, visible_probs(params, h)).astype(v.dtype)


def _gibbs_k(params, v, key, k):
    def body(i, c):
        v, key = c
        key, sub = jax.random.split(key)
        return gibbs_step(params, v, sub), key

    v, _ = jax.lax.fori_loop(0, k, body, (v, key))
    return v


def _surrogate(params, v_data, v_model, l1):
    fe = jnp.mean(free_energy(params, v_data)) - jnp.mean(
        free_energy(params, jax.lax.stop_gradient(v_model))
    )
    return fe + l1 * jnp.sum(jnp.abs(params.W))


@rng_policy
def cd_gradient(params, v_data, key, k=1, v_start=None):
    """CD-k estimate of −∇θ ⟨log p(v)⟩_data (a pytree like ``params``).

    −∇ log p = ⟨∇F⟩_data − ⟨∇F⟩_model, the model average from k Gibbs steps started
    at the data (or at ``v_start`` for PCD).

    Args: params: RBM; v_data: (batch, n_v) in {0,1}; key: PRNG key; k: Gibbs steps;
      v_start: optional persistent chains (batch, n_v) for PCD.
    Returns: gradient pytree (:class:`RBMParams`).

    Example:
        >>> v = (frg.sample_configs(8, frg.T_C, 64).reshape(64, -1) + 1) / 2
        >>> params, _ = frg.train_rbm(v, 16, epochs=2, batch_size=32)
        >>> frg.cd_gradient(params, jnp.asarray(v), jax.random.PRNGKey(0)).W.shape
        (64, 16)

    Reference: G. E. Hinton, Neural Comput. 14, 1771 (2002); T. Tieleman, ICML 2008 (PCD).
    """
    k = V.integer("k", k, 1)
    return _cd_gradient(params, v_data, v_data if v_start is None else v_start, key, k)


@functools.partial(jax.jit, static_argnames=("k",))
def _cd_gradient(params, v_data, v0, key, k):
    v_model = _gibbs_k(params, v0, key, k)
    return jax.grad(_surrogate)(params, v_data, v_model, 0.0)


def enumerate_visible(n_visible, dtype=jnp.float64):
    """All 2^n binary visible vectors, (2^n, n) in {0, 1}."""
    n = V.integer("n_visible", n_visible, 1, 22)
    idx = np.arange(2**n)[:, None]
    return jnp.asarray((idx >> np.arange(n)) & 1, dtype)


def exact_log_partition(params):
    """ln Z = logsumexp_v(−F(v)) by enumerating all visible states (n_v ≤ 22)."""
    vs = enumerate_visible(params.W.shape[0], params.W.dtype)
    return jax.scipy.special.logsumexp(-free_energy(params, vs))


def exact_log_likelihood(params, v_data):
    """Mean exact log-likelihood ⟨−F(v) − ln Z⟩_data (small RBMs)."""
    return jnp.mean(-free_energy(params, v_data)) - exact_log_partition(params)


@x64
def exact_nll_gradient(params, v_data):
    """Exact −∇θ ⟨log p(v)⟩_data by autodiff through the enumerated ln Z (float64).

    Args: params: :class:`RBMParams` with n_v ≤ 22; v_data: (batch, n_v) in {0,1}.
    Returns: float64 gradient pytree (:class:`RBMParams`), the target of :func:`cd_gradient`.

    Example:
        >>> v = (frg.sample_configs(8, frg.T_C, 64).reshape(64, -1)[:, :6] + 1) / 2
        >>> params, _ = frg.train_rbm(v, 3, epochs=1, batch_size=32)
        >>> frg.exact_nll_gradient(params, v).W.dtype
        dtype('float64')

    Reference: G. E. Hinton, Neural Comput. 14, 1771 (2002) (the gradient CD approximates).
    """
    p64 = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), params)
    return _exact_nll_gradient(p64, jnp.asarray(v_data, jnp.float64))


@jax.jit
@jax.grad
def _exact_nll_gradient(params, v_data):
    return -exact_log_likelihood(params, v_data)


@functools.partial(
    jax.jit, static_argnames=("epochs", "batch_size", "k", "persistent", "optimizer")
)
def _train_epochs(carry, data, epochs, batch_size, k, persistent, l1, optimizer):
    """``epochs`` epochs from ``carry = (params, opt_state, chains, key)``: (carry, errors)."""
    opt = optimizer
    n = data.shape[0]
    nb = n // batch_size

    def batch_step(carry, vb):
        params, opt_state, chains, key = carry
        key, sub = jax.random.split(key)
        v0 = chains if persistent else vb
        v_model = _gibbs_k(params, v0, sub, k)
        grads = jax.grad(_surrogate)(params, vb, v_model, l1)
        updates, opt_state = opt.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        recon = visible_probs(params, hidden_probs(params, vb))
        err = jnp.mean((recon - vb) ** 2)
        return (params, opt_state, v_model, key), err

    def epoch(carry, _):
        params, opt_state, chains, key = carry
        key, kp = jax.random.split(key)
        perm = jax.random.permutation(kp, n)[: nb * batch_size]
        batches = data[perm].reshape(nb, batch_size, *data.shape[1:])
        carry, errs = jax.lax.scan(batch_step, (params, opt_state, chains, key), batches)
        return carry, jnp.mean(errs)

    return jax.lax.scan(epoch, carry, None, length=epochs)


def _train(params, data, key, epochs, batch_size, k, persistent, l1, optimizer, on_epoch=None):
    """All epochs in one compiled scan, or (``on_epoch`` given) one call per epoch with
    ``on_epoch(epoch, error)`` after each: the same key sequence, hence the same result."""
    carry = (params, optimizer.init(params), data[:batch_size], key)
    args = (batch_size, k, persistent, l1, optimizer)
    if on_epoch is None:
        carry, errs = _train_epochs(carry, data, epochs, *args)
        return carry[0], errs
    errs = []
    for e in range(epochs):
        carry, err = _train_epochs(carry, data, 1, *args)
        errs.append(float(err[0]))
        on_epoch(e, errs[-1])
    return carry[0], jnp.asarray(errs)


@functools.lru_cache(maxsize=32)
def _adam(lr):
    # cached so that the (static) optimizer hashes equal across calls: no recompilation
    return optax.adam(lr)


def _validate_train(data, epochs, batch_size, k, lr, l1):
    data = np.asarray(data)
    if data.ndim < 2 or data.shape[0] < 1:
        raise ValueError(f"data must have shape (n_samples, ...); got {data.shape}")
    if not np.all((data == 0) | (data == 1)):
        raise ValueError("data must be binary {0, 1} (map Ising spins with (s + 1)/2)")
    epochs = V.integer("epochs", epochs, 1)
    batch_size = min(V.integer("batch_size", batch_size, 1), data.shape[0])
    k = V.integer("k", k, 1, 10_000)
    lr = float(V.in_range("lr", lr, 0.0, 10.0, low_open=True))
    l1 = float(V.in_range("l1", l1, 0.0, 10.0))
    return data, epochs, batch_size, k, lr, l1


@rng_policy
def train_rbm(
    data,
    n_hidden,
    *,
    epochs=20,
    batch_size=100,
    k=1,
    lr=1e-2,
    l1=1e-4,
    persistent=False,
    seed=0,
    on_epoch=None,
):
    """Train a dense binary RBM by CD-k (or PCD) with an L1 penalty on W (optax Adam).

    ℒ = ⟨F(v)⟩_data − ⟨F(ṽ)⟩ + λ‖W‖₁.

    Args: data: (n, n_v) in {0,1}; n_hidden: hidden units; epochs; batch_size; k: Gibbs
      steps; lr: Adam learning rate; l1: λ; persistent: PCD if True; seed;
      on_epoch: optional ``f(epoch, reconstruction_error)`` called after every epoch
      (for progress reports; the result is the same with or without it).
    Returns: (RBMParams (float32), TrainHistory).

    Example:
        >>> v = (frg.sample_configs(8, frg.T_C, 64).reshape(64, -1) + 1) / 2
        >>> params, hist = frg.train_rbm(v, 16, epochs=2, batch_size=32)
        >>> params.W.shape, hist.reconstruction_error.shape
        ((64, 16), (2,))

    Reference: G. E. Hinton, Neural Comput. 14, 1771 (2002); T. Tieleman, ICML 2008 (PCD).
    """
    data, epochs, batch_size, k, lr, l1 = _validate_train(data, epochs, batch_size, k, lr, l1)
    data = data.reshape(data.shape[0], -1)
    n_hidden = V.integer("n_hidden", n_hidden, 1)
    key = jax.random.PRNGKey(seed)
    k0, k1 = jax.random.split(key)
    params = init_rbm(k0, data.shape[1], n_hidden)
    pbar = np.clip(data.mean(0), 1e-3, 1 - 1e-3)
    params = params._replace(a=jnp.asarray(np.log(pbar / (1 - pbar)), jnp.float32))
    params, errs = _train(
        params,
        jnp.asarray(data, jnp.float32),
        k1,
        epochs,
        batch_size,
        k,
        bool(persistent),
        l1,
        _adam(lr),
        on_epoch,
    )
    return params, TrainHistory(np.asarray(errs, np.float64))


@rng_policy
def train_dbn(data, hidden_sizes, *, sample_hidden=True, seed=0, on_epoch=None, **kw):
    """Greedy layer-wise stack of RBMs (a DBN): layer l+1 is trained on layer l's hidden units.

    Args: data: (n, n_v) in {0,1}; hidden_sizes: e.g. (400, 100, 25); sample_hidden: feed
      Bernoulli samples of p(h|v) (True) or the thresholded p(h|v) > ½ (False);
      seed; on_epoch: optional ``f(layer, epoch, reconstruction_error)`` after every
      epoch; **kw: passed to :func:`train_rbm`.
    Returns: list of (RBMParams, TrainHistory), first layer first.

    Example:
        >>> v = (frg.sample_configs(8, frg.T_C, 64).reshape(64, -1) + 1) / 2
        >>> dbn = frg.train_dbn(v, [16, 4], epochs=2, batch_size=32)
        >>> [p.W.shape for p, _ in dbn]
        [(64, 16), (16, 4)]

    Reference: G. E. Hinton, S. Osindero, Y.-W. Teh, Neural Comput. 18, 1527 (2006).
    """
    if len(hidden_sizes) < 1:
        raise ValueError("hidden_sizes must contain at least one layer size")
    x = np.asarray(data).reshape(len(data), -1)
    out = []
    key = jax.random.PRNGKey(seed + 1000)
    for i, nh in enumerate(hidden_sizes):
        cb = None if on_epoch is None else functools.partial(on_epoch, i)
        params, hist = train_rbm(x, nh, seed=seed + i, on_epoch=cb, **kw)
        out.append((params, hist))
        p = hidden_probs(params, jnp.asarray(x, jnp.float32))
        key, sub = jax.random.split(key)
        x = np.asarray(jax.random.bernoulli(sub, p) if sample_hidden else (p > 0.5), np.float32)
    return out


# --------------------------------------------------------------------------- conv RBM


def _conv_matrix(W, L):
    """Dense (C_out·L², C_in·L²) matrix of the periodic stride-1 correlation with W.

    On CPU small-channel convolutions are much faster as one matmul with this
    (gathered, hence differentiable) block-circulant matrix.
    """
    c_out, c_in, f, _ = W.shape
    p = f // 2
    i = np.arange(L)
    d = (i[None, :] - i[:, None] + p) % L  # offset of input y relative to output x
    D = np.where(d < f, d, f)  # f → zero slot
    D0 = D[:, None, :, None]
    D1 = D[None, :, None, :]
    Wp = jnp.pad(W, ((0, 0), (0, 0), (0, 1), (0, 1)))
    M = Wp[:, :, D0, D1]  # (c_out, c_in, L, L, L, L): [k, c, xi, xj, yi, yj]
    return M.transpose(0, 2, 3, 1, 4, 5).reshape(c_out * L * L, c_in * L * L)


def _conv(v, W):
    """Periodic 'same' correlation: (B, C_in, L, L) × (C_out, C_in, f, f) → (B, C_out, L, L)."""
    L = v.shape[-1]
    M = _conv_matrix(W, L)
    return (v.reshape(v.shape[0], -1) @ M.T).reshape(v.shape[0], W.shape[0], L, L)


def _conv_t(h, W):
    """Transpose of :func:`_conv` (hidden → visible pre-activation)."""
    L = h.shape[-1]
    M = _conv_matrix(W, L)
    return (h.reshape(h.shape[0], -1) @ M).reshape(h.shape[0], W.shape[1], L, L)


def conv_free_energy(params, v):
    """F(v) = −Σ_c a_c Σ_x v_cx − Σ_{k,x} softplus(b_k + (W_k ⋆ v)_x) for v (B, C, L, L)."""
    pre = _conv(v, params.W) + params.b[:, None, None]
    return -jnp.einsum("bcxy,c->b", v, params.a) - jnp.sum(jax.nn.softplus(pre), axis=(1, 2, 3))


def init_conv_rbm(key, c_in, c_out, filter_size, scale=0.01):
    """Random conv RBM with odd ``filter_size``."""
    f = V.integer("filter_size", filter_size, 1, 99)
    if f % 2 == 0:
        raise ValueError(f"filter_size must be an odd integer in [1, 99]; got {f}")
    W = scale * jax.random.normal(key, (c_out, c_in, f, f), jnp.float32)
    return ConvRBMParams(W, jnp.zeros(c_in, jnp.float32), jnp.zeros(c_out, jnp.float32))


@rng_policy
def train_conv_rbm(
    data,
    n_filters,
    filter_size,
    *,
    epochs=10,
    batch_size=50,
    k=1,
    lr=1e-2,
    l1=1e-4,
    seed=0,
    on_epoch=None,
):
    """Train a binary convolutional RBM (periodic, stride 1, no pooling) by CD-k + L1.

    Args: data: (n, C, L, L) or (n, L, L) in {0,1}; n_filters: hidden channels;
      filter_size: odd f; other args (``on_epoch`` included) as :func:`train_rbm`.
    Returns: (ConvRBMParams, TrainHistory).

    Example:
        >>> s = frg.sample_configs(8, frg.T_C, 64)
        >>> params, hist = frg.train_conv_rbm((s + 1) / 2, 2, 3, epochs=1, batch_size=32)
        >>> params.W.shape
        (2, 1, 3, 3)

    Reference: H. Lee, R. Grosse, R. Ranganath, A. Ng, ICML 2009 (here without probabilistic
    max-pooling); G. E. Hinton, Neural Comput. 14, 1771 (2002) (CD-k).
    """
    f = V.integer("filter_size", filter_size, 1, 99)
    if f % 2 == 0:
        raise ValueError(f"filter_size must be an odd integer in [1, 99]; got {f}")
    data, epochs, batch_size, k, lr, l1 = _validate_train(data, epochs, batch_size, k, lr, l1)
    if data.ndim == 3:
        data = data[:, None]
    if data.ndim != 4:
        raise ValueError(f"data must have shape (n, C, L, L) or (n, L, L); got {data.shape}")
    n_filters = V.integer("n_filters", n_filters, 1)
    key = jax.random.PRNGKey(seed)
    k0, k1 = jax.random.split(key)
    params = init_conv_rbm(k0, data.shape[1], n_filters, filter_size)
    params, errs = _train(
        params,
        jnp.asarray(data, jnp.float32),
        k1,
        epochs,
        batch_size,
        k,
        False,
        l1,
        _adam(lr),
        on_epoch,
    )
    return params, TrainHistory(np.asarray(errs, np.float64))


@rng_policy
def train_cdbn(data, n_filters, filter_size, *, seed=0, on_epoch=None, **kw):
    """Greedy stack of conv RBMs (no pooling); layer l+1 sees layer l's sampled hidden maps.

    Args: data: (n, L, L) in {0,1}; n_filters: list of channel counts per layer;
      filter_size: odd int (same for all layers) or list; seed; on_epoch: optional
      ``f(layer, epoch, reconstruction_error)``; **kw: passed to :func:`train_conv_rbm`.
    Returns: list of (ConvRBMParams, TrainHistory).

    Example:
        >>> s = frg.sample_configs(8, frg.T_C, 64)
        >>> cdbn = frg.train_cdbn((s + 1) / 2, [2, 2], 3, epochs=1, batch_size=32)
        >>> [p.W.shape for p, _ in cdbn]
        [(2, 1, 3, 3), (2, 2, 3, 3)]

    Reference: H. Lee, R. Grosse, R. Ranganath, A. Ng, ICML 2009 (without max-pooling).
    """
    sizes = (
        filter_size if isinstance(filter_size, (list, tuple)) else [filter_size] * len(n_filters)
    )
    x = np.asarray(data, np.float32)
    if x.ndim == 3:
        x = x[:, None]
    key = jax.random.PRNGKey(seed + 2000)
    out = []
    for i, (nf, f) in enumerate(zip(n_filters, sizes, strict=True)):
        cb = None if on_epoch is None else functools.partial(on_epoch, i)
        params, hist = train_conv_rbm(x, nf, f, seed=seed + i, on_epoch=cb, **kw)
        out.append((params, hist))
        key, sub = jax.random.split(key)
        x = np.asarray(jax.random.bernoulli(sub, hidden_probs(params, jnp.asarray(x))), np.float32)
    return out
