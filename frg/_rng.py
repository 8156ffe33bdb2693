"""Random-number policy.

frg's samplers and trainers (Ising, φ⁴ HMC, RBM/DBN/CDBN training, the exact VRG fit,
the cascade's Gibbs and ancestral samplers and ``phi4_samples``) draw their random numbers
with JAX's threefry in its *non-partitionable* form: public entry points are wrapped
with :func:`rng_policy`, which runs them inside the scoped
``jax.threefry_partitionable(False)`` context, as :func:`frg.x64` does for float64. The
global flag is restored on exit, and a user's own ``jax.random`` calls are untouched.

Why: the partitionable form (JAX's default) makes one random array shardable over
devices without communication, which frg never needs (its chains and sweep points each
carry their own key, so a sharded batch is sharded by key). On the CPU it costs compile
time: a ``jax.random.normal`` of a small shape compiles in 0.6–1.4 s against 0.2–0.3 s,
and the Swendsen–Wang program of ``frg.swendsen_wang(16, 2.269)`` in 2.3 s against
1.1 s (first call 4.5 s against 2.2 s; the warm runs take the same time; 2-core AMD
EPYC sandbox). Results are deterministic in the seed either way, but the two forms
draw different numbers: a seed gives the same samples only under the same policy.
"""

from __future__ import annotations

import functools

import jax

__all__ = ["rng_policy"]


def rng_policy(fn):
    """Decorator: run ``fn`` inside ``jax.threefry_partitionable(False)`` (scoped).

    Args:
        fn: any callable.

    Returns:
        A wrapper with ``fn``'s signature and docstring (``functools.wraps``).

    Example:
        >>> from frg._rng import rng_policy
        >>> draw = rng_policy(lambda: jax.random.uniform(jax.random.PRNGKey(0)))
        >>> before = bool(jax.config.jax_threefry_partitionable)
        >>> 0.0 <= float(draw()) < 1.0, bool(jax.config.jax_threefry_partitionable) == before
        (True, True)
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.threefry_partitionable(False):
            return fn(*args, **kwargs)

    return wrapper
