"""float64 policy.

frg computes every physics result in float64, but never flips JAX's global
configuration under a user who imported it for something else. Public entry
points are wrapped with :func:`x64`, which runs them inside the scoped
``jax.enable_x64(True)`` context: arrays created and functions traced inside are
float64, and the global flag is restored on exit. The ``frg`` command-line tool
owns its process and turns x64 on globally at start-up.

Users who compose frg functions with their own ``jit``/``vmap``/``grad`` should
enable x64 globally (``jax.config.update("jax_enable_x64", True)``) so that their
own traced inputs are float64 too; :func:`x64_enabled` tells whether it is.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np


def x64_enabled() -> bool:
    """Whether JAX's global float64 flag is on.

    Returns:
        ``bool(jax.config.jax_enable_x64)`` (not changed by the scoped :func:`x64`).

    Example:
        >>> frg.x64_enabled() == bool(jax.config.jax_enable_x64)
        True
    """
    return bool(jax.config.jax_enable_x64)


def x64(fn):
    """Decorator: run ``fn`` inside ``jax.enable_x64(True)`` (scoped, thread-local).

    Args:
        fn: any callable.

    Returns:
        A wrapper with ``fn``'s signature and docstring (``functools.wraps``).

    Example:
        >>> f = frg.x64(lambda: jnp.ones(2).dtype)
        >>> before = frg.x64_enabled()
        >>> f(), frg.x64_enabled() == before   # float64 inside, global flag untouched
        (dtype('float64'), True)
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper


def as_float64(x):
    """``x`` as a float64 argument for a jitted solve, without an eager device op.

    A concrete number becomes a NumPy float64 array (~1 µs; an eager
    ``jnp.asarray(x, dtype=float)`` costs ~0.1 ms), which ``jit``/``filter_jit`` trace
    like a jax array, so new values do not recompile; jax arrays and tracers go through
    ``jnp.asarray``.
    """
    if isinstance(x, jax.Array):  # tracers are jax.Array instances too
        return jnp.asarray(x, dtype=float)
    return np.asarray(x, dtype=np.float64)


def numbers_as_float64(tree, *, ints: bool = True):
    """``tree`` with its Python and NumPy number leaves as NumPy float64 arrays.

    A Python float field of an equinox module is static under ``filter_jit`` (part of
    the compiled program's key), so every new value of, e.g., ``Wetterich(a=...)`` or
    of a coupling or tolerance would compile a new program; as arrays the values are
    traced and one program serves all. Booleans stay (they select code paths); with
    ``ints=False`` integers stay too (a controller's integer PID coefficients).
    """
    kinds = (float, int, np.floating, np.integer) if ints else (float, np.floating)

    def conv(x):
        if isinstance(x, kinds) and not isinstance(x, bool):
            return np.asarray(x, dtype=np.float64)
        return x

    return jax.tree_util.tree_map(conv, tree)
