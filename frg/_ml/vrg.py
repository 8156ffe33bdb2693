"""Variational RG vs RBM on systems small enough to enumerate exactly.

Spins and RBM units are ±1 here. RBM: E(v, h) = −a·v − b·h − vᵀWh,
F(v) = −a·v − Σ_j ln 2cosh(b_j + (vW)_j), hidden marginal
H_rbm(h) = −b·h − Σ_i ln 2cosh(a_i + (Wh)_i).

Mehta–Schwab map an RBM onto a VRG step with T(v, h) = H(v) − E(v, h). Then
g(v) ≡ ln Tr_h e^{T(v,h)} = H(v) − F(v), the VRG condition is g ≡ 0, and

    Z' = Tr_h e^{−H'(h)} = Tr_v e^{g(v) − H(v)},   ln(Z'/Z) = ln⟨e^{g}⟩_p.

Fixing T's additive constant by ⟨g⟩_p = 0 gives the exact identity
ln(Z'/Z) = KL(p ‖ p_RBM) ≥ 0: the partition function is preserved iff the RBM fits the
Boltzmann distribution exactly, and the deficit *is* the likelihood misfit.
Exact decimation of the 1D chain is the W → ∞ RBM T = W Σ_j h_j v_{2j} − (N/2) ln 2cosh W,
giving K' = ½ ln cosh 2K.
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
from .ising import all_spin_states


class VRGResult(NamedTuple):
    """Exact VRG diagnostics of an RBM (float64).

    kl: KL(p ‖ p_RBM); log_z_ratio: ln Z'/Z with ⟨g⟩_p = 0 (equals kl); vrg_violation:
    std_p of g(v) (0 iff the VRG condition holds); couplings: Walsh coefficients of −H'(h)
    (dict bitmask → J_S); log_z, log_z_prime.
    """

    kl: float
    log_z_ratio: float
    vrg_violation: float
    couplings: dict
    log_z: float
    log_z_prime: float


def chain_energy(K, n):
    """H(v) = −K Σ_i v_i v_{i+1} (periodic) on all 2^n states (order of ``all_spin_states``).

    Args: K: coupling J/T; n: chain length 2..22. Returns: float64 (2^n,) energies.

    Example:
        >>> frg.chain_energy(0.5, 4)[[0, 5]].tolist()   # all down; alternating
        [-2.0, 2.0]
    """
    K = float(V.finite("K", K))
    n = V.integer("n", n, 2, 22)
    s = all_spin_states(n).astype(np.float64)
    return -K * np.sum(s * np.roll(s, -1, axis=1), axis=1)


def ising2d_energy(K, L):
    """H(v) = −K Σ_<ij> v_i v_j on all 2^{L²} states of the periodic L×L lattice (L ≤ 4).

    Args: K: coupling J/T; L: side 2..4. Returns: float64 (2^{L²},) energies.

    Example:
        >>> float(frg.ising2d_energy(1.0, 4)[0])   # all aligned: 2L² bonds
        -32.0
    """
    K = float(V.finite("K", K))
    L = V.integer("L", L, 2, 4)
    s = all_spin_states(L * L).reshape(-1, L, L).astype(np.float64)
    return -K * np.sum(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2)), axis=(1, 2))


def walsh_couplings(log_w, n, tol=1e-12):
    """Coefficients J_S of ln w(h) = Σ_S J_S Π_{i∈S} h_i (exact, fast Walsh–Hadamard).

    Args: log_w: (2^n,) values on ``all_spin_states(n)``; n: number of spins; tol: drop |J| < tol.
    Returns: dict {bitmask of S: J_S} (bitmask 0 is the constant).

    Example:
        >>> frg.walsh_couplings(np.array([0.5, -0.5, -0.5, 0.5]), 2)   # ln w = ½ h_0 h_1
        {3: 0.5}
    """
    n = V.integer("n", n, 1, 22)
    f = np.asarray(log_w, np.float64).copy()
    if f.shape != (2**n,):
        raise ValueError(f"log_w must have shape ({2**n},); got {f.shape}")
    h = 1
    while h < f.size:
        f = f.reshape(-1, 2, h)
        f = np.stack([f[:, 0] + f[:, 1], f[:, 0] - f[:, 1]], axis=1).reshape(-1)
        h *= 2
    masks = np.arange(2**n)
    pop = np.array([bin(m).count("1") for m in masks])
    J = f / 2**n * (-1.0) ** pop
    return {int(m): float(J[m]) for m in masks if abs(J[m]) > tol}


def _states(n):
    return jnp.asarray(all_spin_states(n), jnp.float64)


def _rbm_F(params, vs):
    a, b, W = params
    return -vs @ a - jnp.sum(jnp.logaddexp(b + vs @ W, -(b + vs @ W)), axis=-1)


def _rbm_Hh(params, hs):
    a, b, W = params
    x = a + hs @ W.T
    return -hs @ b - jnp.sum(jnp.logaddexp(x, -x), axis=-1)


@x64
def vrg_analysis(H_v, params):
    """Exact VRG diagnostics of the ±1 RBM ``params = (a, b, W)`` for Boltzmann data e^{−H}.

    g(v) = H(v) − F(v) − ⟨H − F⟩_p; ln Z'/Z = ln⟨e^g⟩_p = KL(p ‖ p_RBM).

    Args: H_v: (2^n_v,) energies on ``all_spin_states(n_v)``; params: (a, b, W) with W (n_v, n_h).
    Returns: :class:`VRGResult` (couplings of −H_rbm(h), n_h ≤ 16).

    Example:
        >>> from frg._ml.vrg import chain_energy
        >>> H = chain_energy(0.5, 6)
        >>> params, kl_history = frg.fit_rbm_exact(H, 3, steps=300)
        >>> r = frg.vrg_analysis(H, params)
        >>> bool(abs(r.log_z_ratio - r.kl) < 1e-10), bool(r.kl < 1e-3)
        (True, True)

    Reference: P. Mehta, D. J. Schwab, arXiv:1410.3831 (2014); L. Kadanoff, Statics,
      Dynamics and Renormalization (2000) for VRG.
    """
    a, b, W = (jnp.asarray(x, jnp.float64) for x in params)
    n_v, n_h = W.shape
    H = jnp.asarray(H_v, jnp.float64)
    if H.shape != (2**n_v,):
        raise ValueError(f"H_v must have shape ({2**n_v},) for n_v = {n_v}; got {H.shape}")
    kl, log_ratio, viol, log_z, Hh = _vrg_core(a, b, W, H)
    coup = walsh_couplings(-np.asarray(Hh), n_h, tol=1e-10)
    return VRGResult(
        float(kl), float(log_ratio), float(viol), coup, float(log_z), float(log_z + log_ratio)
    )


@jax.jit
def _vrg_core(a, b, W, H):
    # one program (op by op, the analysis made ~30 small compiles on its first call)
    n_v, n_h = W.shape
    vs = _states(n_v)
    log_z = jax.scipy.special.logsumexp(-H)
    logp = -H - log_z
    p = jnp.exp(logp)
    F = _rbm_F((a, b, W), vs)
    log_zr = jax.scipy.special.logsumexp(-F)
    kl = jnp.sum(p * (logp + F + log_zr))
    g = H - F
    g = g - jnp.sum(p * g)
    log_ratio = jax.scipy.special.logsumexp(g + logp)  # ln ⟨e^g⟩_p
    viol = jnp.sqrt(jnp.sum(p * g**2))
    return kl, log_ratio, viol, log_z, _rbm_Hh((a, b, W), _states(n_h))


@rng_policy
@x64
def fit_rbm_exact(H_v, n_hidden, *, steps=1500, lr=0.05, seed=0):
    """Fit a ±1 RBM to e^{−H(v)}/Z by exact maximum likelihood (enumeration, Adam, float64).

    minimises KL(p ‖ p_RBM) = ⟨F⟩_p + ln Z_RBM − S[p], S[p] = −Σ_v p ln p (exact gradient
    by autodiff).

    Args: H_v: (2^n_v,) energies; n_hidden (≤ 16); steps; lr; seed.
    Returns: (a, b, W) float64 arrays and the KL history (np.ndarray).

    Example:
        >>> from frg._ml.vrg import chain_energy
        >>> (a, b, W), hist = frg.fit_rbm_exact(chain_energy(0.5, 6), 3, steps=300)
        >>> W.shape, bool(hist[-1] < hist[0])
        ((6, 3), True)

    Reference: P. Mehta, D. J. Schwab, arXiv:1410.3831 (2014).
    """
    H = jnp.asarray(H_v, jnp.float64)
    n_v = int(round(np.log2(H.shape[0])))
    if 2**n_v != H.shape[0]:
        raise ValueError(f"H_v must have length 2^n_v; got {H.shape[0]}")
    n_hidden = V.integer("n_hidden", n_hidden, 1, 16)
    steps = V.integer("steps", steps, 1)
    lr = float(V.in_range("lr", lr, 0.0, 10.0, low_open=True))
    key = jax.random.PRNGKey(seed)
    params = (
        jnp.zeros(n_v),
        jnp.zeros(n_hidden),
        0.1 * jax.random.normal(key, (n_v, n_hidden), jnp.float64),
    )
    pr, hist = _fit_exact(params, H, jnp.asarray(lr), steps)
    return tuple(np.asarray(x) for x in pr), np.asarray(hist)


@functools.partial(jax.jit, static_argnums=3)
def _fit_exact(params, H, lr, steps):
    """Adam on KL(p ‖ p_RBM) for ``steps`` steps: one compiled program per shape and
    step count (a closure jitted per call compiled again at every call)."""
    vs = _states(params[0].shape[0])
    logp = -H - jax.scipy.special.logsumexp(-H)
    p = jnp.exp(logp)
    neg_s = jnp.sum(p * logp)

    def kl(pr):
        F = _rbm_F(pr, vs)
        return jnp.sum(p * F) + jax.scipy.special.logsumexp(-F) + neg_s

    opt = optax.adam(lr)

    def step(c, _):
        pr, st = c
        val, gr = jax.value_and_grad(kl)(pr)
        up, st = opt.update(gr, st, pr)
        return (optax.apply_updates(pr, up), st), val

    (pr, _), hist = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
    return pr, hist


def decimation_rbm(n, W=30.0):
    """The RBM that decimates a periodic chain of n spins: h_j ↔ v_{2j} with coupling W.

    Args: n: even chain length 4..22; W: coupling (W → ∞ is exact decimation).
    Returns: (a, b, W_mat) with W_mat[2j, j] = W (±1 units).

    Example:
        >>> a, b, W = frg.decimation_rbm(6, 40.0)
        >>> W.shape, float(W[2, 1])
        ((6, 3), 40.0)
    """
    n = V.integer("n", n, 4, 22)
    if n % 2:
        raise ValueError(f"n must be an even integer in [4, 22]; got {n}")
    Wm = np.zeros((n, n // 2))
    Wm[2 * np.arange(n // 2), np.arange(n // 2)] = float(V.finite("W", W))
    return np.zeros(n), np.zeros(n // 2), Wm


@x64
def vrg_hidden_hamiltonian(H_v, params):
    """Exact VRG hidden Hamiltonian with the *normalised* RBM kernel T = ln p_RBM(h|v).

    e^{−H'(h)} = Σ_v p_RBM(h|v) e^{−H(v)}; Tr_h e^T = 1 so Z' = Z exactly.

    Args: H_v: (2^n_v,) energies; params: (a, b, W).
    Returns: (Walsh couplings dict of −H'(h), ln Z, ln Z').

    Example:
        >>> from frg._ml.vrg import chain_energy, decimation_rbm
        >>> J, log_z, log_zp = frg.vrg_hidden_hamiltonian(chain_energy(0.5, 6), decimation_rbm(6))
        >>> round(J[0b011], 6), round(float(frg.decimation_K(0.5)), 6)   # K' = ½ ln cosh 2K
        (0.21689, 0.21689)

    Reference: P. Mehta, D. J. Schwab, arXiv:1410.3831 (2014); L. Kadanoff, Statics,
      Dynamics and Renormalization (2000) for VRG.
    """
    _, b, W = params  # the visible biases drop out of p_RBM(h|v)
    b, W = jnp.asarray(b, jnp.float64), jnp.asarray(W, jnp.float64)
    n_h = W.shape[1]
    logw, log_z, log_zp = _hidden_core(b, W, jnp.asarray(H_v, jnp.float64))
    return walsh_couplings(np.asarray(logw), n_h, tol=1e-10), float(log_z), float(log_zp)


@jax.jit
def _hidden_core(b, W, H):
    n_v, n_h = W.shape
    vs, hs = _states(n_v), _states(n_h)
    x = b + vs @ W  # (2^n_v, n_h)
    logcond = hs @ x.T - jnp.sum(jnp.logaddexp(x, -x), axis=1)  # (2^n_h, 2^n_v)
    logw = jax.scipy.special.logsumexp(logcond - H[None, :], axis=1)
    return logw, jax.scipy.special.logsumexp(-H), jax.scipy.special.logsumexp(logw)


def nn_coupling(couplings, n):
    """Mean nearest-neighbour J_{i,i+1} (periodic chain of n spins) from Walsh couplings.

    Args: couplings: {bitmask: J} as from :func:`walsh_couplings`; n: chain length.
    Returns: float mean of J over the n bonds (missing bonds count as 0).

    Example:
        >>> frg.nn_coupling({0b011: 0.25, 0b110: 0.5, 0b101: 0.75}, 3)
        0.5
    """
    vals = [couplings.get((1 << i) | (1 << ((i + 1) % n)), 0.0) for i in range(n)]
    return float(np.mean(vals))


def decimation_K(K):
    """Exact 1D decimation K' = ½ ln cosh 2K.

    Args: K: coupling(s) J/T. Returns: float64 K'.

    Example:
        >>> round(float(frg.decimation_K(1.0)), 6)
        0.662501

    Reference: N. Goldenfeld, Lectures on Phase Transitions and the Renormalization Group (1992).
    """
    return 0.5 * np.log(np.cosh(2 * np.asarray(K, np.float64)))
