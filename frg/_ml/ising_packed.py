"""Multi-spin-coded checkerboard Metropolis for the 2D Ising model (32 spins per uint32).

Layout. The two checkerboard colours are stored as half lattices, as in
:mod:`frg._ml.ising`, but one bit per spin (1 = up): bit ``b·C + c`` of word
``[g, i, j]`` holds chain ``g·C + c`` at row ``b·H + i`` of the half lattice, with
``R`` row strips of height ``H = L/R`` and ``C = 32/R`` chains per word (R = 1:
32 chains per word; R > 1 packs sites of one lattice when there are fewer chains).
Vertical neighbours across a strip edge are the neighbouring row of the adjacent
strip, i.e. the word rotated by ``C`` bits; every other neighbour is a plain roll.

Update. With x_k = s ⊕ n_k (1 where neighbour k is anti-aligned) the number a of
anti-aligned neighbours decides ΔE = 8 − 4a: a ≥ 2 always flips, a = 1 flips with
p₁ = e^{−4β}, a = 0 with p₀ = e^{−8β}. The cases are bitwise expressions of the x_k.
The Bernoulli draws compare each lane's 32-bit uniform with the lane's threshold
bit-serially (most significant bit first, bit-sliced over the 32 lanes), using the
same thresholds ⌊p·2³²⌋ as :func:`frg.metropolis`, so both kernels have the same
acceptance probabilities. Uniform bits come from Threefry-2x32 (20 rounds, the
generator behind ``jax.random``) evaluated inline on (word index, bit level)
counters with a fresh key per half sweep: cheap fused integer arithmetic instead of
one ``jax.random.bits`` call per site.

Reference: Metropolis et al., J. Chem. Phys. 21, 1087 (1953); multi-spin coding:
M. Creutz, L. Jacobs, C. Rebbi, Phys. Rev. Lett. 42, 1390 (1979); N. Ito, Y. Kanada,
Supercomputer 5, 31 (1988); Threefry: J. K. Salmon et al., SC'11 (Random123).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

_U32 = jnp.uint32
_ROT = ((13, 15, 26, 6), (17, 29, 16, 24))
_KS_PARITY = 0x1BD11BDA


def _rotl(x, r):
    return (x << _U32(r)) | (x >> _U32(32 - r))


def threefry2x32(k0, k1, c0, c1):
    """Threefry-2x32 with 20 rounds (Random123): two uint32 outputs per counter pair.

    Args: k0, k1: key words; c0, c1: counter words (uint32 arrays, broadcast).
    Returns: (y0, y1) uint32.

    Example:
        >>> from frg._ml.ising_packed import threefry2x32
        >>> [hex(int(v)) for v in threefry2x32(*np.uint32([0x13198A2E, 0x03707344,
        ...                                     0x243F6A88, 0x85A308D3]))]
        ['0xc4923a9c', '0x483df7a0']

    Reference: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random
    numbers: as easy as 1, 2, 3", SC'11 (known-answer vectors of Random123).
    """
    k0, k1, c0, c1 = (jnp.asarray(v, _U32) for v in (k0, k1, c0, c1))
    ks = (k0, k1, k0 ^ k1 ^ _U32(_KS_PARITY))
    x0 = c0 + ks[0]
    x1 = c1 + ks[1]
    for s in range(5):
        for r in _ROT[s % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + ks[(s + 1) % 3]
        x1 = x1 + ks[(s + 2) % 3] + _U32(s + 1)
    return x0, x1


def layout(chains, L):
    """(R strips, C chains per word, G word groups) of the packed layout.

    R is the largest power of two with R·chains ≤ 32 (at least 1) and L divisible by 2R,
    so that strips have an even height (the checkerboard parity of a row is the same in
    every strip); C = 32/R; G = ⌈chains/C⌉ (unused lanes simulate padding chains).
    """
    R = 1
    while 2 * R * chains <= 32 and L % (4 * R) == 0:
        R *= 2
    C = 32 // R
    return R, C, -(-chains // C)


def pack(half, R, C, G):
    """Half lattice (chains, L, L/2) of ±1 (any int dtype) → words (G, L/R, L/2) uint32."""
    n, L, W = half.shape
    pad = G * C - n
    bits = (half > 0).astype(_U32)
    if pad:
        bits = jnp.concatenate([bits, jnp.zeros((pad, L, W), _U32)])
    bits = bits.reshape(G, C, R, L // R, W)
    shift = (jnp.arange(R, dtype=_U32)[:, None] * C + jnp.arange(C, dtype=_U32)[None, :]).T
    return jnp.sum(bits << shift[None, :, :, None, None], axis=(1, 2), dtype=_U32)


def unpack(words, R, C, chains):
    """Inverse of :func:`pack`: words (G, H, W) → (chains, L, W) int8 ±1."""
    G, H, W = words.shape
    shift = (jnp.arange(R, dtype=_U32)[:, None] * C + jnp.arange(C, dtype=_U32)[None, :]).T
    bits = (words[:, None, None] >> shift[None, :, :, None, None]) & _U32(1)  # (G, C, R, H, W)
    s = (2 * bits.astype(jnp.int8) - 1).reshape(G * C, R * H, W)
    return s[:chains]


def _vertical(other, C, R):
    """Up and down neighbour words, crossing strip edges by a C-bit rotation."""
    up_edge, down_edge = other[:, -1:], other[:, :1]
    if R > 1:
        up_edge = _rotl(up_edge, C)
        down_edge = _rotl(down_edge, 32 - C)
    up = jnp.concatenate([up_edge, other[:, :-1]], axis=1)
    down = jnp.concatenate([other[:, 1:], down_edge], axis=1)
    return up, down


def _neighbours(other, color, C, R):
    """The four neighbour words of each word of colour ``color`` (0 black, 1 white)."""
    H = other.shape[1]
    up, down = _vertical(other, C, R)
    left = jnp.roll(other, 1, axis=2)
    right = jnp.roll(other, -1, axis=2)
    even = (jnp.arange(H) % 2 == 0)[None, :, None]
    # black, even row: horizontal neighbours at j-1 and j; odd row: j and j+1. White: mirror.
    use_left = even if color == 0 else ~even
    return up, down, other, jnp.where(use_left, left, right)


def _anti(mine, nbrs):
    return [mine ^ n for n in nbrs]


def _half_sweep(state, key, color, thr, C, R):
    black, white = state
    mine, other = (black, white) if color == 0 else (white, black)
    x1, x2, x3, x4 = _anti(mine, _neighbours(other, color, C, R))
    s12, s34 = x1 ^ x2, x3 ^ x4
    ge2 = (x1 & x2) | (x3 & x4) | (s12 & s34)  # ≥ 2 anti-aligned neighbours: ΔE ≤ 0
    one = (s12 ^ s34) & ~ge2  # exactly one: ΔE = 4
    zero = ~(x1 | x2 | x3 | x4)  # none: ΔE = 8
    kw = jax.random.bits(key, (2,), _U32)
    idx = jnp.arange(mine.size, dtype=_U32).reshape(mine.shape)
    lt = jnp.zeros_like(mine)
    eq = one | zero  # lanes whose comparison U < p is still undecided
    for j in range(16):  # levels 2j, 2j+1 (most significant first) from one Threefry call
        u = threefry2x32(kw[0], kw[1], idx, _U32(j))
        for b, uj in zip((31 - 2 * j, 30 - 2 * j), u, strict=True):
            t1 = _U32(0) - ((thr[0] >> _U32(b)) & _U32(1))  # bit b of ⌊p₁·2³²⌋, as a mask
            t0 = _U32(0) - ((thr[1] >> _U32(b)) & _U32(1))
            t = (one & t1) | (zero & t0)
            lt = lt | (eq & t & ~uj)
            eq = eq & ~(uj ^ t)
    mine = mine ^ (ge2 | lt)
    return (mine, white) if color == 0 else (black, mine)


def _sweep(state, key, thr, C, R):
    k1, k2 = jax.random.split(key)
    state = _half_sweep(state, k1, 0, thr, C, R)
    return _half_sweep(state, k2, 1, thr, C, R)


def _lane_counts(words, C, R):
    """Set bits per lane summed over words, then over strips: (G·C,) int32 per chain."""
    # one reduction per bit: no (…, 32) intermediate (1 GB at L = 1024 with 16 chains)
    per_lane = jnp.stack(
        [jnp.sum(((words >> _U32(b)) & _U32(1)).astype(jnp.int32), axis=(1, 2)) for b in range(32)],
        axis=1,
    )
    return per_lane.reshape(-1, R, C).sum(axis=1).reshape(-1)


def _observables(state, C, R, L):
    """(E/N, m) per chain: E/N = −2 + 4·(anti-aligned bonds)/(2N), m = 2·(up)/N − 1."""
    black, white = state
    N = L * L
    x = _anti(black, _neighbours(white, 0, C, R))
    anti = sum(_lane_counts(xk, C, R) for xk in x)  # every bond touches one black site
    up = _lane_counts(black, C, R) + _lane_counts(white, C, R)
    e = -2.0 + 2.0 * anti.astype(jnp.float32) / N
    m = 2.0 * up.astype(jnp.float32) / N - 1.0
    return e, m


def thresholds(beta):
    """uint32 thresholds ⌊p·2³²⌋ for p₁ = e^{−4β}, p₀ = e^{−8β} (float64, host side)."""
    p = np.exp(-np.array([4.0, 8.0]) * float(beta))
    return np.minimum(np.floor(p * 2.0**32), 2.0**32 - 1).astype(np.uint32)


@functools.partial(jax.jit, static_argnames=("sweeps", "save_every", "burn_in", "chains"))
def packed_run(key, spins, thr, sweeps, save_every, burn_in, chains):
    """Packed Metropolis driver: burn-in, then (E/N, m) per sweep and snapshots (int8)."""
    L = spins.shape[-1]
    R, C, G = layout(chains, L)
    from .ising import _merge, _split

    kpad, key = jax.random.split(key)
    black, white = _split(spins)
    pad = G * C - chains
    if pad:  # padding lanes: independent hot chains, never reported
        extra = (2 * jax.random.bernoulli(kpad, 0.5, (pad, L, L)) - 1).astype(jnp.int8)
        eb, ew = _split(extra)
        black, white = jnp.concatenate([black, eb]), jnp.concatenate([white, ew])
    state = (pack(black, R, C, G), pack(white, R, C, G))

    def burn(i, carry):
        st, k = carry
        k, sub = jax.random.split(k)
        return _sweep(st, sub, thr, C, R), k

    state, key = jax.lax.fori_loop(0, burn_in, burn, (state, key))

    def step(carry, _):
        st, k = carry
        k, sub = jax.random.split(k)
        st = _sweep(st, sub, thr, C, R)
        e, m = _observables(st, C, R, L)
        return (st, k), (e[:chains], m[:chains])

    def block(carry, _):
        carry, (e, m) = jax.lax.scan(step, carry, None, length=save_every)
        b, w = carry[0]
        return carry, (e, m, _merge(unpack(b, R, C, chains), unpack(w, R, C, chains)))

    n_blocks = sweeps // save_every
    _, (e, m, cfg) = jax.lax.scan(block, (state, key), None, length=n_blocks)
    return e.reshape(n_blocks * save_every, -1), m.reshape(n_blocks * save_every, -1), cfg


@functools.partial(jax.jit, static_argnames=("sweeps",))
def packed_sweeps(key, spins, thr, sweeps):
    """Bare packed sweeps without measurements (benchmark kernel): spins in, spins out."""
    from .ising import _merge, _split

    chains, L = spins.shape[0], spins.shape[-1]
    R, C, G = layout(chains, L)
    black, white = _split(spins)
    state = (pack(black, R, C, G), pack(white, R, C, G))

    def body(i, carry):
        st, k = carry
        k, sub = jax.random.split(k)
        return _sweep(st, sub, thr, C, R), k

    (b, w), _ = jax.lax.fori_loop(0, sweeps, body, (state, key))
    return _merge(unpack(b, R, C, chains), unpack(w, R, C, chains))
