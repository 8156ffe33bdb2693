"""Finite-volume discretisation of the LPA flow of u = ∂_ρ U (private).

Cell-centred uniform grid ``ρ_j = (j + 1/2) h``, ``h = ρ_max/n``, interfaces at
``ρ_{i} = i h`` (i = 0..n). The LPA flow in conservative form,

    ∂_t u = ∂_ρ F,   F(ρ, u, u_ρ) = k^d [(N−1) ℓ_1(u/k²) + ℓ_1((u + 2ρ u_ρ)/k²)],

is discretised as ``du_j/dt = (F_{j+1} − F_j)/h`` with a centred interface flux
(``ū = (u_{j−1} + u_j)/2``, ``u_ρ = (u_j − u_{j−1})/h``): a three-point stencil, so
the Jacobian is tridiagonal, second order in h. The radial term is an
advection–diffusion flux with cell Péclet number ``h/(2ρ_i) = 1/(2i) ≤ 1/2``, so
centring it is monotone; the Goldstone term ``(N−1)ℓ_1(u)`` is pure advection and
is centred too (fine for smooth flows and moderate N; see docs/lpa.md).

Boundaries: at ρ = 0 the flux is ``k^d N ℓ_1(u(0)/k²)`` with ``u(0)`` linearly
extrapolated from the first two cells (ρ = 0 is an outflow boundary: ℓ_1' < 0 makes
characteristics run toward ρ = 0 as k decreases); at ρ_max the interface value and
slope are linearly extrapolated from the last two cells (free outflow/inflow).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero


def cell_centres(rho_max, n: int):
    """Cell centres ``(j + 1/2) ρ_max/n``, j = 0..n−1."""
    h = rho_max / n
    return (jnp.arange(n) + 0.5) * h


def ell(rule, w, rule_eta=None, eta=0.0):
    """``ℓ_1(w)`` (with the anomalous-dimension part ``η ℓ^η_1(w)`` if given), NaN past the pole."""
    ok = w > rule.w_pole
    ws = jnp.where(ok, w, 0.0)
    val = rule(ws, 1)
    if rule_eta is not None:
        val = val + eta * rule_eta(ws, 1)
    return jnp.where(ok, val, jnp.nan)


def interface_values(u, h):
    """Interface positions index i = 0..n: value ū_i and slope u_ρ at ρ = i h."""
    ubar_in = 0.5 * (u[1:] + u[:-1])
    du_in = (u[1:] - u[:-1]) / h
    u0 = 1.5 * u[0] - 0.5 * u[1]
    du_end = (u[-1] - u[-2]) / h
    u_end = u[-1] + 0.5 * h * du_end
    ubar = jnp.concatenate([u0[None], ubar_in, u_end[None]])
    du = jnp.concatenate([jnp.zeros((1,), u.dtype), du_in, du_end[None]])
    return ubar, du


def flux(u, h, rule, N, k2, *, rule_eta=None, eta=0.0):
    """Interface fluxes ``F_i / k^d`` (i = 0..n) for cell values ``u``; k2 = k²."""
    n = u.shape[0]
    rho_i = jnp.arange(n + 1) * h
    ubar, du = interface_values(u, h)
    goldstone = (N - 1.0) * ell(rule, ubar / k2, rule_eta, eta)
    radial = ell(rule, (ubar + 2.0 * rho_i * du) / k2, rule_eta, eta)
    return goldstone + radial


def flux_divergence(u, h, rule, N, k2, *, rule_eta=None, eta=0.0):
    """``(F_{j+1} − F_j)/h / k^d`` for every cell, and the ρ = 0 flux ``F_0/k^d``."""
    F = flux(u, h, rule, N, k2, rule_eta=rule_eta, eta=eta)
    return (F[1:] - F[:-1]) / h, F[0]


def value_at_zero(u):
    """Second-order extrapolation of cell values to ρ = 0."""
    return 1.5 * u[..., 0] - 0.5 * u[..., 1]


def centred_slope(u, h):
    """``∂_ρ u`` at cell centres (centred inside, one-sided second order at the ends)."""
    inner = (u[..., 2:] - u[..., :-2]) / (2 * h)
    first = (-3 * u[..., :1] + 4 * u[..., 1:2] - u[..., 2:3]) / (2 * h)
    last = (3 * u[..., -1:] - 4 * u[..., -2:-1] + u[..., -3:-2]) / (2 * h)
    return jnp.concatenate([first, inner, last], axis=-1)


def integrate_cells(u, h, U0):
    """``U`` at cell centres from cell values of ``u = U'`` and ``U(0)`` (midpoint/trapezoid)."""
    # U(ρ_{j+1/2}) = U0 + h Σ_{i≤j} u_i (midpoint, interfaces); centre = average of interfaces.
    Ui = U0[..., None] + h * jnp.cumsum(u, axis=-1)
    Ui = jnp.concatenate([U0[..., None], Ui], axis=-1)
    return 0.5 * (Ui[..., 1:] + Ui[..., :-1])


# ----------------------------------------------------------------------------- field grid
# The dimensionful solver works in the field σ = |φ| = sqrt(2ρ) (cell centres
# σ_j = (j + 1/2) h), with u = ∂_σ U odd in σ. Then
#     ∂_t u = ∂_σ F,  F = k^d [(N−1) ℓ_1(u/(σ k²)) + ℓ_1(∂_σ u / k²)],
# pure nonlinear diffusion for N = 1 (no degenerate point at ρ = 0, where the ρ form
# loses its diffusion and the broken phase hits the pole). Symmetry ghost u_{−1} = −u_0.


def field_interface(u, h):
    """Interface values i = 0..n at σ_i = i h: Goldstone argument U'(ρ) and slope ∂_σ u.

    The Goldstone argument is the average of ``v_j = u_j/σ_j`` (= U'(ρ_j)) of the two
    neighbouring cells (ghost ``v_{−1} = v_0``, U' is even in σ), the slope the
    centred difference (ghost ``u_{−1} = −u_0``). Both then carry the same O(h²)
    offset at every interface, ρ = 0 included, so the flux difference is consistent.
    """
    n = u.shape[0]
    sig = (jnp.arange(n) + 0.5) * h
    v = u / sig
    vbar = 0.5 * (v[1:] + v[:-1])
    v_end = v[-1] + 0.5 * (v[-1] - v[-2])
    du_in = (u[1:] - u[:-1]) / h
    du0 = 2.0 * u[0] / h  # odd symmetry: (u_0 − u_{−1})/h
    # outer boundary: u linearly extrapolated (ghost u_n = 2u_{n−1} − u_{n−2}), i.e. the
    # slope of the last two cells. First order at σ_max but stable; a second-order slope
    # extrapolation (2 s_{n−1} − s_{n−2}) is anti-diffusive in the last cell and needed
    # 4x more steps (docs/lpa.md).
    du_end = du_in[-1]
    gold = jnp.concatenate([v[:1], vbar, v_end[None]])
    du = jnp.concatenate([du0[None], du_in, du_end[None]])
    return gold, du


def min_interface_argument(u, h):
    """The smallest ``U'`` or ``∂_σ u`` over the interfaces (÷ k² gives the smallest ``w``)."""
    gold, du = field_interface(u, h)
    return jnp.minimum(jnp.min(gold), jnp.min(du))


POLE_GAP = 1e-2


def ell_continued(rule, w, gap=POLE_GAP):
    """``ℓ_1(w)``, continued exponentially (C¹, growing toward the pole) below ``w_pole + gap``.

    ``gap``: a number (traced or not) or a precomputed :class:`Continuation`.

    Below ``w_c`` the flux is ``ℓ_1(w_c) exp(r (w_c − w))``, ``r = ℓ_2(w_c)/ℓ_1(w_c)``
    (≈ 1/gap): it keeps growing (so the flow stays forward-parabolic and convexity
    restoration proceeds) but is finite everywhere, so Newton iterates and trial
    steps that overshoot the pole give no NaN. Where the exact solution would
    need ``1 + w`` far below ``gap`` the continued one sits only ``~gap ln(gap/(1+w))``
    lower; read-outs on the outer side of the minimum do not change (docs/lpa.md).
    """
    return _ell_c(w, rule, gap)


class Continuation(NamedTuple):
    """Where and how ℓ_1 is continued (:func:`ell_continued`): ``w_c = w_pole + gap``,
    ``ℓ_1(w_c)`` and ``r = ℓ_2(w_c)/ℓ_1(w_c)``. Built once per solve (outside the step
    loop: with a traced ``gap`` these are not compile-time constants)."""

    wc: jax.Array
    l1c: jax.Array
    r: jax.Array


def continuation(rule, gap=POLE_GAP) -> Continuation:
    """The :class:`Continuation` of ``rule`` at ``gap`` (a number or traced)."""
    wc = rule.w_pole + gap
    l1c = rule(wc, 1)
    return Continuation(wc=wc, l1c=l1c, r=rule(wc, 2) / l1c)


def _ell_parts(w, rule, gap):
    c = gap if isinstance(gap, Continuation) else continuation(rule, gap)
    ok = w > c.wc
    ws = jnp.where(ok, w, c.wc)
    x = jnp.minimum(c.r * (c.wc - jnp.where(ok, c.wc, w)), 60.0)
    return ok, ws, c.l1c, c.r, x


def continuation_exponent(w, rule, gap=POLE_GAP):
    """``x = r (w_c − w)`` of :func:`ell_continued` (0 above ``w_c``, capped at 60);
    ``gap`` a number or a :class:`Continuation`."""
    return _ell_parts(w, rule, gap)[4]


def _ell_value(w, rule, gap):
    ok, ws, l1c, _, x = _ell_parts(w, rule, gap)
    return jnp.where(ok, rule(ws, 1), l1c * jnp.exp(x))


@jax.custom_jvp
def _ell_c(w, rule, gap):
    return _ell_value(w, rule, gap)


def _materialise(tree):
    return jax.tree_util.tree_map(
        lambda z: jnp.zeros(z.shape, z.dtype) if isinstance(z, SymbolicZero) else z, tree
    )


@functools.partial(_ell_c.defjvp, symbolic_zeros=True)
def _ell_c_jvp(primals, tangents):
    # closed-form ∂ℓ/∂w (ℓ_1' = −ℓ_2; −r ℓ on the continuation, 0 where capped): a
    # smaller graph in every Newton iteration than autodiff through the `where`s;
    # autodiff for the tangents of the rule and the continuation only when present
    w, rule, gap = primals
    w_dot, rule_dot, gap_dot = tangents
    ok, ws, l1c, r, x = _ell_parts(w, rule, gap)
    cont = l1c * jnp.exp(x)
    out = jnp.where(ok, rule(ws, 1), cont)
    t = jnp.zeros_like(out)
    if not isinstance(w_dot, SymbolicZero):
        slope = jnp.where(ok, -rule(ws, 2), jnp.where(x < 60.0, -r * cont, 0.0))
        t = t + slope * w_dot
    others = jax.tree_util.tree_leaves((rule_dot, gap_dot))
    if not all(isinstance(z, SymbolicZero) for z in others):
        t = (
            t
            + jax.jvp(
                lambda rl, g: _ell_value(w, rl, g),
                (rule, gap),
                (_materialise(rule_dot), _materialise(gap_dot)),
            )[1]
        )
    return out, t


def field_flux(u, h, rule, N, inv_k2, gap=POLE_GAP, *, goldstone=True):
    """Interface fluxes ``F_i/k^d``, i = 0..n, for ``inv_k2 = 1/k²``.

    ``goldstone=False``: N = 1, the radial part only. (1/k² rather than k²: the
    arguments ``w = (·)/k²`` are then products, and the caller computes the scalar in
    the same kernel as its other powers of k, not in a kernel of its own.)
    """
    gold, du = field_interface(u, h)
    if not goldstone:  # N = 1 known before tracing: half the ℓ evaluations
        return ell_continued(rule, du * inv_k2, gap)
    # both arguments in one array: one elementwise ℓ evaluation (fewer XLA kernels in
    # the Newton iteration, docs/lpa.md "Speed")
    ell = ell_continued(rule, jnp.stack([gold, du]) * inv_k2, gap)
    return (N - 1.0) * ell[0] + ell[1]


def field_uprime(u, h):
    """``U'(ρ) = u/σ`` at cell centres and its extrapolation to ρ = 0 (O(h^4) in U'(0))."""
    n = u.shape[-1]
    sig = (jnp.arange(n) + 0.5) * h
    v = u / sig
    v0 = (9.0 * v[..., 0] - v[..., 1]) / 8.0
    return v, v0
