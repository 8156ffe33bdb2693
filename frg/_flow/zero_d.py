"""The zero-dimensional O(N) model, where the LPA flow is exact.

With the mass regulator R_k = k² (d = 0, no momenta) the Wetterich equation for
Γ_k(φ) = U_k(ρ) is closed:

    ∂_t U = (N−1) k²/(k² + U') + k²/(k² + U' + 2ρU''),

and at k → 0, Γ^(2)(0) = U'(0) = 1/⟨φ_1²⟩ and Γ^(4)(0) = 3U''(0) =
−(⟨φ_1⁴⟩ − 3⟨φ_1²⟩²)/⟨φ_1²⟩⁴ for Z = ∫ d^Nφ exp(−V(φ)),
V = m2/2 |φ|² + lam/4! |φ|⁴ + g6/6! |φ|⁶ (conventions.md).

Start: at k = Λ the one-loop-corrected potential
U_Λ = V + ½(N−1) ln(1 + V'/Λ²) + ½ ln(1 + (V' + 2ρV'')/Λ²) (error O(Λ⁻⁴)); then the
same field-grid finite-volume flow and stiff solver as :func:`frg.solve_flow`; the
IR values are Richardson-extrapolated over two grids of the same size (cell widths h
and 2h in σ, domains ρ_max and 4ρ_max: one compiled, vmapped solve). See docs/lpa.md
for the choice of Λ, grid and domain.

Reference: J. Keitel, L. Bartosch, J. Phys. A 45, 105401 (2012); E. Koenigstein
et al., SciPost Phys. 12, 180 (2022) (the zero-dimensional O(N) model as a testbed).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._compile import jit_with_options
from .._results import RESULTS
from .._validate import finite, in_range, integer
from .._x64 import as_float64, x64
from . import lpa
from .threshold import ThresholdRule

__all__ = ["PhiPotential", "ZeroDResult", "solve_zero_d", "zero_d_rule"]


class PhiPotential(eqx.Module):
    """``V(φ) = m2/2 |φ|² + lam/4! |φ|⁴ + g6/6! |φ|⁶`` as a function of ρ = |φ|²/2 (a pytree).

    In ρ: ``V = m2 ρ + lam ρ²/6 + g6 ρ³/90``; the couplings are pytree leaves (traceable).

    Example:
        >>> frg.PhiPotential(m2=1.0, lam=6.0)(0.5)   # 0.5 + 6·0.25/6
        0.75

    Reference: Keitel, Bartosch, J. Phys. A 45, 105401 (2012).
    """

    m2: float | jax.Array = 1.0
    lam: float | jax.Array = 0.0
    g6: float | jax.Array = 0.0

    def __call__(self, rho):
        return self.m2 * rho + self.lam * rho**2 / 6.0 + self.g6 * rho**3 / 90.0


class _OneLoop(eqx.Module):
    V: PhiPotential
    N: jax.Array
    Lambda: jax.Array

    def __call__(self, rho):
        d1 = jax.grad(self.V)
        d2 = jax.grad(d1)
        L2 = self.Lambda**2
        return (
            self.V(rho)
            + 0.5 * (self.N - 1.0) * jnp.log1p(d1(rho) / L2)
            + 0.5 * jnp.log1p((d1(rho) + 2.0 * rho * d2(rho)) / L2)
        )


def zero_d_rule() -> ThresholdRule:
    """``ℓ_1(w) = 1/(1 + w)``: with R_k = k², ``∂_t U = (N−1)ℓ_1(U'/k²) + ℓ_1((U'+2ρU'')/k²)``."""
    one = jnp.ones((1,))
    return ThresholdRule(y=0.5 * one, q=one, c=one)


class ZeroDResult(eqx.Module):
    """IR vertices of the 0-D model: ``gamma2 = Γ^(2)(0)``, ``gamma4 = Γ^(4)(0)``, result.

    Attributes:
        gamma2, gamma4: Richardson-extrapolated IR vertices.
        result: :class:`frg.RESULTS` of the two solves (the first failure, else
            ``successful``; ``message`` gives the text).
        flow: the :class:`FlowSolution` on [0, ρ_max] (the finer grid).
    """

    gamma2: jax.Array
    gamma4: jax.Array
    result: RESULTS
    flow: lpa.FlowSolution

    @property
    def message(self) -> str:
        """Readable result (concrete, scalar result only)."""
        return RESULTS[self.result]

    @property
    def ok(self) -> bool:
        """Whether both solves succeeded (concrete result)."""
        return bool(np.all(np.asarray(self.result._value) == 0))


def _vertices(sol: lpa.FlowSolution):
    """U'(0) and U''(0) from the IR U'(ρ) at the first three cells (fit a + bρ + cρ²)."""
    v = sol.dU[-1, :3]
    r = sol.rho[:3]
    A = jnp.stack([jnp.ones(3), r, r**2], axis=1)
    a, b, _ = jnp.linalg.solve(A, v)
    return a, 3.0 * b


def _two_grids(U_L, N, Lambda, k_ir, rho_max, rtol, atol, grid, max_steps, goldstone):
    """The solves on [0, 4ρ_max] and [0, ρ_max] (one vmap) and the Richardson vertices."""

    def solve(r):
        return lpa._solve_core(
            U_L, zero_d_rule(), 0.0, N, Lambda, k_ir, r, None, grid, rtol, atol, max_steps,
            1e-2, goldstone=goldstone,
        )  # fmt: skip

    # the same cells on [0, 4 ρ_max] (h_σ twice as large) and on [0, ρ_max]
    sols = jax.vmap(solve)(jnp.stack([4.0 * rho_max, rho_max]))
    g2, g4 = jax.vmap(_vertices)(sols)
    first = jax.tree_util.tree_map(lambda x: x[0], sols.result)
    second = jax.tree_util.tree_map(lambda x: x[1], sols.result)
    return ZeroDResult(
        gamma2=(4.0 * g2[1] - g2[0]) / 3.0,
        gamma4=(4.0 * g4[1] - g4[0]) / 3.0,
        result=RESULTS.where(first != RESULTS.successful, first, second),
        flow=jax.tree_util.tree_map(lambda x: x[1], sols),
    )


# one compiled program per (grid, max_steps, N = 1 or not); on the CPU with the
# options of the LPA solve (docs/lpa.md, "Speed": ~1 s less compile for `frg zero-d`)
_static = dict(static_argnames=("grid", "max_steps", "goldstone"))
_two_grids_jit = jit_with_options(jax.jit, _two_grids, **_static)


@x64
def solve_zero_d(
    m2=1.0,
    lam=1.0,
    g6=0.0,
    N=1.0,
    *,
    Lambda=100.0,
    k_ir=1e-5,
    grid: int = 600,
    rho_max=None,
    rtol: float = 1e-9,
    atol: float = 1e-11,
    max_steps: int = 10_000,
    throw: bool = False,
) -> ZeroDResult:
    """IR ``Γ^(2)(0)``, ``Γ^(4)(0)`` of ``V = m2/2|φ|² + lam/4!|φ|⁴ + g6/6!|φ|⁶`` in 0-D, O(N).

    Solves ``∂_t U = (N−1)k²/(k²+U') + k²/(k²+U'+2ρU'')`` from the one-loop-corrected
    U_Λ at k = Λ to k_ir on ``grid`` cells over [0, ρ_max] and over [0, 4ρ_max] (cells
    twice as wide in σ = |φ|, and a domain that reaches further out) and
    Richardson-extrapolates (the scheme is second order with an even error expansion).

    Args:
        m2, lam, g6: couplings (V must be bounded below: g6 > 0, or g6 = 0 and lam > 0).
        N: number of components, real N ≥ 1.
        Lambda, k_ir: UV and IR scales, 0 < k_ir < Λ.
        grid: cells of both grids (≥ 8); rho_max: domain (default from V, see docs/lpa.md).
        rtol, atol: step control tolerances (traced); max_steps: step limit per solve.
        throw: raise when the result is not ``successful`` (default: report it).

    Returns:
        :class:`ZeroDResult` (``gamma2``, ``gamma4``, ``result``).

    Example:
        The double well m2 = −1, lam = 1 (exact Γ^(2)(0) = 0.19950989...):

        >>> r = frg.solve_zero_d(-1.0, 1.0, 0.0, N=1)  # doctest: +SKIP
        >>> round(float(r.gamma2), 6)  # doctest: +SKIP
        0.19951

    Reference: Keitel, Bartosch, J. Phys. A 45, 105401 (2012).
    """
    for name, val in (("m2", m2), ("lam", lam), ("g6", g6)):
        if lpa._concrete(val) is not None:
            finite(name, val)
    if lpa._concrete(N) is not None:
        in_range("N", N, 1.0, np.inf)
    grid = integer("grid", grid, 8)
    lc, gc = lpa._concrete(lam), lpa._concrete(g6)
    if lc is not None and gc is not None and not (gc > 0 or (gc == 0 and lc > 0)):
        raise ValueError(
            f"V is unbounded below: need g6 > 0, or g6 = 0 and lam > 0; got lam={lam!r}, g6={g6!r}"
        )
    if lpa._concrete(Lambda) is not None:
        in_range("Lambda", Lambda, 0.0, np.inf, low_open=True)
        if lpa._concrete(k_ir) is not None:
            in_range("k_ir", k_ir, 0.0, float(Lambda), low_open=True, high_open=True)
    if rho_max is None:
        rho_max = _default_rho_max(m2, lam, g6, N)
    in_range("rho_max", rho_max, 0.0, np.inf, low_open=True)
    V = PhiPotential(m2, lam, g6)
    U_L = _OneLoop(V, jnp.asarray(N, dtype=float), jnp.asarray(Lambda, dtype=float))
    mc = lpa._concrete(m2)
    if mc is not None and float(Lambda) ** 2 + float(mc) <= 0:
        raise ValueError(f"Lambda must satisfy Lambda^2 + m2 > 0; got Lambda={Lambda!r}")
    args = (U_L, as_float64(N), as_float64(Lambda), as_float64(k_ir), as_float64(rho_max))
    args += (as_float64(rtol), as_float64(atol), grid, max_steps, lpa._goldstone(N))
    res = _two_grids_jit(*args)
    if throw:
        res = res.result.error_if(res, res.result != RESULTS.successful)
    return res


def _default_rho_max(m2, lam, g6, N):
    """Domain: where V'(ρ) ≥ 5 + N, at least 10 (beyond, the flow is slow; docs/lpa.md)."""
    mc, lc, gc, Nc = (lpa._concrete(x) for x in (m2, lam, g6, N))
    if any(x is None for x in (mc, lc, gc, Nc)):
        raise ValueError("rho_max must be given when couplings are traced")
    target = 5.0 + float(Nc)
    rho = np.linspace(0, 1e4, 200001)
    dV = float(mc) + float(lc) * rho / 3.0 + float(gc) * rho**2 / 30.0
    idx = np.argmax(dV >= target)
    return float(max(rho[idx], 10.0))
