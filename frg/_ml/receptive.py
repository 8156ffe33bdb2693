"""Effective receptive fields of stacked RBMs and a locality (block-size) metric.

Dense DBN: the receptive field of hidden unit j of layer l on the visible lattice is
column j of R_l = W_1 W_2 ⋯ W_l (Mehta & Schwab's "product of weight matrices").
Conv DBN: the same linear composition, here of periodic convolutions (computed by a
vector–Jacobian product of the linear chain applied to a one-hot hidden unit).

Locality: for a field w(x) on the periodic L×L lattice, centre x̄ = the circular
(|w|-weighted) mean along each axis, and r_f = the smallest radius (minimum-image
distance) of a disc around x̄ holding a fraction f (default 0.8) of Σ|w|. The block
size of a layer is the mean of r_0.8 over its hidden units. A field spread uniformly
over the lattice has r_0.8 = :func:`uniform_radius` (≈ 0.5 L), the "no locality" line.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate as V


def dense_receptive_fields(weights):
    """Effective fields R_l = W_1 ⋯ W_l of each layer (list of (n_v, n_h_l) float64 arrays).

    Args: weights: list of W matrices (first layer first) or of RBMParams.
    Returns: list of arrays, first layer first.
    Example: ``dense_receptive_fields([W1, W2])[1] == W1 @ W2``.
    Reference: P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014), Fig. 4.
    """
    mats = [np.asarray(getattr(w, "W", w), np.float64) for w in weights]
    if not mats:
        raise ValueError("weights must contain at least one matrix")
    out, R = [], None
    for i, W in enumerate(mats):
        if R is not None and R.shape[1] != W.shape[0]:
            raise ValueError(f"weights[{i}] has {W.shape[0]} rows, expected {R.shape[1]}")
        R = W if R is None else R @ W
        out.append(R)
    return out


def conv_receptive_fields(conv_params, L):
    """Fields of one unit per channel (at the lattice centre) of each layer of a conv DBN.

    Args: conv_params: list of ConvRBMParams (first layer first); L: lattice side.
    Returns: list of (C_l, L, L) float64 arrays (summed over the input channels of layer 1).

    Example:
        >>> s = frg.sample_configs(8, frg.T_C, 64)
        >>> cdbn = frg.train_cdbn((s + 1) / 2, [2, 2], 3, epochs=1, batch_size=32)
        >>> [f.shape for f in frg.conv_receptive_fields([p for p, _ in cdbn], 8)]
        [(2, 8, 8), (2, 8, 8)]

    Reference: H. Lee, R. Grosse, R. Ranganath, A. Ng, ICML 2009 (receptive fields of CDBNs).
    """
    L = V.integer("L", L, 2)
    Ws = tuple(jnp.asarray(p.W, jnp.float32) for p in conv_params)
    return [np.asarray(f, np.float64) for f in _conv_fields(Ws, L)]


@functools.partial(jax.jit, static_argnums=1)
def _conv_fields(Ws, L):
    # one program for every layer: the field of unit k is row (k, centre) of the
    # chain's matrix, the transposed convolutions applied to a one-hot at the centre
    from .rbm import _conv_t

    fields = []
    for depth in range(1, len(Ws) + 1):
        c_out = Ws[depth - 1].shape[0]
        k = jnp.arange(c_out)
        x = jnp.zeros((c_out, c_out, L, L), jnp.float32).at[k, k, L // 2, L // 2].set(1.0)
        for W in reversed(Ws[:depth]):
            x = _conv_t(x, W)
        fields.append(x.sum(1))
    return fields


def receptive_radius(fields, L=None, frac=0.8):
    """Radius around the |w|-weighted periodic centre holding ``frac`` of Σ|w|.

    r_f = min{r : Σ_{|x − x̄| ≤ r} |w(x)| ≥ f Σ_x |w(x)|} (minimum-image distance).

    Args: fields: (n_units, L, L), or (n_v, n_units) columns with n_v = L² (give L);
      frac: mass fraction in (0, 1].
    Returns: float64 array (n_units,) of radii in lattice spacings.

    Example:
        >>> f = np.zeros((1, 8, 8)); f[0, 3:6, 3:6] = 1.0   # uniform 3×3 block
        >>> frg.receptive_radius(f)   # 1/9 at r=0, 5/9 at r=1, 9/9 at r=√2
        array([1.41421356])

    Reference: P. Mehta and D. J. Schwab, arXiv:1410.3831 (2014) (local receptive fields).
    """
    frac = float(V.in_range("frac", frac, 0.0, 1.0, low_open=True))
    f = np.abs(np.asarray(fields, np.float64))
    if f.ndim == 2:
        if L is None:
            L = int(round(np.sqrt(f.shape[0])))
        if L * L != f.shape[0]:
            raise ValueError(f"fields with {f.shape[0]} rows are not an L×L lattice (L={L})")
        f = f.T.reshape(-1, L, L)
    if f.ndim != 3 or f.shape[1] != f.shape[2]:
        raise ValueError(f"fields must have shape (n_units, L, L); got {f.shape}")
    n, L, _ = f.shape
    tot = f.sum(axis=(1, 2))
    m = f / np.where(tot > 0, tot, 1.0)[:, None, None]
    ang = 2 * np.pi * np.arange(L) / L
    z_i = np.einsum("nij,i->n", m, np.exp(1j * ang))
    z_j = np.einsum("nij,j->n", m, np.exp(1j * ang))
    ci = (np.angle(z_i) % (2 * np.pi)) * L / (2 * np.pi)
    cj = (np.angle(z_j) % (2 * np.pi)) * L / (2 * np.pi)
    x = np.arange(L)
    di = np.abs(x[None, :] - ci[:, None])
    di = np.minimum(di, L - di)
    dj = np.abs(x[None, :] - cj[:, None])
    dj = np.minimum(dj, L - dj)
    dist = np.sqrt(di[:, :, None] ** 2 + dj[:, None, :] ** 2).reshape(n, -1)
    mass = m.reshape(n, -1)
    order = np.argsort(dist, axis=1, kind="stable")
    ds = np.take_along_axis(dist, order, 1)
    cum = np.cumsum(np.take_along_axis(mass, order, 1), axis=1)
    idx = np.argmax(cum >= frac - 1e-12, axis=1)
    return ds[np.arange(n), idx]


def uniform_radius(L, frac=0.8):
    """r_f of a perfectly delocalised (constant) field on the L×L torus (reference line)."""
    return float(receptive_radius(np.ones((1, L, L)), frac=frac)[0])


def locality_summary(radii):
    """Mean, median, quartiles of a layer's radii (float64 dict)."""
    r = np.asarray(radii, np.float64)
    q = np.quantile(r, [0.1, 0.25, 0.5, 0.75, 0.9])
    return {
        "mean": float(r.mean()),
        "std": float(r.std()),
        "q10": float(q[0]),
        "q25": float(q[1]),
        "median": float(q[2]),
        "q75": float(q[3]),
        "q90": float(q[4]),
        "n_units": int(r.size),
    }
