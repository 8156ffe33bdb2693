"""Truncated power series in the external-momentum scale λ (private helper of the O(∂⁴) flow).

A series is a list of K + 1 coefficients (orders λ⁰ … λ^K); a coefficient is ``None``
(zero), a Python float (a constant, folded at trace time) or a JAX array. Products are
truncated at order K; the reciprocal uses the usual recursion b₀ = 1/a₀,
b_n = −b₀ Σ_{i=1..n} a_i b_{n−i}.
"""

from __future__ import annotations

K = 4  # the derivative expansion at O(∂⁴) needs the λ⁴ coefficient


def _mul(a, b):
    if a is None or b is None:
        return None
    return a * b


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def zero():
    return [None] * (K + 1)


def const(c):
    return [c] + [None] * K


def add(*ss):
    out = zero()
    for s in ss:
        out = [_add(x, y) for x, y in zip(out, s, strict=True)]
    return out


def scale(s, c):
    return [_mul(x, c) for x in s]


def mul(a, b):
    out = zero()
    for i in range(K + 1):
        if a[i] is None:
            continue
        for j in range(K + 1 - i):
            out[i + j] = _add(out[i + j], _mul(a[i], b[j]))
    return out


def recip(a):
    b0 = 1.0 / a[0]
    out = [b0] + [None] * K
    for n in range(1, K + 1):
        acc = None
        for i in range(1, n + 1):
            acc = _add(acc, _mul(a[i], out[n - i]))
        out[n] = None if acc is None else -b0 * acc
    return out


def coeff(s, n, like):
    """Coefficient ``n`` as an array broadcastable with ``like`` (zeros for ``None``)."""
    c = s[n]
    if c is None:
        return 0.0 * like
    return c + 0.0 * like
