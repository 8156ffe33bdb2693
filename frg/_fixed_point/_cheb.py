"""Chebyshev–Gauss–Lobatto collocation: nodes, differentiation matrix, interpolation.

The one definition used by every grid truncation (LPA, LPA', O(∂²)).

Reference: L. N. Trefethen, *Spectral Methods in MATLAB* (SIAM, 2000), ch. 6;
J.-P. Berrut, L. N. Trefethen, SIAM Rev. 46, 501 (2004) (barycentric interpolation).
"""

from __future__ import annotations

import numpy as np

__all__ = ["cheb", "cheb_grid", "bary_row"]


def cheb(M: int) -> tuple[np.ndarray, np.ndarray]:
    """Points ``t_j = −cos(πj/M)`` ∈ [−1, 1] (increasing) and the matrix ``D`` with
    ``(D f)_i = f'(t_i)`` for the degree-M interpolant of the nodal values ``f``."""
    t = -np.cos(np.pi * np.arange(M + 1) / M)
    c = np.ones(M + 1)
    c[0] = c[-1] = 2.0
    c = c * (-1.0) ** np.arange(M + 1)
    T = np.tile(t, (M + 1, 1)).T
    dT = T - T.T
    D = np.outer(c, 1.0 / c) / (dT + np.eye(M + 1))
    D = D - np.diag(D.sum(axis=1))
    return t, D


def cheb_grid(M: int, length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``x_j = L(1 + t_j)/2`` on [0, L] (increasing), ``d/dx`` and the barycentric
    weights ``(−1)^j δ_j`` (δ = ½ at the ends) of the M + 1 Lobatto points."""
    t, D = cheb(M)
    j = np.arange(M + 1)
    bw = (-1.0) ** j * np.where((j == 0) | (j == M), 0.5, 1.0)
    return 0.5 * length * (t + 1.0), D * (2.0 / length), bw


def bary_row(nodes, weights, x, xp=np):
    """Row vector ``e`` with ``f(x) = e · f_nodes`` (barycentric interpolation, exact at a
    node); ``xp`` is ``numpy`` or ``jax.numpy``."""
    diff = x - nodes
    exact = xp.abs(diff) < 1e-14
    r = weights / xp.where(exact, 1.0, diff)
    return xp.where(xp.any(exact), xp.where(exact, 1.0, 0.0), r / xp.sum(r))
