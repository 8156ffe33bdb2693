"""Truncations of the dimensionless O(N) flow: the interface of the fixed-point engine.

:class:`AbstractTruncation` is the contract (its docstring); :class:`LPA` / :class:`LPAPrime`
(the full function u(ρ̃) on a Chebyshev–Gauss–Lobatto grid) implement it here,
``Taylor`` (polynomial about the minimum) and ``DE2`` (O(∂²)) in their own modules.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _validate
from .._flow.regulators import AbstractRegulator
from .._flow.scaling import FlowRules, eta_lpa_prime, flow_rules, lpa_flow
from ._cheb import cheb

__all__ = ["AbstractTruncation", "LPA", "LPAPrime", "rho_scale"]


class AbstractTruncation(eqx.Module):
    """A truncation of the dimensionless O(N) flow: the contract of the fixed-point engine.

    A truncation is an immutable ``equinox.Module`` (static configuration only) that
    turns the scaling form of a flow into a square system ``F(p) = 0`` of ``n_params``
    equations. The engine (``frg.critical_exponents``, ``frg.find_fixed_point``,
    ``frg.exponents_table``, ``frg.pms``) calls exactly the methods below, nothing else.

    **Unknowns** ``p`` (1-D array, length :attr:`n_params`), ordered

        p = [dynamic couplings (n_flow entries); slaved unknowns (n_params − n_flow)]

    Dynamic couplings are the quantities whose flow is linearised (nodal values of u,
    z, ..., Taylor couplings); slaved unknowns are fixed by algebraic conditions (η, ...).
    Quantities fixed by a normalisation (e.g. z(ρ̃_n) = 1) are not unknowns at all.

    **Residual rows** ``residual(p, context, N, d)`` (same length), ordered

        [∂_t of each dynamic coupling (n_flow rows, unscaled); constraint rows]

    A fixed point is a root of the residual. The flow rows must be the true ∂_t of the
    couplings (not rescaled): the **stability matrix** is the Schur complement of the
    slaved unknowns, ``A = J_ff − J_fs J_ss⁻¹ J_sf`` (J = ∂residual/∂p, f = flow rows ×
    dynamic couplings, s = constraint rows × slaved unknowns), θ_i = −eig(A) sorted by
    decreasing real part, ν = 1/θ_1, ω = −θ_2. Example: with the η normalisation
    z(ρ̃_n) = 1, z(ρ̃_n) is not an unknown, η is a slaved unknown and its constraint row
    is the flow ∂_t z(ρ̃_n) = 0.

    **Context**: :meth:`prepare` turns (regulator, d) into what :meth:`residual`,
    :meth:`row_scale`, :meth:`eta`, :meth:`kappa` and :meth:`nodes` receive as
    ``context`` (default: the regulator itself); the engine builds it once per (regulator,
    d) and may trace and differentiate it (regulator parameters, d).
    :meth:`check`, :meth:`initial_guesses` and :meth:`potential` take the regulator.

    Every method except :meth:`check` must be traceable (``jit``/``vmap``/``grad``) in
    ``p``, N, d and the regulator's parameters; N is real (N ≥ 1).

    Required: :attr:`n_params`, :attr:`n_flow`, :meth:`initial_guesses`,
    :meth:`residual`, :meth:`eta`, :meth:`kappa`, :meth:`potential`. Defaults:
    :meth:`for_inputs` (self), :meth:`check` (nothing), :meth:`prepare` (the regulator),
    :meth:`row_scale` (ones), :meth:`nodes` (1), :attr:`spectral_check` (True),
    :attr:`pms_method` (``"bisection"``), :attr:`predictor_test` (True),
    :attr:`table_adaptive` (False). ``name`` is the CLI label.

    Order of calls: ``tr = truncation.for_inputs(N, d)``; ``tr.check(regulator, N, d)``
    (eager); then, compiled: ``ctx = tr.prepare(regulator, d)``, Newton on
    ``tr.residual(p, ctx, N, d) / tr.row_scale(ctx, N, d)`` from
    ``tr.initial_guesses(regulator, 1, 3)`` along the continuation, ``tr.nodes`` in the
    acceptance test, then at the root ``tr.eta``, ``tr.kappa`` and the stability matrix.
    """

    name: str = eqx.field(static=True, default="")

    #: Whether the reference solve of the fixed-point search checks the stability
    #: spectrum (exactly one relevant direction) before it accepts a start vector, on
    #: top of one node and p ≢ 0. ``True`` unless those two alone single out the
    #: Wilson–Fisher root (a subclass that sets ``False`` should say what it measured);
    #: the final classification always uses the spectrum.
    spectral_check: ClassVar[bool] = True
    #: how :func:`frg.pms` finds the stationary point by default: ``"bisection"`` (root of
    #: the forward-mode dX/da) or ``"brent"`` (extremum of X(a) from plain solves, for a
    #: truncation whose differentiated solve is too expensive to compile)
    pms_method: ClassVar[str] = "bisection"
    #: Whether each continuation solve starts from the better (smaller residual) of the
    #: secant predictor and the last solution (one extra batched residual evaluation,
    #: hence one more compiled copy of the residual), or (``False``: for a residual that
    #: is expensive to compile, as :class:`frg.DE4`) from the predictor, and after a
    #: failed solve from the last solution
    predictor_test: ClassVar[bool] = True
    #: Whether :func:`frg.exponents_table` continues each (N, d) from the reference under
    #: ``vmap`` with the adaptive steps of the pointwise search (a direct jump first: for
    #: a residual whose Newton iteration is expensive; the O(∂²) table of N = 2, 3, 100,
    #: 1000 at d = 3 takes 5.4 s instead of 21.6 s warm, same ν to 1e-12), or
    #: (``False``) in fixed steps 1/``steps``, whose members converge in 2–5 cheap
    #: iterations per step in lockstep (the LPA's 5 × 5 table: 0.10 s against 0.13 s)
    table_adaptive: ClassVar[bool] = False

    @property
    @abc.abstractmethod
    def n_params(self) -> int:
        """Number of unknowns (and of residual rows)."""

    @property
    @abc.abstractmethod
    def n_flow(self) -> int:
        """Number of dynamic couplings (= flow rows); the rest are slaved unknowns."""

    def check(self, regulator: AbstractRegulator, N, d) -> None:
        """Raise ``ValueError`` if the truncation cannot use ``regulator`` at (N, d).

        Called by the engine before anything is compiled, with concrete N and d (arrays
        for a table; the regulator's own ``check(d)`` is done by the engine).
        """

    def for_inputs(self, N, d) -> AbstractTruncation:
        """The truncation to solve with at these N and d (concrete scalars or arrays;
        ``None`` when traced), e.g. with a static layout chosen from N. Called by the
        engine before compiling; default: ``self``."""
        return self

    def prepare(self, regulator: AbstractRegulator, d) -> Any:
        """The (regulator, d)-dependent context of the other methods (default: ``regulator``)."""
        return regulator

    @abc.abstractmethod
    def initial_guesses(self, regulator: AbstractRegulator, N, d) -> jax.Array:
        """Start vectors for Newton at (N, d) = (1, 3), shape (n_guesses, n_params).

        The engine tries them in order (one ``while_loop``, no host loop) until one
        converges to a plausible root (:meth:`nodes` = 1, p ≢ 0, and one relevant
        direction if :attr:`spectral_check`), then continues it to the target (N, d).
        """

    @abc.abstractmethod
    def residual(self, params, context, N, d) -> jax.Array:
        """[flow rows (∂_t of the dynamic couplings); constraint rows], zero at a fixed point."""

    def row_scale(self, context, N, d) -> jax.Array:
        """Positive weights dividing the residual rows in Newton's norm (default: ones).
        They change only the convergence test, not the root or the stability matrix."""
        return jnp.ones((self.n_params,))

    @abc.abstractmethod
    def eta(self, params, context) -> jax.Array:
        """Anomalous dimension η at ``params`` (0 in LPA)."""

    @abc.abstractmethod
    def kappa(self, params, context, N, d) -> jax.Array:
        """Dimensionless minimum ρ̃_0 of the potential (0 if u > 0 everywhere)."""

    @abc.abstractmethod
    def potential(self, params, regulator, N, d, rho) -> jax.Array:
        """u(ρ̃) = U'(ρ̃) at the points ``rho`` (a read-out for summaries and plots)."""

    def nodes(self, params, context, N, d) -> jax.Array:
        """Number of sign changes of u (1 at the Wilson–Fisher point). The default, 1,
        accepts every root; a truncation with spurious roots should count."""
        return jnp.asarray(1)


def _rules(regulator_or_rules, d) -> FlowRules:
    """Accept a regulator or prepared :class:`FlowRules` (what ``prepare`` returns)."""
    if isinstance(regulator_or_rules, FlowRules):
        return regulator_or_rules
    return flow_rules(regulator_or_rules, d)


def rho_scale(rules: FlowRules, N, d):
    """Natural unit of ρ̃: ``S = (N + 2) ℓ_2^{(0)}(0)/(d − 2)`` (≈ the large-N minimum)."""
    return (N + 2.0) * rules.l0(0.0, 2) / (d - 2.0)


class LPA(AbstractTruncation):
    """LPA: u(ρ̃) at M+1 Chebyshev–Gauss–Lobatto points of ρ̃ ∈ [0, L·S].

    ``S`` is :func:`rho_scale` (≈ the large-N minimum), so the domain scales with N and
    d. Unknowns: [u(x_0 = 0), ..., u(x_M = L); η]. Flow rows: the fixed-point equation
    at x_0..x_{M−1} (at ρ̃ = 0 the u'' term drops out: regularity is built in) and, at
    ρ̃_max, the flow with u'' replaced by the asymptotic relation ρ̃u'' = (p − 1)u',
    p = (2 − η)/(d − 2 + η) (u ~ ρ̃^p), kept as a flow row so that perturbations at the
    boundary evolve with it. Constraint: the η equation (η = 0 in LPA; the LPA'
    formula in :func:`LPAPrime`).

    Args:
        M: polynomial degree; L: domain length in units of S; c: if set, the
        algebraic map x = c(1+t)/(1−t+δ) instead of a linear one (experimental).

    Example:
        >>> ex = frg.critical_exponents(frg.Litim(), N=1, d=3, truncation=frg.LPA(M=64))
        >>> round(float(ex.nu), 10)
        0.6495617739

    Reference: J. Borchardt, B. Knorr, Phys. Rev. D 91, 105011 (2015).
    """

    # Measured: over 19 regulators (Litim; exponential a = 0.25…16, b = 1, 2; power law
    # n = 2, 3, 4; a Gaussian custom shape) × LPA (M = 40, 56) and LPA' (M = 56), every
    # start vector that converged at (N, d) = (1, 3) to a root with one node and u ≢ 0
    # had exactly one relevant direction: the reference solve needs no eigenvalues
    # (saves a 57×57 ``eigvals``, ~0.7 ms of a ~3 ms point). Taylor truncations keep
    # the check (they have spurious one-node roots).
    spectral_check: ClassVar[bool] = False

    M: int = eqx.field(static=True, default=56)
    L: float = eqx.field(static=True, default=12.0)
    c: float | None = eqx.field(static=True, default=None)
    anomalous: bool = eqx.field(static=True, default=False)
    name: str = eqx.field(static=True, default="lpa")
    bc: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        _validate.integer("M", self.M, 8, 400)
        _validate.in_range("L", self.L, 0.0, low_open=True)

    @property
    def n_params(self):
        return self.M + 2

    @property
    def n_flow(self):
        return self.M + 1

    def _grid(self):
        """Mapped Chebyshev grid x(t) = c(1+t)/(1−t+δ), x ∈ [0, L], and d/dx, d²/dx² matrices."""
        t, D = cheb(self.M)
        c, L = self.c, self.L
        if c is None:
            x = 0.5 * L * (t + 1.0)
            D1 = D * (2.0 / L)
            return jnp.asarray(x), jnp.asarray(D1), jnp.asarray(D1 @ D1)
        delta = 2.0 * c / (L - c)
        x = c * (1.0 + t) / (1.0 - t + delta)
        dxdt = c * (2.0 + delta) / (1.0 - t + delta) ** 2
        D1 = D / dxdt[:, None]
        return jnp.asarray(x), jnp.asarray(D1), jnp.asarray(D1 @ D1)

    def _t_of_x(self, x):
        if self.c is None:
            return 2.0 * x / self.L - 1.0
        delta = 2.0 * self.c / (self.L - self.c)
        return (x * (1.0 + delta) - self.c) / (x + self.c)

    def row_scale(self, regulator, N, d):
        """Weights of the residual rows for Newton's norm (the solution grows like x^p)."""
        x = self._grid()[0]
        p = 2.0 / (d - 2.0)
        return jnp.concatenate([1.0 + x**p, jnp.ones((1,))])

    def _split(self, params):
        return params[: self.M + 1], params[self.M + 1]

    def initial_guesses(self, regulator, N, d):
        """A small batch of guesses: first (x − 0.6)(0.4 + 0.2x) (close to the Wilson–Fisher
        solution at (N, d) = (1, 3) in units of S: node at x ≈ 0.6, u ~ 0.2x² far out), then
        s(x − x0)(1 + x/10) with zero at x0 ≈ 0.3 ... 2 and several slopes s.

        Measured (damped Newton to |F| < 1e-10, N = 1, d = 3): the first guess converges
        in 5 steps (Litim, M = 32 ... 72, LPA and LPA') and 4–8 (exponential regulator,
        a = 0.5 ... 4); the former first guess (x0, s) = (0.6, 1) needed 9 (Litim). The
        rest are fall-backs (exponential a = 16 needs one).
        """
        x, _, _ = self._grid()
        grid = [(x0, s) for x0 in (0.6, 1.5, 0.3, 1.0) for s in (0.2, 0.05, 1.0)]
        pairs = [(0.6, 1.0)] + [p for p in grid if p != (0.6, 1.0)]
        rows = [(x - 0.6) * (0.4 + 0.2 * x)] + [s * (x - x0) * (1.0 + 0.1 * x) for x0, s in pairs]
        return jnp.stack([jnp.concatenate([u, jnp.zeros((1,))]) for u in rows])

    def prepare(self, regulator, d):
        """The threshold rules of ``regulator`` in ``d`` dimensions (the context)."""
        return _rules(regulator, d)

    def residual(self, params, regulator, N, d):
        return self._residual(params, _rules(regulator, d), N, d)

    def _residual(self, params, rules, N, d):
        x, D1, D2 = self._grid()
        u, eta = self._split(params)
        S = rho_scale(rules, N, d)
        rho = S * x
        du = D1 @ u / S
        ddu = D2 @ u / S**2
        F = lpa_flow(rules, N, rho, u, du, ddu, eta)
        p = (2.0 - eta) / (d - 2.0 + eta)
        bc = lpa_flow(rules, N, rho[-1], u[-1], du[-1], (p - 1.0) * du[-1] / rho[-1], eta)
        if self.anomalous:
            kap, lam = self._kappa_lambda(u, x, D1, S)
            g_eta = eta - eta_lpa_prime(rules, kap, lam)
        else:
            g_eta = eta
        last = bc if self.bc else F[-1]
        # flow rows unscaled: they are ∂_t of the nodal values (the stability matrix needs that)
        return jnp.concatenate([F[:-1], jnp.atleast_1d(last), g_eta[None]])

    # ----------------------------------------------------------------- read-outs
    def _coeffs(self, u):
        """Chebyshev coefficients of the interpolant of nodal values u."""
        M = self.M
        t, _ = cheb(M)
        k = np.arange(M + 1)
        Tm = np.cos(np.outer(np.arccos(np.clip(t, -1, 1)), k))  # Tm[j, k] = T_k(t_j)
        return jnp.linalg.solve(jnp.asarray(Tm), u)

    def _interp(self, u, xq):
        c = self._coeffs(u)
        t = jnp.clip(self._t_of_x(jnp.asarray(xq)), -1.0, 1.0)
        k = jnp.arange(self.M + 1)
        return jnp.cos(jnp.arccos(t)[..., None] * k) @ c

    def _kappa_lambda(self, u, x, D1, S):
        """Zero x_0 of u (first sign change; 0 if none) → κ = S x_0 and λ = u'(κ)."""
        du = D1 @ u
        sgn = (u[:-1] <= 0) & (u[1:] > 0)
        has = jnp.any(sgn)
        i = jnp.argmax(sgn)
        xa, xb, ua, ub = x[i], x[i + 1], u[i], u[i + 1]
        x0 = xa - ua * (xb - xa) / jnp.where(ub == ua, 1.0, ub - ua)
        c = self._coeffs(u)
        k = jnp.arange(self.M + 1)

        def f(xx):
            t = jnp.clip(self._t_of_x(xx), -1.0 + 1e-15, 1.0 - 1e-15)
            return jnp.cos(jnp.arccos(t) * k) @ c

        fp = jax.grad(f)
        for _ in range(6):
            x0 = x0 - f(x0) / fp(x0)
        x0 = jnp.where(has, x0, 0.0)
        lam = jnp.where(has, fp(jnp.where(has, x0, 1.0)), du[0]) / S
        return S * x0, lam

    def eta(self, params, context=None):
        return self._split(params)[1]

    def kappa(self, params, regulator, N, d):
        rules = _rules(regulator, d)
        x, D1, _ = self._grid()
        S = rho_scale(rules, N, d)
        return self._kappa_lambda(self._split(params)[0], x, D1, S)[0]

    def potential(self, params, regulator, N, d, rho):
        S = rho_scale(_rules(regulator, d), N, d)
        return self._interp(self._split(params)[0], jnp.asarray(rho) / S)

    def grid(self, regulator, N, d):
        """The ρ̃ collocation points."""
        S = rho_scale(_rules(regulator, d), N, d)
        return S * self._grid()[0]

    def nodes(self, params, regulator, N, d):
        u = self._split(params)[0]
        return jnp.sum(jnp.sign(u[:-1]) * jnp.sign(u[1:]) < 0)


#: Chebyshev degree of the default LPA/LPA' grid by dimension, as (lowest d, M): with
#: these, ν is converged to ≤ 4e-8 (Litim, N = 1…21.5, d = 2.5…2.85, against M = 160;
#: ≤ 1e-8 from d = 2.55 up; docs/exponents.md "Grid degree by dimension"). M = 56 alone
#: is 1.7e-7 off at d = 2.7, 1e-5 at d = 2.6 and 3.7e-4 at d = 2.5. Not more than 112:
#: with M = 128 the automatic search failed to converge at d = 2.5 for N ≤ 2.2.
GRID_DEGREES = ((2.8, 56), (2.7, 72), (2.6, 96), (float("-inf"), 112))


def grid_degree(d) -> int:
    """Chebyshev degree M of the default grid for dimension ``d`` (an array: its lowest d).

    ``56`` for d ≥ 2.8, ``72`` for 2.7 ≤ d < 2.8, ``96`` for 2.6 ≤ d < 2.7, ``112`` below
    (:data:`GRID_DEGREES`): the convergence of the Chebyshev grid slows as d → 2, where
    the scaling solution grows like ρ̃^{2/(d−2)}.

    Example:
        >>> frg.grid_degree(3.0), frg.grid_degree([2.65, 3.5])
        (56, 96)
    """
    dmin = float(np.min(np.asarray(d, dtype=float)))
    return next((M for low, M in GRID_DEGREES if dmin >= low), GRID_DEGREES[0][1])  # NaN


def by_grid_degree(ds) -> dict[int, np.ndarray]:
    """Indices of the dimensions ``ds`` grouped by :func:`grid_degree`, degrees ascending
    (the column groups of :func:`frg.exponents_table` and of ``frg sweep exponents``)."""
    deg = np.array([grid_degree(d) for d in np.ravel(ds)])
    return {M: np.flatnonzero(deg == M) for M in sorted(set(deg.tolist()))}


def with_grid_degree(truncation, d):
    """``truncation`` with ``M = grid_degree(d)`` if it is a grid truncation, else unchanged.

    The default truncation of :func:`frg.critical_exponents`, :func:`frg.exponents_table`
    and ``frg exponents`` is ``with_grid_degree(LPA(), d)``; an explicitly passed
    ``LPA(M=...)`` is used as given.
    """
    if not isinstance(truncation, LPA):
        return truncation
    return dataclasses.replace(truncation, M=grid_degree(d))


def LPAPrime(M: int = 56, L: float = 12.0) -> LPA:
    """LPA': :class:`LPA` with the η equation η = (16v_d/d)κλ² m_{2,2}(2κλ; η)."""
    return LPA(M=M, L=L, anomalous=True, name="lpa-prime")
