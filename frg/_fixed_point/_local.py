"""Node-local loop integrals with a cheap Jacobian (private).

At a constant background the loop integrals of a derivative-expansion flow at grid node
ρ̃_j depend only on a few local values there (w, w', w'', z, …) and on η. Autodiff of the
whole residual would push one tangent per unknown through every node's momentum
integrals; with the JVP below the Jacobian costs one directional derivative per local
value and node (k + 1 instead of n_params), and the rest is an einsum with the tangents.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from .._flow._grid import _materialise


def _zero(t):
    """Whether a custom-JVP tangent is absent (a symbolic zero; ``None`` too)."""
    return t is None or isinstance(t, SymbolicZero)


def node_local(node_fn):
    """``f(consts, rho, loc, eta) = vmap(node_fn(consts, ρ̃_j, loc_j, eta))`` over the nodes.

    ``node_fn(consts, rho_i, loc_i, eta) -> (r,)`` must use only node j's ``rho_i`` and
    ``loc_i`` (shape (k,)), the scalar ``eta`` and the pytree ``consts`` (e.g. N, the
    momentum rule, d). The JVP in ``loc`` and ``eta`` comes from the per-node Jacobians
    (k + 1 forward directions, computed once however many tangents are pushed: under
    ``jax.jacfwd`` of the residual they do not depend on the batched tangent); the
    tangents of ``consts`` and ``rho`` (the grid moves with the regulator and d) take one
    plain JVP, only when present. Higher derivatives differentiate this rule.

    Returns ``f`` with ``f(consts, rho, loc, eta).shape == (nodes, r)``.
    """

    def plain(consts, rho, loc, eta):
        return jax.vmap(lambda r, lc: node_fn(consts, r, lc, eta))(rho, loc)

    @jax.custom_jvp
    def f(consts, rho, loc, eta):
        return plain(consts, rho, loc, eta)

    def f_jvp(primals, tangents):
        consts, rho, loc, eta = primals
        t_consts, t_rho, t_loc, t_eta = tangents
        out = plain(consts, rho, loc, eta)
        tan = jnp.zeros_like(out)
        if not (_zero(t_loc) and _zero(t_eta)):
            jl, je = jax.vmap(
                jax.jacfwd(lambda r, lc, e: node_fn(consts, r, lc, e), argnums=(1, 2)),
                in_axes=(0, 0, None),
            )(rho, loc, eta)
            if not _zero(t_loc):
                tan = tan + jnp.einsum("nak,nk->na", jl, t_loc)
            if not _zero(t_eta):
                tan = tan + je * t_eta
        rest = (t_consts, t_rho)
        if not all(_zero(t) for t in jax.tree_util.tree_leaves(rest)):
            fn = lambda c, r: plain(c, r, loc, eta)  # noqa: E731
            tan = tan + jax.jvp(fn, (consts, rho), _materialise(rest))[1]
        return out, tan

    f.defjvp(f_jvp, symbolic_zeros=True)
    return f
