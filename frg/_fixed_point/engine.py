"""Fixed points of dimensionless flows and their critical exponents.

Given a truncation (:class:`AbstractTruncation`, whose docstring is the contract: LPA
and LPA' (the full function u(ρ̃) on a Chebyshev grid), Taylor (polynomial around the
minimum), DE2 (O(∂²) derivative expansion)) the scaling solution is a root of
``truncation.residual(params, context, N, d)``. It is found
without user input by *continuation*: Newton from the built-in guess at the reference
point (N, d) = (1, 3), where the guess lies in the Wilson–Fisher basin, then damped
Newton along the path N_s = N^s, d_s = 3 + s (d − 3) up to s = 1 (adaptive steps, a
direct jump first; fixed steps 1/K in the vmapped table), all in one ``while_loop``
around one optimistix solve (``_search``).

Stability: the flow rows linearised, the slaved unknowns eliminated through the
constraint rows (Schur complement) → matrix A; θ_i = −eig(A), sorted by decreasing
real part; ν = 1/θ_1, ω = −θ_2 (conventions: ``docs/theory/conventions.md``).

Classification (``FixedPoint.result``, a ``frg.RESULTS`` member): ``successful`` (the
Wilson–Fisher point: converged, p ≢ 0, exactly one relevant direction θ > 0, one node
of u); ``not_converged`` (Newton / continuation failed); ``gaussian`` (p ≡ 0);
``other_fixed_point`` (more than one relevant direction, or a spurious discrete
solution); ``nonfinite`` (pole of the propagator).

Derivatives w.r.t. regulator parameters, N or d flow through the implicit function
theorem (``frg._newton.attach_implicit``) and the eigenvalue perturbation formula
dθ = vᵀ dA w/(vᵀ w) (left/right eigenvectors), never through Newton iterates; the
principle of minimal sensitivity (:func:`pms`) finds the zero of that gradient.

Reference: D. F. Litim, Nucl. Phys. B 631, 128 (2002); C. Bervillier, A. Jüttner,
D. F. Litim, Nucl. Phys. B 783, 213 (2007); J. Borchardt, B. Knorr, Phys. Rev. D 91,
105011 (2015) (pseudo-spectral fixed-point solutions).
"""

from __future__ import annotations

from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax import lax

from .. import _validate
from .._compile import filter_jit
from .._flow.regulators import AbstractRegulator
from .._results import RESULTS
from .._x64 import as_float64, numbers_as_float64, x64
from ._newton import ACCEPT, attach_implicit, newton
from .de2 import DE2
from .de4 import DE4
from .taylor import Taylor
from .truncations import LPA, AbstractTruncation, LPAPrime, by_grid_degree, grid_degree

__all__ = [
    "FixedPoint",
    "Exponents",
    "PMS",
    "TRUNCATIONS",
    "make_truncation",
    "check_exponents_inputs",
    "find_fixed_point",
    "critical_exponents",
    "stability_matrix",
    "exponents_table",
    "pms",
    "plot_nu_vs_d",
]


#: CLI/registry of truncations: name -> factory(order) (extendable, e.g. "de2").
def _taylor(order=None):
    order = 6 if order is None else _validate.integer("order", order, 2, 16)
    return Taylor(order=order)


TRUNCATIONS = {
    "lpa": lambda order=None: LPA(),
    "lpa-prime": lambda order=None: LPAPrime(),
    "taylor": _taylor,
    "de2": lambda order=None: DE2(),
    "de4": lambda order=None: DE4(),
}


def make_truncation(name: str, order: int | None = None) -> AbstractTruncation:
    """Truncation by name (``lpa``, ``lpa-prime``, ``taylor`` [order], ...)."""
    try:
        fac = TRUNCATIONS[name]
    except KeyError:
        raise ValueError(f"truncation must be one of {sorted(TRUNCATIONS)}; got {name!r}") from None
    return fac(order)


class FixedPoint(eqx.Module):
    """A scaling solution (pytree).

    Attributes:
        params: the truncation's unknowns at the fixed point; eta: η;
        kappa: dimensionless minimum ρ̃_0; residual: final residual norm (weighted);
        iterations: Newton iterations of the last continuation step;
        n_relevant: number of θ with Re θ > 0; nodes: sign changes of u;
        result: a ``frg.RESULTS`` member (``successful``: the Wilson–Fisher point).
    """

    params: jax.Array
    eta: jax.Array
    kappa: jax.Array
    residual: jax.Array
    iterations: jax.Array
    n_relevant: jax.Array
    nodes: jax.Array
    result: RESULTS


class Exponents(eqx.Module):
    """Critical exponents at a fixed point (pytree).

    Attributes:
        nu: 1/θ_1; omega: −θ_2; eta: anomalous dimension;
        theta: the leading θ_i (complex, sorted by decreasing real part);
        vectors: right eigenvectors (columns, over the dynamic couplings);
        fixed_point: the :class:`FixedPoint`; result: as ``fixed_point.result``.
    """

    nu: jax.Array
    omega: jax.Array
    eta: jax.Array
    theta: jax.Array
    vectors: jax.Array
    fixed_point: FixedPoint
    result: RESULTS


def _weighted(truncation):
    """Newton's function: residual / row_scale, args = (context, N, d)."""

    def fun(p, a):
        ctx, n, dd = a
        return truncation.residual(p, ctx, n, dd) / truncation.row_scale(ctx, n, dd)

    return fun


def stability_matrix(truncation: AbstractTruncation, params, regulator, N, d):
    """Linearised flow ``A`` (n_flow × n_flow) with slaved unknowns eliminated.

    ``A = J_ff − J_fs J_ss⁻¹ J_sf`` with J the Jacobian of the residual, f = flow
    rows/dynamic couplings, s = constraint rows/slaved unknowns.
    """
    J = jax.jacfwd(lambda p: truncation.residual(p, regulator, N, d))(params)
    return _schur(truncation, J)


def _schur(truncation, J):
    n = truncation.n_flow
    if n == J.shape[0]:
        return J
    return J[:n, :n] - J[:n, n:] @ jnp.linalg.solve(J[n:, n:], J[n:, :n])


def _stability_from_newton(truncation, Jw, ctx, N, d):
    """:func:`stability_matrix` from the Jacobian ``Jw`` of Newton's function (the
    residual rows divided by ``row_scale``)."""
    return _schur(truncation, truncation.row_scale(ctx, N, d)[:, None] * Jw)


def _stability_at_root(truncation, Jw, p, ctx, N, d):
    """:func:`stability_matrix` at ``p``, given the Jacobian ``Jw`` of Newton's function
    there (from the solve that found ``p``): no second Jacobian in the program. Its
    derivative is that of :func:`stability_matrix` (computed only when differentiated)."""

    @jax.custom_jvp
    def stab(p, ctx, N, d):
        return _stability_from_newton(truncation, Jw, ctx, N, d)

    @stab.defjvp
    def stab_jvp(primals, tangents):
        return jax.jvp(partial(stability_matrix, truncation), primals, tangents)

    return stab(p, ctx, N, d)


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _eigs(k, A):
    """Leading k eigenvalues of −A (θ, sorted by decreasing real part) and their right
    eigenvectors; the θ carry the first-order derivative dθ = −vᵀ dA w / (vᵀ w)."""
    th, W, _ = _eig_sorted(k, A)
    return th, W


def _eig_sorted(k, A):
    lam, W = jnp.linalg.eig(A)
    order = jnp.argsort(lam.real)[:k]  # θ = −λ by decreasing real part
    return -lam[order], W[:, order], (W, order)


@_eigs.defjvp
def _eigs_jvp(k, primals, tangents):
    (A,), (dA,) = primals, tangents
    th, Wk, (W, order) = _eig_sorted(k, A)
    # left eigenvectors: rows of W⁻¹ (vᵀw = 1), only when differentiated
    Vt = jnp.linalg.solve(W, jnp.eye(A.shape[0], dtype=W.dtype))[order]
    dth = -jnp.einsum("ki,ij,jk->k", Vt, dA.astype(W.dtype), Wk)
    return (th, Wk), (dth, jnp.zeros_like(Wk))


#: |F| at which a continuation solve stops: intermediate (N_s, d_s) / target and reference
_FTOL_MID = 1e-3
_FTOL = 1e-10
#: Newton steps allowed per solve: reference (rough start) / continuation (a failed
#: jump costs this much before the step is halved)
_ITS_REF = 40
_ITS_STEP = 16


def _plausible(truncation, p, ctx, N, d, nrm, ftol):
    """Cheap acceptance test of a continuation solve, no eigenvalues: |F| < ftol, finite,
    params ≢ 0 and one node (the full classification, with the stability spectrum, is
    done once at the end)."""
    nodes = truncation.nodes(p, ctx, N, d)
    return (nrm < ftol) & (nodes == 1) & (jnp.max(jnp.abs(p)) > 1e-6) & jnp.all(jnp.isfinite(p))


def _n_relevant(truncation, Jw, ctx, N, d):
    """Number of relevant directions (Re θ > 0) of the stability matrix, from the
    Jacobian ``Jw`` of Newton's function."""
    lam = jnp.linalg.eigvals(_stability_from_newton(truncation, Jw, ctx, N, d))
    return jnp.sum(-lam.real > 1e-8)


def _search(
    truncation,
    regulator,
    fun,
    N,
    d,
    steps,
    G,
    *,
    from_reference,
    reference_only=False,
    adaptive=True,
    direct=False,
):
    """Wilson–Fisher search: one ``while_loop`` around one damped Newton solve
    (:func:`frg._newton.newton`), so the solver is compiled once.

    Phase 0 (unless ``from_reference``): the reference point (N, d) = (1, 3), Newton from
    the start vectors ``G`` in turn until one passes :func:`_plausible` (one node, u ≢ 0)
    and, if ``truncation.spectral_check``, has exactly one relevant direction (the only
    eigenvalue computation inside the loop; the grid truncations skip it); if none
    does, the last is continued and the final classification (with the spectrum) says
    what it reached; ``reference_only``: stop there; if the target is (1, 3), done).
    Phase 1: continuation along
    N_s = N^s, d_s = 3 + s(d − 3) with an adaptive step h: first a direct jump to s = 1
    from the reference solution (for d < 3 a jump of at most |Δd| = 0.15: measured with
    the Litim regulator, jumps from (1, 3) converge for d ≥ 2.89 and fail for d ≤ 2.74);
    a solve that fails (no convergence within ``_ITS_STEP`` steps, or not plausible)
    halves h, a successful one doubles it (``adaptive=False``, the vmapped table of a
    truncation without ``table_adaptive``, the LPA's: fixed h = 1/steps, halved on
    failure down to 1/(4 steps): under ``vmap`` every member waits for the slowest, and
    short steps that each converge in 2–5 cheap iterations beat jumps that may fail
    after ``_ITS_STEP``; where an iteration is expensive, O(∂²) and O(∂⁴), the jump
    wins). The
    start of each solve is the secant predictor p_s + (Δs/Δs_prev)(p_s − p_prev) or
    p_s, whichever has the smaller residual (if not ``truncation.predictor_test``: the
    predictor, or p_s after a failed solve); intermediate solves stop at
    |F| < ``_FTOL_MID``, the last at |F| < ``_FTOL``. Gives up when h < 1/``steps``
    (1/(4 steps) if not ``adaptive``) or after ``len(G) + 3·steps`` solves.

    ``direct``: ``G[0]`` is a solution near the target (another regulator, as in
    :func:`pms`): the first solve is at the target itself.

    Every residual evaluation of the loop is inside the one Newton solve, apart from the
    predictor test (one batched evaluation), so an expensive residual is compiled twice
    (value, and the Jacobian inside the solver), not once per use.

    Returns (params, |F| (inf if the target was not reached), iterations of the last
    solve, the Jacobian of ``fun`` at params (NaN if no solve was accepted)).
    """
    # the root gets its derivative from ``attach_implicit`` at the target, never from here
    reg, N, d = lax.stop_gradient((regulator, N, d))
    nG = G.shape[0]
    h_min = 1.0 / steps if adaptive else 0.25 / steps
    budget = nG + 3 * steps
    if direct:
        h0 = jnp.asarray(1.0)
    elif adaptive:
        h0 = jnp.where(d < 3.0, jnp.minimum(1.0, 0.15 / jnp.where(d < 3.0, 3.0 - d, 1.0)), 1.0)
    else:
        h0 = jnp.asarray(1.0 / steps)
    grow = 2.0 if adaptive else 1.0
    at_ref = (N == 1.0) & (d == 3.0)

    def body(c):
        k, phase, i, s, h, p, prev, s_prev, _, _, wf, jac, use_pred = c
        ref = phase == 0
        s_new = jnp.where(ref, 0.0, jnp.where(s + h > 1.0 - 1e-9, 1.0, s + h))
        n_s, d_s = N**s_new, 3.0 + s_new * (d - 3.0)
        args = (truncation.prepare(reg, d_s), n_s, d_s)
        ratio = jnp.where(s > s_prev, (s_new - s) / jnp.where(s > s_prev, s - s_prev, 1.0), 0.0)
        pred = p + ratio * (p - prev)
        if truncation.predictor_test:
            r2 = jax.vmap(lambda x: jnp.sum(fun(x, args) ** 2))(jnp.stack([pred, p]))
            better = r2[0] < r2[1]
        else:  # the predictor, unless the last solve (from it) failed: then p_s
            better = use_pred
        x0 = jnp.where(ref, G[jnp.minimum(i, nG - 1)], jnp.where(better, pred, p))
        ftol = jnp.where(ref | (s_new >= 1.0), _FTOL, _FTOL_MID)
        its_max = jnp.where(ref, _ITS_REF, _ITS_STEP)
        q, nrm, its, jq = newton(fun, x0, args, ftol=ftol, maxiter=_ITS_REF, max_its=its_max)
        plaus = _plausible(truncation, q, args[0], n_s, d_s, nrm, ftol)
        if not from_reference and truncation.spectral_check:  # one relevant direction too
            n_rel = lax.cond(
                ref & plaus,
                lambda: _n_relevant(truncation, jq, args[0], n_s, d_s),
                lambda: jnp.asarray(1),
            )
            plaus = plaus & (n_rel == 1)
        finite = jnp.all(jnp.isfinite(q)) & (nrm < ftol)
        # phase 0: accept -> phase 1 at s = 0 with p = q; reject -> next start vector (the
        # last one is continued anyway, off the Wilson–Fisher branch: ``wf`` False, so the
        # final classification reports what it converges to)
        # phase 1: accept -> advance s, double h; reject -> halve h
        ok = jnp.where(ref, plaus | (i >= nG - 1), finite & (plaus | ~wf))
        wf_next = jnp.where(ref, plaus, wf)
        p_new = jnp.where(ok, q, p)
        jac_new = jnp.where(ok, jq, jac)
        prev_new = jnp.where(ok, jnp.where(ref, q, p), prev)
        s_prev_new = jnp.where(ok, jnp.where(ref, 0.0, s), s_prev)
        # at the target (N, d) = (1, 3) itself the reference solution is the answer
        s_next = jnp.where(ok, jnp.where(ref & at_ref, 1.0, s_new), s)
        h_next = jnp.where(ref, h0, jnp.where(ok, jnp.minimum(grow * h, 1.0), 0.5 * h))
        phase_next = jnp.where(ref & ok, 1, phase)
        i_next = jnp.where(ref & ~ok, i + 1, i)
        return (
            k + 1,
            phase_next,
            i_next,
            s_next,
            h_next,
            p_new,
            prev_new,
            s_prev_new,
            nrm,
            its,
            wf_next,
            jac_new,
            ok,
        )

    def cond(c):
        k, phase, i, s, h = c[:5]
        if reference_only:
            return (phase == 0) & (i < nG)
        done = (phase == 1) & (s >= 1.0)
        failed = ((phase == 0) & (i >= nG)) | (h < h_min)
        return (k < budget) & ~done & ~failed

    zero = jnp.asarray(0.0)
    c0 = (
        jnp.asarray(0),
        jnp.asarray(1 if from_reference else 0),
        jnp.asarray(0),
        zero,
        jnp.asarray(h0, dtype=float),
        G[0],
        G[0],
        zero,
        jnp.asarray(jnp.inf),
        jnp.asarray(0),
        jnp.asarray(True),
        jnp.full((G.shape[1], G.shape[1]), jnp.nan),
        jnp.asarray(True),
    )
    k, phase, i, s, h, p, prev, s_prev, nrm, its, _, jac, _ = lax.while_loop(cond, body, c0)
    if reference_only:
        return lax.stop_gradient(p)
    reached = (phase == 1) & (s >= 1.0)
    return lax.stop_gradient(p), jnp.where(reached, nrm, jnp.inf), its, lax.stop_gradient(jac)


def _guesses(truncation, regulator):
    return truncation.initial_guesses(regulator, 1.0, 3.0)


def _reference(truncation, regulator, fun):
    """Wilson–Fisher point at the reference (N, d) = (1, 3) (phase 0 of :func:`_search`).
    Depends on the regulator and truncation only (hoisted out of the vmap in
    :func:`exponents_table`)."""
    G = _guesses(truncation, regulator)
    one, three = jnp.asarray(1.0), jnp.asarray(3.0)
    return _search(
        truncation, regulator, fun, one, three, 1, G, from_reference=False, reference_only=True
    )


def _solve(truncation, regulator, N, d, steps: int, k: int, g=None, adaptive=True, direct=False):
    fun = _weighted(truncation)
    if g is None and not adaptive:  # vmap-friendly: reference in its own loop, then steps
        g = _reference(truncation, regulator, fun)
    if g is None:  # reference solve and adaptive continuation in one loop
        G = lax.stop_gradient(_guesses(truncation, regulator))
        p, nrm, its, jw = _search(truncation, regulator, fun, N, d, steps, G, from_reference=False)
    else:
        p, nrm, its, jw = _search(
            truncation,
            regulator,
            fun,
            N,
            d,
            steps,
            g[None],
            from_reference=True,
            adaptive=adaptive,
            direct=direct,
        )
    ok_conv = nrm < ACCEPT
    ctx = truncation.prepare(regulator, d)
    # value p; derivative w.r.t. (regulator, N, d) by the implicit function theorem
    p = attach_implicit(fun, p, (ctx, N, d), jw)
    A = _stability_at_root(truncation, jw, p, ctx, N, d)
    th, W = _eigs(k, A)
    n_rel = jnp.sum(th.real > 1e-8)
    nodes = truncation.nodes(p, ctx, N, d)
    finite = jnp.all(jnp.isfinite(p)) & jnp.all(jnp.isfinite(A))
    gauss = jnp.max(jnp.abs(p)) < 1e-8
    wf = (n_rel == 1) & (nodes == 1)
    R = RESULTS
    result = R.where(
        ~finite,
        R.nonfinite,
        R.where(
            ~ok_conv,
            R.not_converged,
            R.where(gauss, R.gaussian, R.where(wf, R.successful, R.other_fixed_point)),
        ),
    )
    eta = truncation.eta(p, ctx)
    fp = FixedPoint(
        params=p,
        eta=eta,
        kappa=truncation.kappa(p, ctx, N, d),
        residual=nrm,
        iterations=its,
        n_relevant=n_rel,
        nodes=nodes,
        result=result,
    )
    return Exponents(
        nu=1.0 / th[0].real,
        omega=-th[1].real,
        eta=eta,
        theta=th,
        vectors=W,
        fixed_point=fp,
        result=result,
    )


_solve_jit = filter_jit(_solve)  # XLA:CPU options at top level (frg/_compile.py)
#: θ returned by default (critical_exponents) and by pms
_N_THETA = 6


def _solve_concrete(truncation, regulator, N, d):
    """One concrete solve (``N``, ``d`` as from :func:`frg._x64.as_float64`) through the
    program that :func:`critical_exponents` compiles with its defaults: the static
    arguments (steps, n_theta, adaptive) and argument types are the same, so it is
    compiled once for both."""
    return _solve_jit(truncation, numbers_as_float64(regulator), N, d, 8, _N_THETA, adaptive=True)


def _raise(out, throw: bool):
    """``out`` unchanged; with ``throw``, an error carrying the message of ``out.result``
    when it is not ``successful`` (``equinox`` runtime error, as diffrax/optimistix)."""
    if not throw:
        return out
    return out.result.error_if(out, out.result != RESULTS.successful)


@x64
def check_exponents_inputs(regulator, *, N=1.0, d=3.0, truncation=None) -> None:
    """Raise ``ValueError`` (naming the argument and its valid range) unless
    :func:`critical_exponents` accepts these inputs; N and d may be arrays (a sweep's
    values). Compiles nothing beyond the regulator's own check.

    Example:
        >>> frg.check_exponents_inputs(frg.Litim(), N=[1.0, 2.0], d=3.0)
    """
    _check_inputs(_default(truncation, d, N), regulator, N, d)


def _check_inputs(truncation, regulator, N, d):
    """Validate the concrete ones of N, d (scalars or arrays) and the regulator, then let
    the truncation check what it needs (all before compiling)."""
    if _concrete(N):
        _validate.in_range("N", N, 1.0, 1000.0)
    if _concrete(d):
        _validate.in_range("d", d, 2.0, 4.0, low_open=True, high_open=True)
    if not isinstance(truncation, AbstractTruncation):
        raise ValueError(f"truncation must be an frg truncation; got {truncation!r}")
    if _concrete(regulator, d):
        _check_regulator(regulator, d)
    if _concrete(regulator, N, d):
        truncation.check(regulator, np.asarray(N, float), np.asarray(d, float))


def _check_regulator(regulator, d):
    if not isinstance(regulator, AbstractRegulator):
        raise ValueError(f"regulator must be an frg regulator; got {regulator!r}")
    for dd in np.atleast_1d(np.asarray(d, dtype=float)).ravel()[:1]:
        type(regulator).check(regulator, float(dd))  # on the class: no BoundMethod


def _concrete(*xs):
    leaves = jax.tree_util.tree_leaves(xs)
    return not any(isinstance(x, jax.core.Tracer) for x in leaves)


def _default(truncation, d, N=None):
    """The truncation to solve with: the given one specialised to (N, d)
    (:meth:`AbstractTruncation.for_inputs`), by default LPA on the grid degree for d
    (M = 56 when d is traced)."""
    if truncation is None:
        return LPA(M=grid_degree(d)) if _concrete(d) else LPA()
    if not isinstance(truncation, AbstractTruncation):
        raise ValueError(f"truncation must be an frg truncation; got {truncation!r}")
    return truncation.for_inputs(N if _concrete(N) else None, d if _concrete(d) else None)


@x64
def critical_exponents(
    regulator: AbstractRegulator,
    *,
    N=1.0,
    d=3.0,
    truncation: AbstractTruncation | None = None,
    steps: int = 8,
    n_theta: int = _N_THETA,
    throw: bool = False,
) -> Exponents:
    """Wilson–Fisher fixed point and critical exponents of the O(N) model.

    θ_i = −eig(∂β/∂g) at the fixed point; ν = 1/θ_1, ω = −θ_2.

    Args:
        regulator: any frg regulator (its parameters may be traced/differentiated).
        N: number of field components, 1 <= N <= 1000 (real). d: dimension, 2 < d < 4.
        truncation: ``frg.LPA()`` (default, with the grid degree
            :func:`frg.grid_degree` (d): 56 for d ≥ 2.8, up to 112 below 2.6, so that ν
            is converged to ≤ 4e-8; with a traced d, M = 56), ``frg.LPAPrime()``,
            ``frg.Taylor(order)``, ``frg.DE2()``. A truncation passed in is used as given.
        steps: continuation from (N, d) = (1, 3): the step in s starts as a direct jump
            and is halved on failure, never below 1/steps (:func:`exponents_table`: fixed
            steps 1/steps, unless the truncation's ``table_adaptive``).
            n_theta: how many θ to return.
        throw: raise if the result is not ``frg.RESULTS.successful`` (default: report it
            in ``.result``).

    Returns:
        :class:`Exponents` (``.result == frg.RESULTS.successful`` for a Wilson–Fisher point).

    Example:
        >>> ex = frg.critical_exponents(frg.Litim(), N=1, d=3)
        >>> round(float(ex.nu), 10)
        0.6495617739

    Reference: D. F. Litim, Nucl. Phys. B 631, 128 (2002).
    """
    truncation = _default(truncation, d, N)
    _check_inputs(truncation, regulator, N, d)
    # concrete call: jump-first adaptive continuation in one loop. Traced N, d or regulator
    # (the caller's jit/vmap/grad, e.g. `frg sweep`): the table's scheme, whose cost under
    # vmap does not hinge on the slowest member's failed jumps (jit(vmap) of 100 points:
    # 0.53 s with it, 1.15 s with the adaptive loop)
    adaptive = _concrete(regulator, N, d)
    # concrete inputs as NumPy float64 scalars (traced like jax arrays by filter_jit,
    # without an eager device transfer each)
    N, d = as_float64(N), as_float64(d)
    ex = _solve_jit(
        truncation, numbers_as_float64(regulator), N, d, steps, n_theta, adaptive=adaptive
    )
    return _raise(ex, throw)


@x64
def find_fixed_point(regulator, *, N=1.0, d=3.0, truncation=None, steps=8, throw=False):
    """The Wilson–Fisher scaling solution (see :func:`critical_exponents`); a :class:`FixedPoint`.

    Example:
        >>> fp = frg.find_fixed_point(frg.Litim(), N=2, d=3)
        >>> bool(fp.result == frg.RESULTS.successful)
        True
    """
    ex = critical_exponents(regulator, N=N, d=d, truncation=truncation, steps=steps, throw=throw)
    return ex.fixed_point


@x64
def exponents_table(
    regulator: AbstractRegulator,
    Ns,
    ds,
    *,
    truncation: AbstractTruncation | None = None,
    steps: int = 8,
) -> Exponents:
    """Exponents on the grid Ns × ds in one compiled, vmapped call.

    Leaves of the returned :class:`Exponents` have shape (len(Ns), len(ds), ...). With
    the default truncation the columns are grouped by their grid degree
    (:func:`frg.grid_degree`): one vmapped call per degree present (at most four), so a
    table reaching d < 2.8 stays converged to 1e-8 in ν there and costs the finer grid
    only in those columns. ``vectors`` and ``fixed_point.params`` then have the length
    of the largest grid (shorter ones zero-padded at the end). Each point carries its
    own ``result``.

    Example:
        >>> tab = frg.exponents_table(frg.Litim(), [1, 4], [3.0, 3.5])
        >>> tab.nu.shape
        (2, 2)
        >>> round(float(tab.nu[0, 0]), 10)  # N = 1, d = 3
        0.6495617739
    """
    Ns = np.asarray(Ns, dtype=float)
    ds = np.asarray(ds, dtype=float)
    _check_inputs(_default(truncation, ds, Ns), regulator, Ns, ds)
    if truncation is not None:
        groups = {_default(truncation, ds, Ns): np.arange(len(ds))}
    else:  # the default: columns grouped by grid degree
        groups = {LPA(M=M): cols for M, cols in by_grid_degree(ds).items()}
    if len(groups) == 1:
        return _table(next(iter(groups)), regulator, Ns, ds, steps)
    parts = [(cols, _table(tr, regulator, Ns, ds[cols], steps)) for tr, cols in groups.items()]

    def assemble(*leaves):  # columns back in order; grid-sized axes padded with zeros
        trailing = np.max([leaf.shape[2:] for leaf in leaves], axis=0).astype(int)
        out = np.zeros((len(Ns), len(ds), *trailing), leaves[0].dtype)
        for (cols, _), leaf in zip(parts, leaves, strict=True):
            out[(slice(None), cols, *(slice(0, k) for k in leaf.shape[2:]))] = np.asarray(leaf)
        return jnp.asarray(out)

    return jax.tree_util.tree_map(assemble, *(p for _, p in parts))


def _table(truncation, regulator, Ns, ds, steps):
    NN, DD = np.meshgrid(Ns, ds, indexing="ij")
    flat = jnp.asarray(NN.ravel()), jnp.asarray(DD.ravel())
    out = _table_jit(truncation, numbers_as_float64(regulator), *flat, steps)
    return jax.tree_util.tree_map(lambda a: a.reshape(NN.shape + a.shape[1:]), out)


@filter_jit
def _table_jit(truncation, regulator, Ns, ds, steps):
    # the reference solve at (1, 3) is shared by all (N, d): once, outside the vmap
    g = _reference(truncation, regulator, _weighted(truncation))

    def one(n, dd):
        return _solve(truncation, regulator, n, dd, steps, 4, g, adaptive=truncation.table_adaptive)

    return jax.vmap(one)(Ns, ds)


class PMS(eqx.Module):
    """Principle-of-minimal-sensitivity point of an exponent over a regulator parameter.

    Attributes:
        a: the parameter with dX/da = 0; value: X(a); derivative: dX/da there;
        exponents: the :class:`Exponents` at ``a``; iterations: bisection steps (Brent:
        solves); result: ``frg.RESULTS`` (``pms_failed`` if the search did not converge).
    """

    a: jax.Array
    value: jax.Array
    derivative: jax.Array
    exponents: Exponents
    iterations: jax.Array
    result: RESULTS


_WHICH = ("nu", "eta", "omega")


def _pms_value(truncation, family, N, d, start, which):
    """a ↦ (dX/da, (a, X(a), Exponents)): the fixed point from ``start`` (a solution at a
    nearby a), X differentiated through it (implicit function theorem, eigenvalue
    perturbation)."""

    def value(a):
        ex = _solve(truncation, family(a), N, d, 8, _N_THETA, g=start, direct=True)
        return getattr(ex, which), ex

    def val_grad(a):  # forward mode: one scalar parameter
        a = jnp.asarray(a, dtype=float)
        x, g, ex = jax.jvp(value, (a,), (jnp.ones_like(a),), has_aux=True)
        return g, (a, x, g, ex)

    return val_grad


@filter_jit
def _pms_point(truncation, family, N, d, start, which, a):
    """dX/da at one a (the bracket's ends)."""
    return _pms_value(truncation, family, N, d, start, which)(a)[0]


@filter_jit
def _pms_solve(truncation, family, N, d, start, which, lo, hi, flip, tol, max_steps):
    """Bisection on dX/da. The reported point is the last one evaluated (inside the final
    bracket), read from the root finder's aux: X, dX/da and the exponents there need no
    further evaluation (one copy of the differentiated solve in the program)."""
    val_grad = _pms_value(truncation, family, N, d, start, which)
    solver = optx.Bisection(rtol=tol, atol=tol, flip=flip)
    sol = optx.root_find(
        lambda a, _: val_grad(a),
        solver,
        0.5 * (lo + hi),
        has_aux=True,
        options={"lower": lo, "upper": hi},
        max_steps=max_steps,
        throw=False,
    )
    a, x, g, ex = sol.aux
    ok = sol.result == optx.RESULTS.successful
    result = RESULTS.where(ok, ex.result, RESULTS.pms_failed)
    return PMS(a, x, g, ex, sol.stats["num_steps"], result)


def _pms_brent(truncation, family, N, d, which, lo, hi, tol, max_steps) -> PMS:
    """:func:`pms` by Brent's method on X(a) (see there)."""
    from scipy.optimize import minimize_scalar

    seen = {}

    def solve(a):
        if a not in seen:
            ex = _solve_concrete(truncation, family(a), N, d)
            x = float(getattr(ex, which))
            if not (bool(ex.result == RESULTS.successful) and np.isfinite(x)):
                raise ValueError(
                    f"pms (brent): no Wilson–Fisher fixed point at a = {a}: {RESULTS[ex.result]}"
                )
            seen[a] = (x, ex)
        return seen[a][0]

    grid = np.linspace(lo, hi, 5)
    xs = np.asarray([solve(float(a)) for a in grid])
    i_min, i_max = int(np.argmin(xs)), int(np.argmax(xs))
    if 0 < i_min < 4:
        sign, i = 1.0, i_min  # a minimum
    elif 0 < i_max < 4:
        sign, i = -1.0, i_max
    else:
        raise ValueError(
            f"{which}(a) has no interior extremum on [{lo}, {hi}] ({which} = "
            + ", ".join(f"{x:.8g}" for x in xs)
            + " at five equidistant a); choose a bracket around the PMS point"
        )
    res = minimize_scalar(
        lambda a: sign * solve(float(a)),
        bracket=tuple(float(a) for a in grid[i - 1 : i + 2]),
        method="brent",
        options={"xtol": tol, "maxiter": max_steps},
    )
    a = float(res.x)
    solve(a)
    x, ex = seen[a]
    near = sorted(seen, key=lambda b: abs(b - a))[:3]
    c = np.polyfit(np.asarray(near) - a, [seen[b][0] for b in near], 2)
    result = RESULTS.where(jnp.asarray(bool(res.success)), ex.result, RESULTS.pms_failed)
    return PMS(
        jnp.asarray(a), jnp.asarray(x), jnp.asarray(c[1]), ex, jnp.asarray(len(seen)), result
    )


@x64
def pms(
    family,
    lower: float,
    upper: float,
    *,
    which: str = "nu",
    N=1.0,
    d=3.0,
    truncation: AbstractTruncation | None = None,
    tol: float | None = None,
    max_steps: int = 60,
    throw: bool = False,
    method: str | None = None,
) -> PMS:
    """Principle of minimal sensitivity: the parameter a in [lower, upper] with dX/da = 0,
    X = ν, η or ω, for any truncation.

    ``family(a)`` returns a regulator (e.g. ``lambda a: frg.Wetterich(a=a)``).

    ``method="bisection"``: dX/da comes from forward-mode differentiation (``jax.jvp``)
    through the fixed point (implicit differentiation) and, for ν and ω, the eigenvalue
    derivative; its root in [lower, upper] is found by ``optimistix.root_find`` with
    ``optimistix.Bisection`` (the bracket must change sign; Newton on dX/da would need
    second derivatives, which the implicit/eigenvalue rules do not provide). The fixed
    point at each a starts from the one at the bracket's midpoint.

    ``method="brent"``: the extremum of X(a) by Brent's method
    (``scipy.optimize.minimize_scalar``), each X(a) one solve of the program that
    :func:`critical_exponents` compiles (so nothing else is compiled); X at five
    equidistant points of the bracket must have its minimum or its maximum at an
    interior one, whose neighbours bracket Brent's search. ``derivative``
    is then the slope, at a, of the parabola through the three evaluations nearest to
    it. X is stationary there, so an error δa in a moves X by O(δa²).

    Args:
        family: a → regulator; lower, upper: bracket; which: ``"nu"``, ``"eta"`` or
        ``"omega"``; N, d; truncation (default LPA on :func:`frg.grid_degree` (d));
        tol: bisection: bracket width (relative to max(1, |a|)), default 1e-8; brent:
        Brent's relative tolerance in a, default 1e-4; max_steps: bisection steps or
        solves; throw: raise if the result is not successful; method: ``"bisection"`` or
        ``"brent"`` (default: ``truncation.pms_method``: Brent for :class:`frg.DE4`).

    Returns:
        :class:`PMS` (``a``, ``value``, ``derivative``, ``exponents``, ``result``).

    Example:
        >>> tr = frg.LPA(M=24)
        >>> res = frg.pms(lambda a: frg.Wetterich(a=a), 4.0, 16.0, truncation=tr,  # doctest: +SKIP
        ...               tol=1e-4)
        >>> round(float(res.a), 2)  # doctest: +SKIP
        6.02

    Reference: P. M. Stevenson, Phys. Rev. D 23, 2916 (1981); L. Canet, B. Delamotte,
    D. Mouhanna, J. Vidal, Phys. Rev. D 67, 065004 (2003).
    """
    if which not in _WHICH:
        raise ValueError(f"which must be one of {list(_WHICH)}; got {which!r}")
    lo, hi = float(lower), float(upper)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"bracket must satisfy lower < upper; got [{lower}, {upper}]")
    _validate.in_range("N", N, 1.0, 1000.0)
    _validate.in_range("d", d, 2.0, 4.0, low_open=True, high_open=True)
    truncation = _default(truncation, d, N)
    method = truncation.pms_method if method is None else method
    if method not in ("bisection", "brent"):
        raise ValueError(f"method must be 'bisection' or 'brent'; got {method!r}")
    if tol is not None:
        _validate.in_range("tol", tol, 0.0, 1.0, low_open=True)
    _validate.integer("max_steps", max_steps, 3, 10_000)
    for a in (lo, 0.5 * (lo + hi), hi):
        _check_inputs(truncation, family(a), N, d)
    NN, dd = as_float64(float(N)), as_float64(float(d))  # as critical_exponents passes them
    if method == "brent":
        out = _pms_brent(truncation, family, NN, dd, which, lo, hi, tol or 1e-4, max_steps)
        return _raise(out, throw)
    tol = 1e-8 if tol is None else tol
    mid = _solve_concrete(truncation, family(0.5 * (lo + hi)), NN, dd)
    if not bool(mid.result == RESULTS.successful):
        raise ValueError(
            f"no Wilson–Fisher fixed point at the bracket's midpoint a = {0.5 * (lo + hi)}: "
            f"{RESULTS[mid.result]}"
        )
    start = mid.fixed_point.params
    g0, g1 = (
        float(_pms_point(truncation, family, NN, dd, start, which, jnp.asarray(a)))
        for a in (lo, hi)
    )
    if not np.sign(g0) * np.sign(g1) < 0:
        raise ValueError(
            f"d{which}/da does not change sign on [{lower}, {upper}] (d{which}/da = {g0:.3g}, "
            f"{g1:.3g}); choose a bracket around the PMS point"
        )
    out = _pms_solve(
        truncation,
        family,
        NN,
        dd,
        start,
        which,
        jnp.asarray(lo),
        jnp.asarray(hi),
        bool(g0 > 0),
        tol,
        max_steps,
    )
    return _raise(out, throw)


def plot_nu_vs_d(regulator=None, Ns=(1, 2, 3, 4, 10, 100), ds=None, *, path=None, truncation=None):
    """Plot ν(d) for several N from one vmapped :func:`exponents_table` call.

    Returns ``(fig, table)``; saves the figure to ``path`` if given.

    Example:
        >>> fig, tab = frg.plot_nu_vs_d(Ns=(1, 4), ds=[3.0, 3.5])
        >>> tab.nu.shape
        (2, 2)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .._flow.regulators import Litim

    regulator = Litim() if regulator is None else regulator
    ds = np.linspace(2.5, 3.95, 30) if ds is None else np.asarray(ds, dtype=float)
    tab = exponents_table(regulator, Ns, ds, truncation=truncation)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i, n in enumerate(Ns):
        ok = np.asarray(tab.result == RESULTS.successful)[i]
        ax.plot(ds[ok], np.asarray(tab.nu[i])[ok], label=f"N = {n:g}")
    ax.plot(ds, 1.0 / (ds - 2.0), "k--", lw=0.8, label="N = ∞: 1/(d−2)")
    ax.set_ylim(0.45, 2.2)
    ax.set_xlabel("d")
    ax.set_ylabel("ν")
    ax.set_title(f"LPA, {type(regulator).__name__} regulator")
    ax.legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig, tab
