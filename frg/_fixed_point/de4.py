"""Derivative expansion at order ∂⁴ (O(∂⁴)) of the Ising (Z₂, N = 1) model: a truncation.

Ansatz ``Γ_k = ∫ U(ρ) + ½Z(ρ)(∂φ)² + ½W_a(ρ)(∂_μ∂_νφ)² + ½φW_b(ρ)∂²φ(∂φ)² +
½W_c(ρ)((∂φ)²)²`` (Canet, Delamotte, Mouhanna, Vidal, PRD 68, 064421 (2003)), any
smooth regulator ``R_k = Z_k k² g(q²/k²)``. The flows of the five functions are built in
``_de4_flow.py`` from the one-loop n-point functions (n ≤ 4) expanded in the external
momenta by truncated power series (method in ``docs/de4.md``).

Unknowns (the :class:`~frg.AbstractTruncation` layout), on the Chebyshev–Gauss–Lobatto
grid of ρ̃ ∈ [0, ρ̃_max]:

    [w(ρ̃_0..ρ̃_M); z(ρ̃_1..ρ̃_M); w_a(ρ̃_0..ρ̃_M); w_b(...); w_c(...); η]

z(0) = 1 is the normalisation (not an unknown); the constraint row is the flow of z(0),
which fixes η. The stability matrix (Schur complement of η) is the linearised flow on
the normalised subspace; θ_i = −eigenvalues, ν = 1/θ₁, ω = −θ₂.

**Jacobians.** Each node's momentum loops depend only on that node's φ-derivatives Φ
(22 numbers, :func:`frg._fixed_point._de4_flow.field_data`) and η, so
:func:`_node_series` carries a custom JVP: ∂/∂Φ and ∂/∂η at every node (23 local
directions) come from one batched evaluation, and any tangent (a column of the Newton
Jacobian, a direction of the implicit-function derivative) is a contraction with them.
The full Jacobian (5(M + 1) columns) thus costs one batched pass, not one per column.
The cheap rest (Φ from the ρ̃-derivatives, the projection, the loop of w) is
differentiated by plain forward mode, as are tangents of the momentum rule (the
regulator's parameters, d); the local derivatives are differentiable once more (forward
mode), which derivatives of the exponents in the regulator's parameter need (the
derivative of the stability matrix; ``frg.pms(..., method="bisection")``; the default
PMS for this truncation is Brent's method on plain solves, :attr:`pms_method`).

**Compilation.** The loops are a large traced graph (the 4-point function alone has 65
vertices as λ-series). The engine evaluates the residual inside the Newton solve only
(value and the custom JVP above: one complex-step evaluation of the loops on 23
perturbed copies of every node; :attr:`predictor_test` is off) and takes the stability
matrix from the Newton Jacobian at the root, so the loops are compiled once per program
(measured in docs/de4.md, "Cost").
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from .._flow._grid import _materialise
from .._flow.regulators import AbstractRegulator
from .._flow.threshold import momentum_rule
from .._results import RESULTS
from ._de4_flow import NF, NPHI, DE4Rule, de4_rule, local_data, loops, scaling, series_loops
from ._local import _zero
from .de2 import DE2
from .truncations import AbstractTruncation

__all__ = ["DE4"]

#: the W rows of the frozen truncation are ``_FROZEN · W``: W = 0 at the root and the
#: frozen directions sit at θ = −_FROZEN, far below the leading eigenvalues
_FROZEN = 1.0e3


_H = 1e-30  # complex step: derivatives exact to rounding, values unchanged to O(_H²)


def _local_derivatives(Phi, rule: DE4Rule, eta, config3, config4, n0):
    """:func:`series_loops` (H (rows, nodes), h0 (n0,)) and their derivatives in the NPHI + 1
    local directions (Φ rows, η) of every node: ∂H (k, rows, nodes), ∂h0 (k, n0).

    Complex step: one evaluation of the loops on k copies of every node, copy j with
    the imaginary perturbation i·_H of its j-th local datum (the loops are holomorphic
    in them)."""
    m, k = Phi.shape[1], NPHI + 1
    e = jnp.eye(k, dtype=Phi.dtype)
    step = 1j * _H
    Phi_c = jnp.repeat(Phi, k, axis=1) + step * jnp.tile(e[:NPHI], (1, m))
    eta_c = eta + step * jnp.tile(e[NPHI], m)
    H, h0 = series_loops(Phi_c, rule, eta_c, config3, config4, n0 * k)  # node-major
    # the real parts are the unperturbed values (to O(_H²))
    dH = (H.imag / _H).reshape(H.shape[0], m, k).transpose(2, 0, 1)
    return (H.real[:, ::k], h0.real[::k]), (dH, (h0.imag / _H).reshape(n0, k).T)


@partial(jax.custom_jvp, nondiff_argnums=(3, 4, 5))
def _node_series(Phi, rule: DE4Rule, eta, config3, config4, n0):
    """:func:`frg._fixed_point._de4_flow.series_loops` with a node-local JVP."""
    return series_loops(Phi, rule, eta, config3, config4, n0)


def _node_series_jvp(config3, config4, n0, primals, tangents):
    Phi, rule, eta = primals
    t_Phi, t_rule, t_eta = tangents
    (H, h0), (dH, dh0) = _local_derivatives(Phi, rule, eta, config3, config4, n0)
    tH, th0 = jnp.zeros_like(H), jnp.zeros_like(h0)
    if not _zero(t_Phi):
        tH = tH + jnp.einsum("krn,kn->rn", dH[:NPHI], t_Phi)
        th0 = th0 + jnp.einsum("kn,kn->n", dh0[:NPHI], t_Phi[:, :n0])
    if not _zero(t_eta):
        tH, th0 = tH + dH[NPHI] * t_eta, th0 + dh0[NPHI] * t_eta
    if not all(_zero(t) for t in jax.tree_util.tree_leaves(t_rule)):
        tr = jax.jvp(
            lambda rr: series_loops(Phi, rr, eta, config3, config4, n0),
            (rule,),
            (_materialise(t_rule),),
        )[1]
        tH, th0 = tH + tr[0], th0 + tr[1]
    return (H, h0), (tH, th0)


_node_series.defjvp(_node_series_jvp, symbolic_zeros=True)


def _node_loops(rho, D, rule: DE4Rule, eta):
    """The loop parts (5, nodes) of the flows (:func:`frg._fixed_point._de4_flow.loops`),
    with the node-local JVP of the momentum loops."""
    return loops(rho, D, rule, eta, series=_node_series)


class _Context(eqx.Module):
    """What :meth:`DE4.prepare` builds once per (regulator, d): the O(∂⁴) momentum rule,
    d, and ℓ₂^d(0) (the unit of ρ̃, as for :class:`frg.DE2`)."""

    rule: DE4Rule
    d: jax.Array
    l2: jax.Array


class DE4(AbstractTruncation):
    """O(∂⁴) derivative expansion of the Ising class: w = u', z, w_a, w_b, w_c on a Chebyshev grid.

    Args:
        grid: Chebyshev degree M (M + 1 nodes), 8 <= M <= 64.
        rho_max: right end of the ρ̃ interval; ``None`` (default): ``L·S`` with
            S = 3ℓ₂^d(0)/(d − 2), the unit of :class:`frg.DE2`.
        L: the default interval in units of S (2.5: about four times the minimum ρ̃₀ at
            d = 3; the O(∂⁴) functions are resolved there by grid 16, docs/de4.md).
        frozen: keep W_a = W_b = W_c ≡ 0: the O(∂²) truncation through the O(∂⁴) code.

    N must be 1; the regulator must be smooth (g'''' enters the flow). The fixed-point
    search starts from the :class:`frg.DE2` fixed point on the same grid (W's = 0).

    Example (``frg.critical_exponents(frg.Wetterich(a=2.0), N=1, d=3,
    truncation=frg.DE4())``: ν = 0.6304, η = 0.0338, see docs/de4.md):
        >>> tr = frg.DE4(grid=16)
        >>> tr.n_flow, tr.n_params
        (84, 85)

    Reference: Canet, Delamotte, Mouhanna, Vidal, Phys. Rev. D 68, 064421 (2003).
    """

    # the start vector is the O(∂²) Wilson–Fisher point, which the Newton solve follows
    spectral_check: ClassVar[bool] = False
    # forward mode through the search (second derivatives of the loops) compiles for many
    # minutes; Brent's method needs the plain solve only (docs/de4.md, "PMS")
    pms_method: ClassVar[str] = "brent"
    # the predictor test would be the only compiled copy of the plain value of the loops
    # (the Newton solve gets values and Jacobians from the complex-step evaluation):
    # without it a first point takes 53 s instead of 75 s (docs/de4.md, "Cost")
    predictor_test: ClassVar[bool] = False
    #: expensive Newton iterations: the vmapped table uses the adaptive search
    table_adaptive: ClassVar[bool] = True

    grid: int = eqx.field(static=True, default=16)
    rho_max: float | None = eqx.field(static=True, default=None)
    L: float = eqx.field(static=True, default=2.5)
    frozen: bool = eqx.field(static=True, default=False)
    name: str = eqx.field(static=True, default="de4")

    def __check_init__(self):
        _validate.integer("grid", self.grid, 8, 64)
        _validate.in_range("L", self.L, 0.0, low_open=True)
        if self.rho_max is not None:
            _validate.in_range("rho_max", self.rho_max, 0.0, low_open=True)

    @property
    def _m(self) -> int:
        return self.grid + 1

    @property
    def n_flow(self) -> int:
        return NF * self._m - 1

    @property
    def n_params(self) -> int:
        return self.n_flow + 1

    def _de2(self) -> DE2:
        """The O(∂²) truncation on the same grid (same w layout: its read-outs serve here)."""
        return DE2(grid=self.grid, rho_max=self.rho_max, L=self.L, on=False)

    def check(self, regulator, N, d):
        if regulator.support() is not None:
            raise ValueError(
                "regulator must be smooth for the O(∂⁴) flow (its g'''' enters); "
                f"{type(regulator).__name__} has compact support"
            )
        if np.any(np.asarray(N) != 1.0):
            raise ValueError("DE4 is the Ising (N = 1) truncation; N must be 1")

    def prepare(self, regulator: AbstractRegulator, d) -> _Context:
        mr = momentum_rule(regulator, d)
        l2 = mr.integrate(0.5 * mr.dt_r(0.0) / (mr.y + mr.g) ** 2)  # ℓ₂^d(0)
        return _Context(rule=de4_rule(regulator, d), d=jnp.asarray(d, dtype=float), l2=l2)

    def _unpack(self, params):
        """(F (5, nodes) with z(0) = 1, η)."""
        m = self._m
        w = params[:m]
        z = jnp.concatenate([jnp.ones((1,), params.dtype), params[m : 2 * m - 1]])
        ws = params[2 * m - 1 : 5 * m - 1].reshape(3, m)
        return jnp.concatenate([w[None], z[None], ws]), params[-1]

    @eqx.filter_jit
    def fields(self, params, regulator, N, d) -> dict:
        """The fixed-point functions on the grid: ``rho``, ``w``, ``z``, ``wa``, ``wb``,
        ``wc`` and ``eta`` (one compiled program per truncation and grid)."""
        de2 = self._de2()  # the grid needs ℓ₂^d(0) only, not the O(∂⁴) momentum rule
        rho = de2._grid(de2.prepare(regulator, d), N)[0]
        F, eta = self._unpack(params)
        return {"rho": rho, **dict(zip(("w", "z", "wa", "wb", "wc"), F, strict=True)), "eta": eta}

    def initial_guesses(self, regulator, N, d):
        """One start vector: the :class:`frg.DE2` Wilson–Fisher point on this grid at
        (N, d) = (1, 3) with W_a = W_b = W_c = 0 (NaN if that search fails)."""
        from .engine import _solve  # the engine imports this module

        ex = _solve(self._de2(), regulator, jnp.asarray(1.0), jnp.asarray(3.0), 8, 2)
        p2 = ex.fixed_point.params  # [w; z(1..M); η]
        m = self._m
        p = jnp.concatenate([p2[: 2 * m - 1], jnp.zeros(3 * m), p2[-1:]])
        return jnp.where(ex.result == RESULTS.successful, p, jnp.nan)[None]

    def residual(self, params, context, N, d):
        rho, dmat, _ = self._de2()._grid(context, N)
        F, eta = self._unpack(params)
        D = local_data(dmat, F)
        flow = scaling(rho, D, context.d, eta) + _node_loops(rho, D, context.rule, eta)
        if self.frozen:
            flow = jnp.concatenate([flow[:2], _FROZEN * F[2:]])
        return jnp.concatenate([flow[0], flow[1, 1:], flow[2:].ravel(), flow[1, :1]])

    def row_scale(self, context, N, d):
        """The w rows as :meth:`frg.DE2.row_scale` (weights 1 + (ρ̃/S)^{2/(d−2)}), others 1."""
        w = self._de2().row_scale(context, N, d)[: self._m]
        return jnp.concatenate([w, jnp.ones((self.n_params - self._m,))])

    def eta(self, params, context):
        return params[-1]

    def kappa(self, params, context, N, d):
        return self._de2().kappa(params, context, N, d)

    def potential(self, params, regulator, N, d, rho):
        return self._de2().potential(params, regulator, N, d, rho)

    def nodes(self, params, context, N, d):
        return self._de2().nodes(params, context, N, d)
