"""Chebyshev–Gauss–Lobatto collocation on [0, L] (private helper of :mod:`frg.de2`).

Reference: L. N. Trefethen, *Spectral Methods in MATLAB* (SIAM, 2000), ch. 6.
"""

from __future__ import annotations

import numpy as np


def cheb_grid(m: int, length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``x_j = L (1 − cos(π j/m))/2`` (ascending), the first-derivative matrix, and
    the barycentric weights, as NumPy arrays (m + 1 nodes)."""
    j = np.arange(m + 1)
    t = np.cos(np.pi * j / m)  # descending in [-1, 1]
    c = np.where((j == 0) | (j == m), 2.0, 1.0) * (-1.0) ** j
    dx = t[:, None] - t[None, :]
    dmat = (c[:, None] / c[None, :]) / (dx + np.eye(m + 1))
    dmat = dmat - np.diag(dmat.sum(axis=1))
    # map t in [-1,1] (descending) to x = L (1 - t)/2 in [0, L] (ascending): dx/dt = -L/2
    x = 0.5 * length * (1.0 - t)
    dmat = dmat * (-2.0 / length)
    bw = (-1.0) ** j * np.where((j == 0) | (j == m), 0.5, 1.0)
    return x, dmat, bw


def bary_weights_at(xnodes, bw, x, xp=np):
    """Row vector ``e`` with ``f(x) = e · f_nodes`` (barycentric interpolation); ``xp`` = np/jnp."""
    diff = x - xnodes
    exact = xp.abs(diff) < 1e-14
    safe = xp.where(exact, 1.0, diff)
    r = bw / safe
    e = r / xp.sum(r)
    return xp.where(xp.any(exact), xp.where(exact, 1.0, 0.0), e)
