"""Derivative expansion at order ∂² (O(∂²)) of the O(N) model: a truncation of the engine.

Ansatz ``Γ_k = ∫ d^dx [U_k(ρ) + ½ Z_k(ρ)(∂φ)² + ¼ Y_k(ρ)(∂ρ)²]`` (Y only for N > 1),
any smooth regulator ``R_k = Z_k k² g(q²/k²)``; the flows of w = u', z (and ỹ) are in
``_de2_flow.py`` (N = 1) and ``_de2_on.py`` (N > 1), derived in ``docs/de2.md``. The
functions live on a Chebyshev–Gauss–Lobatto grid of ρ̃ ∈ [0, ρ̃_max].

Unknowns (the :class:`~frg.AbstractTruncation` layout):

    [w(ρ̃_0..ρ̃_M); z at every node but the normalisation node k; (ỹ(ρ̃_0..ρ̃_M)); η]

The normalisation z(ρ̃_n) = 1 fixes z at node k (for ρ̃_n = 0, k = 0 and z_0 = 1; for
ρ̃_n between nodes, z_k follows from the barycentric interpolant e·z = 1). Residual
rows: the flows ∂_t w, ∂_t z (nodes ≠ k), ∂_t ỹ; the constraint row is the flow of
z(ρ̃_n), e·∂_t z = 0, which fixes η. The stability matrix (Schur complement of η) is
the linearised flow on the normalised subspace; θ_i = −eigenvalues, ν = 1/θ₁, ω = −θ₂.
ρ̃₀ (the minimum, w(ρ̃₀) = 0) is a read-out.

At the last node the second derivatives w'', z'', ỹ'' are replaced by the large-field
relations ρ̃f'' = (p − 1)f' of f ~ ρ̃^p (p_w = (2 − η)/(d − 2 + η), p_z = −η/(d − 2 + η),
p_ỹ = −(d − 2 + 2η)/(d − 2 + η): where the loops vanish) — the outer boundary
condition, as in :class:`frg.LPA`; without it the collocation problem has no unique
limit as the grid is refined.

Reference: L. Canet, B. Delamotte, D. Mouhanna, J. Vidal, Phys. Rev. D 67, 065004
(2003); G. von Gersdorff, C. Wetterich, Phys. Rev. B 64, 054513 (2001).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from .._flow.regulators import AbstractRegulator
from .._flow.threshold import MomentumRule, momentum_rule
from ._cheb import bary_row, cheb
from ._de2_flow import de2_flow
from ._de2_on import on_flow
from .truncations import AbstractTruncation

__all__ = ["DE2"]


class _Context(eqx.Module):
    """What :meth:`DE2.prepare` builds once per (regulator, d): the momentum rule, d, and
    the threshold function ℓ₂^d(0) (the unit of ρ̃)."""

    rule: MomentumRule
    d: jax.Array
    l2: jax.Array


class DE2(AbstractTruncation):
    """O(∂²) derivative expansion: w = u', z (and ỹ for N > 1) on a Chebyshev grid.

    Args:
        grid: Chebyshev degree M (M + 1 nodes), 8 <= M <= 200.
        rho_max: right end of the ρ̃ interval; ``None`` (default): ``L·S``,
            S = (N + 2)ℓ₂^d(0)/(d − 2) (the large-N minimum, as for :class:`frg.LPA`), so
            the interval follows the minimum along the (N, d) continuation.
        L: the default interval in units of S (6: about 10 ρ̃₀ at N = 1, d = 3).
        norm: normalisation point ρ̃_n >= 0 of z(ρ̃_n) = 1 (``0``, the default, is node 0;
            ρ̃_n > 0 needs an explicit ``rho_max``, since the node k must be static).
        on: ``True`` for the O(N) flow with ỹ (N > 1), ``False`` for the N = 1 flow;
            ``None`` (default): chosen from N by the engine (:meth:`for_inputs`).

    The regulator must be smooth (the flow needs g'').

    Example (``frg.critical_exponents(frg.Exponential(a=1.0), N=1, d=3,
    truncation=frg.DE2())`` gives ν = 0.627802996, η = 0.0451291491, see docs/de2.md):
        >>> tr = frg.DE2().for_inputs(N=2.0, d=3.0)   # the O(N) layout: w, z, ỹ; η
        >>> tr.on, tr.n_flow, tr.n_params
        (True, 98, 99)

    Reference: Canet, Delamotte, Mouhanna, Vidal, Phys. Rev. D 67, 065004 (2003).
    """

    # the reference solve accepts one node and p ≢ 0 without the spectrum (measured: every
    # start vector that converged at (1, 3) for the exponential regulator a = 0.5 … 4,
    # grid 16 … 48, reached the Wilson–Fisher root)
    spectral_check: ClassVar[bool] = False
    #: expensive Newton iterations: the vmapped table uses the adaptive search
    table_adaptive: ClassVar[bool] = True

    grid: int = eqx.field(static=True, default=32)
    rho_max: float | None = eqx.field(static=True, default=None)
    L: float = eqx.field(static=True, default=6.0)
    norm: float = eqx.field(static=True, default=0.0)
    on: bool | None = eqx.field(static=True, default=None)
    name: str = eqx.field(static=True, default="de2")

    def __check_init__(self):
        _validate.integer("grid", self.grid, 8, 200)
        _validate.in_range("L", self.L, 0.0, low_open=True)
        if self.rho_max is not None:
            _validate.in_range("rho_max", self.rho_max, 0.0, low_open=True)
        if isinstance(self.norm, str):
            raise ValueError("norm must be a number rho_n >= 0 (z(rho_n) = 1)")
        hi = np.inf if self.rho_max is None else self.rho_max
        _validate.in_range("norm", self.norm, 0.0, hi)
        if self.norm != 0.0 and self.rho_max is None:
            raise ValueError(
                "norm > 0 needs an explicit rho_max (the normalisation node is static)"
            )

    # ------------------------------------------------------------------ layout
    @property
    def _on(self) -> bool:
        return bool(self.on)

    @property
    def _m(self) -> int:
        return self.grid + 1

    @property
    def n_flow(self) -> int:
        return (3 if self._on else 2) * self._m - 1

    @property
    def n_params(self) -> int:
        return self.n_flow + 1

    def _k(self) -> int:
        """The node whose z is fixed by the normalisation (the nearest to ρ̃_n)."""
        if self.norm == 0.0:
            return 0
        x = 0.5 * (cheb(self.grid)[0] + 1.0)
        return int(np.argmin(np.abs(x - self.norm / self.rho_max)))

    def for_inputs(self, N, d):
        """With ``on=None``: the N = 1 flow if every N is 1, the O(N) flow otherwise (also
        for a traced N, ``N=None``)."""
        if self.on is not None:
            return self
        on = N is None or bool(np.any(np.asarray(N, dtype=float) != 1.0))
        return dataclasses.replace(self, on=on)

    def check(self, regulator, N, d):
        if regulator.support() is not None:
            raise ValueError(
                "regulator must be smooth (C^2) for the O(∂²) flow; "
                f"{type(regulator).__name__} has compact support (its g'' is a distribution)"
            )
        if self.on is False and np.any(np.asarray(N) != 1.0):
            raise ValueError("DE2(on=False) is the N = 1 flow; N must be 1 (or on=None/True)")

    def prepare(self, regulator: AbstractRegulator, d) -> _Context:
        rule = momentum_rule(regulator, d)
        l2 = rule.integrate(0.5 * rule.dt_r(0.0) / (rule.y + rule.g) ** 2)  # ℓ₂^d(0)
        return _Context(rule=rule, d=jnp.asarray(d, dtype=float), l2=l2)

    def _scale(self, ctx: _Context, N):
        """Unit S of ρ̃: the large-N minimum (N + 2)ℓ₂^d(0)/(d − 2) (as :class:`frg.LPA`)."""
        return (N + 2.0) * ctx.l2 / (ctx.d - 2.0)

    def _grid(self, ctx: _Context, N):
        """Nodes ρ̃_j, d/dρ̃ and the normalisation row e (z(ρ̃_n) = e·z)."""
        t, D = cheb(self.grid)
        length = self.L * self._scale(ctx, N) if self.rho_max is None else jnp.asarray(self.rho_max)
        rho = 0.5 * length * (1.0 + jnp.asarray(t))
        j = np.arange(self._m)
        bw = (-1.0) ** j * np.where((j == 0) | (j == self.grid), 0.5, 1.0)
        e = bary_row(rho, jnp.asarray(bw), self.norm, jnp)
        return rho, jnp.asarray(D) * (2.0 / length), e

    def _unpack(self, params, e):
        """(w, z, ỹ, η) from the unknowns; z_k from e·z = 1."""
        m, k = self._m, self._k()
        w = params[:m]
        zr = params[m : 2 * m - 1]  # z without node k
        z0 = jnp.insert(zr, k, 0.0)
        z = z0.at[k].set((1.0 - e @ z0) / e[k])
        y = params[2 * m - 1 : 3 * m - 1] if self._on else jnp.zeros_like(w)
        return w, z, y, params[-1]

    def fields(self, params, regulator, N, d) -> dict:
        """The fixed-point functions on the grid: ``rho``, ``w`` (= u'), ``z``, ``y``, ``eta``.

        One compiled program per truncation and grid (called eagerly, the grid, the
        momentum rule and the unpacking would compile ~100 small programs)."""
        return _fields(self.for_inputs(N, d), params, regulator, N, d)

    # ---------------------------------------------------------------- contract
    def initial_guesses(self, regulator, N, d):
        """The LPA start profiles of :meth:`frg.LPA.initial_guesses` for w (x = ρ̃/S), with
        z = 1, ỹ = 0, η = 0: 13 vectors, the first close to the solution at (1, 3)."""
        ctx = self.prepare(regulator, d)
        rho, _, _ = self._grid(ctx, N)
        m = self._m
        rest = [jnp.ones(m - 1)] + ([jnp.zeros(m)] if self._on else []) + [jnp.zeros(1)]
        x = rho / self._scale(ctx, N)  # the LPA guesses (frg.LPA.initial_guesses)
        pairs = [(x0, s) for x0 in (0.6, 1.5, 0.3, 1.0) for s in (0.2, 0.05, 1.0)]
        ws = [(x - 0.6) * (0.4 + 0.2 * x)] + [s * (x - x0) * (1.0 + 0.1 * x) for x0, s in pairs]
        return jnp.stack([jnp.concatenate([w, *rest]) for w in ws])

    def residual(self, params, context, N, d):
        rho, dmat, e = self._grid(context, N)
        w, z, y, eta = self._unpack(params, e)
        k = self._k()
        if self._on:
            fw, fz, fy = on_flow(N, rho, dmat, context.rule, context.d, w, z, y, eta, bc=True)
            rest = [fy]
        else:
            fw, fz = de2_flow(rho, dmat, context.rule, context.d, w, z, eta, bc=True)
            rest = []
        return jnp.concatenate([fw, jnp.delete(fz, k), *rest, (e @ fz)[None]])

    def row_scale(self, context, N, d):
        """The w rows weighted by 1 + (ρ̃/S)^{2/(d−2)} (w grows like that), as
        :meth:`frg.LPA.row_scale`; all others 1."""
        rho, _, _ = self._grid(context, N)
        x = rho / self._scale(context, N)
        wrow = 1.0 + x ** (2.0 / (context.d - 2.0))
        return jnp.concatenate([wrow, jnp.ones((self.n_params - self._m,))])

    def eta(self, params, context):
        return params[-1]

    def kappa(self, params, context, N, d):
        """ρ̃₀ with w(ρ̃₀) = 0: the first sign change of w, refined by Newton on the
        interpolant (0 if w > 0 everywhere)."""
        rho, dmat, _ = self._grid(context, N)
        w = params[: self._m]
        sgn = (w[:-1] <= 0) & (w[1:] > 0)
        has = jnp.any(sgn)
        i = jnp.argmax(sgn)
        ra, rb, wa, wb = rho[i], rho[i + 1], w[i], w[i + 1]
        r0 = ra - wa * (rb - ra) / jnp.where(wb == wa, 1.0, wb - wa)
        j = np.arange(self._m)
        bw = jnp.asarray((-1.0) ** j * np.where((j == 0) | (j == self.grid), 0.5, 1.0))
        dw = dmat @ w
        for _ in range(4):
            row = bary_row(rho, bw, r0, jnp)
            r0 = r0 - (row @ w) / (row @ dw)
        return jnp.where(has, r0, 0.0)

    @eqx.filter_jit
    def potential(self, params, regulator, N, d, rho):
        """u(ρ̃) = w(ρ̃) (barycentric interpolation of the nodal values); one compiled
        program per truncation and grid, as :meth:`fields`."""
        nodes, _, _ = self._grid(self.prepare(regulator, d), N)
        j = np.arange(self._m)
        bw = jnp.asarray((-1.0) ** j * np.where((j == 0) | (j == self.grid), 0.5, 1.0))
        rows = jax.vmap(lambda r: bary_row(nodes, bw, r, jnp))(jnp.atleast_1d(jnp.asarray(rho)))
        return (rows @ params[: self._m]).reshape(jnp.shape(rho))

    def nodes(self, params, context, N, d):
        w = params[: self._m]
        return jnp.sum(jnp.sign(w[:-1]) * jnp.sign(w[1:]) < 0)


@eqx.filter_jit
def _fields(tr, params, regulator, N, d):
    # DE2.fields: ``for_inputs`` (which reads N's value) stays outside, so N may be an array
    rho, _, e = tr._grid(tr.prepare(regulator, d), N)
    w, z, y, eta = tr._unpack(params, e)
    return {"rho": rho, "w": w, "z": z, "y": y, "eta": eta}
