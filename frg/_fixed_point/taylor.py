"""Polynomial (Taylor) truncation of the LPA fixed-point equation around the minimum.

u(ρ̃) = Σ_{k=1}^{n−1} a_k (ρ̃ − κ)^k  (U is a polynomial of degree n, u(κ) = 0).

With F(ρ̃) = ∂_t u|_ρ̃ the LPA flow (``frg.lpa_flow``) evaluated on this polynomial and
F_j its Taylor coefficients at κ (``jax.experimental.jet``), the β functions of the
couplings follow from ∂_t u = Σ ∂_t a_k (ρ̃−κ)^k − ∂_tκ Σ k a_k (ρ̃−κ)^{k−1}:

    β_κ = −F_0/a_1,   β_{a_j} = F_j + (j + 1) a_{j+1} β_κ   (j = 1..n−1, a_n ≡ 0).

Unknowns [κ, a_1, ..., a_{n−1}; η] (η = 0: a constraint row); the flow rows are the β's,
so the stability matrix is ∂β/∂(κ, a).

Reference: N. Tetradis, C. Wetterich, Nucl. Phys. B 422, 541 (1994); D. F. Litim,
Nucl. Phys. B 631, 128 (2002) (convergence of the expansion about the minimum).
"""

from __future__ import annotations

import dataclasses
import math

import equinox as eqx
import jax.numpy as jnp
from jax.experimental import jet

from .._flow.scaling import lpa_flow
from .truncations import AbstractTruncation, _rules, rho_scale

__all__ = ["Taylor"]


class Taylor(AbstractTruncation):
    """LPA expanded about the minimum to order ``order`` (U ~ ρ̃^order); 2 <= order <= 16."""

    order: int = eqx.field(static=True, default=6)
    name: str = eqx.field(static=True, default="taylor")

    @property
    def n_params(self):
        return self.order + 1

    @property
    def n_flow(self):
        return self.order

    def prepare(self, regulator, d):
        return _rules(regulator, d)

    def initial_guesses(self, regulator, N, d):
        rules = _rules(regulator, d)
        S = rho_scale(rules, N, d)
        rows = []
        for x0, s in ((0.6, 0.4), (0.6, 0.2), (0.3, 0.4), (1.0, 1.0), (0.6, 1.0)):
            p = jnp.zeros(self.order + 1)
            rows.append(p.at[0].set(x0 * S).at[1].set(s / S))
        return jnp.stack(rows)

    def _F_coeffs(self, params, rules, N):
        n = self.order
        kap, a = params[0], params[1:n]

        def F(r):
            dr = r - kap
            pw = [jnp.ones_like(dr)]
            for _ in range(n):
                pw.append(pw[-1] * dr)  # explicit products: jet-friendly
            u = sum(a[k - 1] * pw[k] for k in range(1, n))
            du = sum(k * a[k - 1] * pw[k - 1] for k in range(1, n))
            ddu = sum(k * (k - 1) * a[k - 1] * pw[k - 2] for k in range(2, n)) + 0.0 * dr
            return lpa_flow(rules, N, r, u, du, ddu, 0.0)

        f0, fs = jet.jet(F, (kap,), ((1.0,) + (0.0,) * (n - 2),))
        # jet returns derivatives; F_j = F^{(j)}/j!
        coeffs = [f0] + [fs[j - 1] / math.factorial(j) for j in range(1, n)]
        return jnp.stack(coeffs)

    def residual(self, params, regulator, N, d):
        rules = dataclasses.replace(_rules(regulator, d), fast_jvp=False)  # jet-compatible
        n = self.order
        Fj = self._F_coeffs(params, rules, N)
        a = params[1:n]
        bk = -Fj[0] / a[0]
        a_next = jnp.concatenate([a[1:], jnp.zeros(1)])
        j = jnp.arange(1.0, n)
        ba = Fj[1:] + (j + 1) * a_next * bk
        return jnp.concatenate([bk[None], ba, params[n][None]])

    def eta(self, params, context=None):
        return params[self.order]

    def kappa(self, params, regulator, N, d):
        return params[0]

    def potential(self, params, regulator, N, d, rho):
        n = self.order
        dr = jnp.asarray(rho)[..., None] - params[0]
        k = jnp.arange(1.0, n)
        return jnp.sum(params[1:n] * dr**k, axis=-1)

    def nodes(self, params, regulator, N, d):
        return jnp.where((params[0] > 0) & (params[1] > 0), 1, 0)
