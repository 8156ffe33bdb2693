"""XLA:CPU compile options for frg's top-level programs.

On the CPU backend frg compiles its large programs (the LPA flow, the fixed-point
searches at every truncation, the 0-D solve, the phase-boundary bisection, and the
chunks of ``frg.sweep(..., cpu_options=True)``) with the XLA option
``xla_cpu_use_fusion_emitters=False`` (XLA's LLVM-IR fusion emitters instead of the
newer MLIR ones). Measured on the 2-core CPU (same iterates, same results to the last
digit): the B1 LPA flow compiles in ~3 s instead of ~5 s and runs ~9 % faster; the
O(∂²) fixed point at grid 16 compiles in 3.0 s instead of 5.2 s; the O(∂⁴) fixed point
at grid 12 in 33 s instead of 128 s, and runs in 2.8 s instead of 4.3 s
(``docs/lpa.md``, "Speed"; ``docs/de4.md``, "Cost"). The option is not global: kernels
of other shapes (the packed Ising sampler) run many times slower with it.

JAX takes compile options only at the outermost jit: a call under a user's
jit/vmap/grad (traced arguments) uses the plain program, and the outer compile decides.
Other backends, and an XLA that no longer knows the option (a one-time probe), get the
plain program.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax

__all__ = ["XLA_OPTIONS", "options_supported", "with_cpu_options", "jit_with_options", "filter_jit"]

XLA_OPTIONS = {"xla_cpu_use_fusion_emitters": False}


@functools.cache
def options_supported(backend: str) -> bool:
    """Whether this jaxlib's XLA knows ``XLA_OPTIONS`` (a capability probe, ~10 ms, once).

    Only the CPU backend uses them; an XLA that has dropped the legacy emitters
    refuses the option at compile time, and the program is then compiled without it.
    """
    if backend != "cpu":
        return False
    try:
        jax.jit(lambda x: x + 1.0).lower(1.0).compile(XLA_OPTIONS)
    except Exception:  # noqa: BLE001 - XlaRuntimeError, type differs by jaxlib
        return False
    return True


def with_cpu_options(fast, plain, *args, **kwargs):
    """``fast(*args, **kwargs)`` where ``XLA_OPTIONS`` apply, else ``plain(...)``.

    ``fast`` is a jit compiled with the options, ``plain`` the same jit without; the
    options apply on the CPU backend, at the outermost jit, with concrete arguments.
    """
    leaves = jax.tree_util.tree_leaves((args, kwargs))
    traced = any(isinstance(x, jax.core.Tracer) for x in leaves)
    if not traced and options_supported(jax.default_backend()):
        try:
            return fast(*args, **kwargs)
        except ValueError as exc:  # inside a user's jit on concrete values: no options
            if "top-level" not in str(exc):
                raise
    return plain(*args, **kwargs)


def jit_with_options(jit, fun, **jit_kwargs):
    """``jit(fun, **jit_kwargs)`` whose top-level CPU compile uses ``XLA_OPTIONS``.

    ``jit`` is ``jax.jit`` or ``eqx.filter_jit``. The two compiled variants are
    ``.fast`` and ``.plain``; a call picks one by :func:`with_cpu_options`.
    """
    fast = jit(fun, compiler_options=XLA_OPTIONS, **jit_kwargs)
    plain = jit(fun, **jit_kwargs)

    @functools.wraps(fun)
    def call(*args, **kwargs):
        return with_cpu_options(fast, plain, *args, **kwargs)

    call.fast, call.plain = fast, plain
    return call


def filter_jit(fun):
    """``eqx.filter_jit(fun)`` with ``XLA_OPTIONS`` on the CPU (:func:`jit_with_options`)."""
    return jit_with_options(eqx.filter_jit, fun)
