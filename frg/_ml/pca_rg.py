"""PCA meets RG (Bradde & Bialek): coarse-graining by discarding low-variance modes.

Data X (n, N) → covariance C = Q Λ Qᵀ (λ descending). Keeping the top K = f·N modes,
the coarse-grained field is φ_K = (X − X̄) Q_K Q_Kᵀ; its normalised fourth moment
κ(f) = ⟨ ⟨φ_{K,i}⁴⟩ / ⟨φ_{K,i}²⟩² ⟩_sites is followed as f decreases. Gaussian data stay
at κ = 3 at every f; for translation-invariant data the PCA modes are Fourier modes
(C is circulant), so the sequence is momentum-shell RG with the shell set by λ(p).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as V


class PCAFlow(NamedTuple):
    """fraction: kept fraction f; kurtosis: κ(f) (float64); eigenvalues: λ descending."""

    fraction: np.ndarray
    kurtosis: np.ndarray
    eigenvalues: np.ndarray


def pca_modes(X):
    """Eigen-decomposition of the sample covariance, eigenvalues descending (float64).

    Args: X: (n_samples, ...) data (flattened per sample).
    Returns: (eigenvalues (N,), eigenvectors (N, N) as columns).

    Example:
        >>> lam, Q = frg.pca_modes(frg.gaussian_field(16, 500, m2=0.5))
        >>> lam.shape, Q.shape
        ((256,), (256, 256))

    Reference: S. Bradde, W. Bialek, J. Stat. Phys. 167, 462 (2017).
    """
    X = np.asarray(X, np.float64)
    X = X.reshape(X.shape[0], -1)
    if X.shape[0] < 2:
        raise ValueError(f"X must have at least 2 samples; got {X.shape[0]}")
    Xc = X - X.mean(0)
    C = Xc.T @ Xc / (X.shape[0] - 1)
    lam, Q = np.linalg.eigh(C)
    return lam[::-1], Q[:, ::-1]


def pca_rg_flow(X, fractions=None):
    """κ(f) = ⟨φ_K⁴⟩/⟨φ_K²⟩² of the projection onto the top K = round(f N) principal components.

    Args: X: (n_samples, ...) data; fractions: kept fractions in (0, 1] (default 12 log-spaced
      values from 1 down to 4/N).
    Returns: :class:`PCAFlow`.

    Example:
        >>> flow = frg.pca_rg_flow(frg.gaussian_field(16, 500, m2=0.5))
        >>> bool(np.all(np.abs(flow.kurtosis - 3.0) < 0.1))   # Gaussian data: κ ≈ 3 for all f
        True

    Reference: S. Bradde, W. Bialek, J. Stat. Phys. 167, 462 (2017).
    """
    X = np.asarray(X, np.float64)
    X = X.reshape(X.shape[0], -1)
    N = X.shape[1]
    if fractions is None:
        fractions = np.unique(np.geomspace(1.0, 4.0 / N, 12))[::-1]
    fractions = V.in_range("fractions", fractions, 0.0, 1.0, low_open=True)
    lam, Q = pca_modes(X)
    Xc = X - X.mean(0)
    A = Xc @ Q  # amplitudes of every mode
    kurt = []
    for f in fractions:
        K = max(1, int(round(f * N)))
        phi = A[:, :K] @ Q[:, :K].T
        m2 = np.mean(phi**2, axis=0)
        m4 = np.mean(phi**4, axis=0)
        kurt.append(float(np.mean(m4 / m2**2)))
    return PCAFlow(np.asarray(fractions, np.float64), np.asarray(kurt), lam)


def fourier_concentration(Q, shape):
    """Fraction of each PCA mode's power inside one lattice momentum shell.

    For column q of Q on a periodic lattice of ``shape``: |q̂(p)|² summed over the shell of
    momenta with the same p̂² = Σ 4 sin²(p_μ/2) as its largest Fourier component (the
    degenerate subspace of a circulant covariance). 1 means "q is a Fourier mode".

    Args: Q: (N, n_modes) orthonormal columns; shape: lattice shape with prod = N.
    Returns: float64 array (n_modes,) in [0, 1].

    Example:
        >>> Q = np.fft.ifft(np.eye(8)[:, :1], axis=0).real * np.sqrt(8)   # constant mode
        >>> frg.fourier_concentration(Q, (8,))
        array([1.])

    Reference: S. Bradde, W. Bialek, J. Stat. Phys. 167, 462 (2017) (PCA modes of
    translation-invariant data are Fourier modes).
    """
    Q = np.asarray(Q, np.float64)
    shape = tuple(int(s) for s in shape)
    if int(np.prod(shape)) != Q.shape[0]:
        raise ValueError(f"shape {shape} does not match {Q.shape[0]} sites")
    qs = Q.T.reshape(-1, *shape)
    P = np.abs(np.fft.fftn(qs, axes=tuple(range(1, len(shape) + 1)))) ** 2
    P = P.reshape(P.shape[0], -1)
    P /= P.sum(1, keepdims=True)
    grids = np.meshgrid(*[4 * np.sin(np.pi * np.arange(s) / s) ** 2 for s in shape], indexing="ij")
    phat2 = np.round(sum(grids).reshape(-1), 10)
    out = []
    for row in P:
        shell = phat2 == phat2[np.argmax(row)]
        out.append(row[shell].sum())
    return np.asarray(out)


def gaussian_field(L, n_samples, m2=0.5, seed=0, d=2):
    """Samples of the free lattice field (covariance (p̂² + m2)⁻¹), translation invariant.

    Args: L: side; n_samples; m2 > 0; seed; d: dimension (1 or 2).
    Returns: (n_samples, L) or (n_samples, L, L) float64.

    Example:
        >>> frg.gaussian_field(16, 500, m2=0.5).shape
        (500, 16, 16)
    """
    L = V.integer("L", L, 2)
    n_samples = V.integer("n_samples", n_samples, 1)
    m2 = float(V.in_range("m2", m2, 0.0, np.inf, low_open=True))
    d = V.integer("d", d, 1, 2)
    rng = np.random.default_rng(seed)
    shape = (L,) * d
    ph = [4 * np.sin(np.pi * np.arange(L) / L) ** 2] * d
    p2 = sum(np.meshgrid(*ph, indexing="ij"))
    amp = 1.0 / np.sqrt(p2 + m2)
    white = rng.normal(size=(n_samples, *shape))
    axes = tuple(range(1, d + 1))
    return np.real(np.fft.ifftn(np.fft.fftn(white, axes=axes) * amp, axes=axes))
