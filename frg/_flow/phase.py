"""Phase boundary of the O(N) LPA: the critical κ_c(λ) by a vmapped bisection.

For ``U_Λ = λ/2 (ρ − κ)²`` the IR minimum ρ0(k_IR) vanishes for κ < κ_c(λ)
(symmetric phase) and is positive above (broken phase). Every bisection step solves
the flow for all λ at once (``vmap`` of :func:`frg.solve_flow`), so a whole phase
boundary costs ``iters`` batched solves.

Example:
    >>> pb = frg.critical_kappa([0.5, 1.0], grid=32, iters=8)
    >>> [round(float(k), 3) for k in pb.kappa_c]   # symmetric below, broken above
    [0.043, 0.04]

Reference: N. Tetradis and C. Wetterich, Nucl. Phys. B 422, 541 (1994).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _validate
from .._compile import filter_jit
from .._x64 import x64
from .lpa import RhoPotential, solve_flow, validate_flow_inputs
from .regulators import AbstractRegulator, Litim

__all__ = ["PhaseBoundary", "critical_kappa", "plot_phase_boundary"]


class PhaseBoundary(eqx.Module):
    """κ_c(λ) bracketed to ``kappa_hi − kappa_lo``; ``status`` 0 unless a solve failed.

    Attributes:
        lam: the λ values. kappa_lo: symmetric side (ρ0 = 0) of the bracket.
        kappa_hi: broken side (ρ0 > 0). status: per λ, 0 ok, 1 bracket invalid or a solve
            failed. kappa_c: midpoint of the bracket (property).
    """

    lam: jax.Array
    kappa_lo: jax.Array  # symmetric (ρ0 = 0) side
    kappa_hi: jax.Array  # broken (ρ0 > 0) side
    status: jax.Array

    @property
    def kappa_c(self):
        """Midpoint of the final bracket."""
        return 0.5 * (self.kappa_lo + self.kappa_hi)


@x64
def critical_kappa(
    lams,
    *,
    N: float = 1.0,
    d: float = 3.0,
    regulator: AbstractRegulator | None = None,
    Lambda: float = 1.0,
    k_ir: float = 1e-3,
    grid: int = 64,
    rho_max: float = 0.1,
    kappa_lo: float = 0.0,
    kappa_hi: float = 0.08,
    iters: int = 20,
) -> PhaseBoundary:
    """Bisect κ for each λ in ``lams`` until the IR minimum switches on.

    Args:
        lams: λ values (1-D, positive).
        N, d, regulator, Lambda, k_ir, grid, rho_max: as in :func:`frg.solve_flow`.
        kappa_lo, kappa_hi: initial bracket; must be symmetric / broken for every λ
            (checked: points where it is not get ``status`` 1).
        iters: bisection steps (bracket width shrinks by 2^-iters).

    Returns:
        :class:`PhaseBoundary` with the bracket per λ.

    Example:
        >>> pb = frg.critical_kappa(jnp.array([0.5, 1.0]), grid=32, iters=8)
        >>> [round(float(k), 3) for k in pb.kappa_c], pb.status.tolist()
        ([0.043, 0.04], [0, 0])

    Reference: C. Wetterich, Phys. Lett. B 301, 90 (1993); Berges, Tetradis, Wetterich,
    Phys. Rep. 363, 223 (2002).
    """
    regulator = Litim() if regulator is None else regulator
    lams = _validate.in_range("lams", lams, 0.0, low_open=True).reshape(-1)
    iters = _validate.integer("iters", iters, 1, 60)
    _validate.in_range("kappa_lo", kappa_lo, 0.0, kappa_hi, high_open=True)
    for kap in (kappa_lo, kappa_hi):
        validate_flow_inputs(
            RhoPotential(lam=float(lams.max()), kappa=kap),
            regulator,
            d,
            N,
            Lambda,
            k_ir,
            grid,
            rho_max,
        )
    return _bisect(
        jnp.asarray(lams), regulator, N, d, Lambda, k_ir, grid, rho_max, kappa_lo, kappa_hi, iters
    )


def _bisect_impl(lams, regulator, N, d, Lambda, k_ir, grid, rho_max, kappa_lo, kappa_hi, iters):
    def rho0(lam, kappa):
        sol = solve_flow(
            RhoPotential(lam=lam, kappa=kappa),
            regulator,
            d=d,
            N=N,
            Lambda=Lambda,
            k_ir=k_ir,
            grid=grid,
            rho_max=rho_max,
        )
        return sol.rho0[-1], sol.result._value

    batched = jax.vmap(rho0)
    lo = jnp.full_like(lams, kappa_lo)
    hi = jnp.full_like(lams, kappa_hi)
    r_lo, s_lo = batched(lams, lo)
    r_hi, s_hi = batched(lams, hi)
    status = ((r_lo > 0) | (r_hi <= 0) | (s_lo != 0) | (s_hi != 0)).astype(jnp.int32)

    def body(_, carry):
        lo, hi, status = carry
        mid = 0.5 * (lo + hi)
        r, s = batched(lams, mid)
        broken = r > 0
        return (
            jnp.where(broken, lo, mid),
            jnp.where(broken, mid, hi),
            jnp.maximum(status, (s != 0).astype(jnp.int32)),
        )

    lo, hi, status = lax.fori_loop(0, iters, body, (lo, hi, status))
    return PhaseBoundary(lam=lams, kappa_lo=lo, kappa_hi=hi, status=status)


# the bisection's LPA flows compile with the XLA:CPU options of the flow (frg/_compile.py)
_bisect = filter_jit(_bisect_impl)


def plot_phase_boundary(pb: PhaseBoundary, path: str, title: str = "") -> str:
    """Plot κ_c(λ) (symmetric below, broken above) to ``path``.

    Args:
        pb: a :class:`PhaseBoundary`. path: output image file. title: figure title.

    Returns:
        ``path``.

    Example:
        >>> pb = frg.critical_kappa(jnp.array([0.5, 1.0]), grid=32, iters=8)
        >>> frg.plot_phase_boundary(pb, "phase.png")
        'phase.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lam = np.asarray(pb.lam)
    kc = np.asarray(pb.kappa_c)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(lam, kc, "o-", color="k")
    ax.fill_between(lam, 0, kc, alpha=0.15, label="symmetric")
    ax.fill_between(lam, kc, kc.max() * 1.3, alpha=0.15, label="broken")
    ax.set_xlabel("λ")
    ax.set_ylabel("κ_c")
    ax.set_title(title or "LPA phase boundary")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
