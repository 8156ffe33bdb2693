"""Rodas5P, a linearly implicit (Rosenbrock–Wanner) stepper for tridiagonal stiff systems.

A diffrax solver (``diffrax.AbstractAdaptiveSolver``): diffrax keeps the step-size
control, the step loop and the saving; this module supplies one step. diffrax 0.7.2
(the release on the package index this project installs from) has no Rosenbrock
method; later diffrax releases ship ``diffrax.Rodas5p`` with a lineax linear solve of
the dense Jacobian. Ours takes the tridiagonal Jacobian by one coloured JVP and
solves with it in O(n) (:func:`tridiagonal_factor`: one Thomas factorisation per
step on the CPU, ``lax.linalg.tridiagonal_solve`` on accelerators), which is what
makes it fast for the LPA flow on a grid. When the project can require a diffrax
with Rosenbrock solvers, compare with ``diffrax.Rodas5p(linear_solver=
lineax.Tridiagonal())`` and keep the faster.

One step (Hairer & Wanner IV.7, the form of Steinebach 2023): with
``W = I/(h γ) − J(t0, y0)``, for the stages i = 1…8

    W u_i = f(t0 + α_i h, y0 + Σ_j a_ij u_j) + Σ_j (c_ij / h) u_j + h γ_i ∂_t f(t0, y0),

``y1 = y0 + Σ_{j<8} a_8j u_j + u_8`` (order 5) and the error estimate ``u_8``: the
method is stiffly accurate, stage 8 is evaluated at the embedded order-4 solution
``y0 + Σ_{j<8} a_8j u_j``. (Taking that embedded solution as the result, as the
coefficient vectors of one diffrax development version read, gives order 4: measured
slopes 4.0 against 5.0 with the last increment, tests/test_rosenbrock.py.) No Newton
iterations: eight linear solves with one matrix per step, so no inner
``while_loop`` (on a GPU no host synchronisation inside a step, under ``vmap`` no
member waits for another's Newton iterations).

Reference: G. Steinebach, "Construction of Rosenbrock–Wanner method Rodas5P and
numerical benchmarks within the Julia Differential Equations package", BIT Numer.
Math. 63, 27 (2023); E. Hairer, G. Wanner, Solving ODEs II, Springer (1996), IV.7.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, NamedTuple

import diffrax
import equinox as eqx
import jax
import jax.lax as lax
import jax.numpy as jnp
import numpy as np


class _Tableau(NamedTuple):
    """A stiffly accurate Rodas tableau in the W-transformed form (module docstring).

    ``a[i-1]``, ``c[i-1]``: the coefficients of stage i ≥ 1 (0-based) on u_0…u_{i−1};
    ``alpha[i]``, ``gamma[i]``: its time node and ``∂_t f`` weight; ``gamma[0]`` is the
    diagonal γ of ``W = I/(hγ) − J``. The last row of ``a`` is the embedded solution
    (without the last increment), so ``y1 = y0 + Σ_j a[-1][j] u_j + u_last`` and the
    error estimate is ``u_last``.
    """

    order: int
    a: tuple
    c: tuple
    alpha: tuple
    gamma: tuple


# Rodas5P (Steinebach 2023, Table 2, in the W-transformed form above); rows 6–8 of a
# are row 5 followed by ones (stiffly accurate: stage 8 sits at the embedded solution)
_A5 = (
    (3.0,),
    (2.849394379747939, 0.45842242204463923),
    (-6.954028509809101, 2.489845061869568, -10.358996098473584),
    (2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641),
    (
        -7.502846399306121,
        2.561846144803919,
        -11.627539656261098,
        -0.18268767659942256,
        0.030198172008377946,
    ),
)
RODAS5P = _Tableau(
    order=5,
    a=_A5 + (_A5[4] + (1.0,), _A5[4] + (1.0, 1.0)),
    c=(
        (-14.155112264123755,),
        (-17.97296035885952, -2.859693295451294),
        (147.12150275711716, -1.41221402718213, 71.68940251302358),
        (165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306),
        (
            24.854864614690072,
            -3.0009227002832186,
            47.4931110020768,
            5.5814197821558125,
            -0.6610691825249471,
        ),
        (
            30.91273214028599,
            -3.1208243349937974,
            77.79954646070892,
            34.28646028294783,
            -19.097331116725623,
            -28.087943162872662,
        ),
        (
            37.80277123390563,
            -3.2571969029072276,
            112.26918849496327,
            66.9347231244047,
            -40.06618937091002,
            -54.66780262877968,
            -9.48861652309627,
        ),
    ),
    alpha=(0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716)
    + (0.4288403609558664, 1.0, 1.0, 1.0),
    gamma=(0.21193756319429014, -0.42387512638858027, -0.3384627126235924)
    + (1.8046452872882734, 2.325825639765069, 0.0, 0.0, 0.0),
)

# Rodas4 (Hairer & Wanner IV.7, Table 7.2 in the same form); rows 5–6 of a as above
_A4 = (
    (1.544,),
    (0.9466785280815826, 0.2557011698983284),
    (3.314825187068521, 2.896124015972201, 0.9986419139977817),
    (1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895),
)
RODAS4 = _Tableau(
    order=4,
    a=_A4 + (_A4[3] + (1.0,),),
    c=(
        (-5.6688,),
        (-2.430093356833875, -0.2063599157091915),
        (-0.1073529058151375, -9.594562251023355, -20.47028614809616),
        (7.496443313967647, -10.24680431464352, -33.99990352819905, 11.7089089320616),
        (
            8.083246795921522,
            -7.981132988064893,
            -31.52159432874371,
            16.31930543123136,
            -6.058818238834054,
        ),
    ),
    alpha=(0.0, 0.386, 0.21, 0.63, 1.0, 1.0),
    gamma=(0.25, -0.1043, 0.1035, -0.0362000000000002, 0.0, 0.0),
)


def _combine(coeffs, us):
    """``Σ_j coeffs[j] us[j]`` (Python numbers times arrays: folded into one fusion)."""
    return sum(c * u for c, u in zip(coeffs, us, strict=True))


def tridiagonal_jvp(f, y, t=None):
    """``f(y)``, the three diagonals of ``∂f/∂y`` (and ``∂f/∂t``) from one vmapped JVP.

    ``f`` must have a tridiagonal Jacobian. Seed c (c = 0, 1, 2) has ones at the
    indices ≡ c (mod 3), so row i of ``J·seed_c`` is the single band entry ``J[i, j]``
    with j ≡ c. With ``t`` given, ``f`` is ``f(t, y)`` and a fourth seed (1 in t, 0
    in y) gives ``∂f/∂t`` in the same pass.

    Returns:
        ``(f, lower, diag, upper)`` or, with ``t``, ``(f, lower, diag, upper, f_t)``;
        ``lower[0] = upper[-1] = 0`` (the layout of ``lax.linalg.tridiagonal_solve``).
    """
    n = y.shape[0]
    colour = np.arange(n) % 3  # NumPy constants: XLA folds them
    seeds = jnp.asarray(colour[None, :] == np.arange(3)[:, None], dtype=y.dtype)
    if t is None:
        fx, cols = jax.vmap(lambda v: jax.jvp(f, (y,), (v,)), out_axes=(None, 0))(seeds)
    else:
        seeds = jnp.concatenate([seeds, jnp.zeros((1, n), y.dtype)])
        tseeds = jnp.asarray([0.0, 0.0, 0.0, 1.0], dtype=y.dtype)
        fx, cols = jax.vmap(lambda tv, v: jax.jvp(f, (t, y), (tv, v)), out_axes=(None, 0))(
            tseeds, seeds
        )
    # pick the band entries by masks (elementwise, fuses with the JVPs): J[i, i+1] is
    # in column colour (i+1) mod 3, J[i, i−1] in (i+2) mod 3; zero outside the matrix
    inside = {0: True, 1: np.arange(n) < n - 1, 2: np.arange(n) > 0}
    pick = lambda shift: sum(
        jnp.where(((colour + shift) % 3 == c) & inside[shift], cols[c], 0.0) for c in range(3)
    )
    out = (fx, pick(2), pick(0), pick(1))
    return out if t is None else out + (cols[3],)


def tridiagonal_factor(dl, dd, du, *, method=None):
    """Factor a tridiagonal matrix once; returns ``solve(b)`` for several right-hand sides.

    ``method="thomas"``: LU without pivoting (Thomas algorithm): one factor sweep, then
    one loop per solve (down and up sweep) — the CPU default: XLA:CPU compiles each
    small loop into one native loop, and one factorisation serves all eight Rodas5P stages
    (B1, 128 cells: 0.8× the time of re-factoring with LAPACK ``gtsv`` in every stage,
    which also costs three operand copies per call, docs/lpa.md "Speed").
    ``method="gtsv"``: ``lax.linalg.tridiagonal_solve`` (LAPACK/cuSPARSE ``gtsv``,
    partial pivoting) in every solve — the default on accelerators, where a sequential
    scan is slow (docs/sweeps.md "On a GPU"). Without pivoting the factorisation needs
    nonzero pivots: true for ``W = I/(hγ) − J`` of a diffusion-dominated flow; a zero
    or tiny pivot gives a non-finite or large increment, which the step rejects.

    Args:
        dl, dd, du: sub-, main and super-diagonal (length n; ``dl[0] = du[-1] = 0``).
        method: ``"thomas"``, ``"gtsv"`` or None (by ``jax.default_backend()``).
    """
    if method is None:
        method = "thomas" if jax.default_backend() == "cpu" else "gtsv"
    if method == "gtsv":
        return lambda b: lax.linalg.tridiagonal_solve(dl, dd, du, b[:, None])[:, 0]
    if method != "thomas":
        raise ValueError(f"method must be 'thomas', 'gtsv' or None; got {method!r}")

    def factor(m_prev, row):  # m_i = d_i − l_i c_{i−1},  l_i = a_i/m_{i−1}
        a, d, c_prev = row
        lo = a / m_prev
        m = d - lo * c_prev
        return m, (lo, 1.0 / m)

    dl = dl.at[0].set(0.0)  # l_0 = 0 whatever the caller put there
    c_prev = jnp.concatenate([jnp.zeros(1, dd.dtype), du[:-1]])
    _, (lo, inv_m) = lax.scan(factor, jnp.ones((), dd.dtype), (dl, dd, c_prev))

    n = dd.shape[0]
    du = du.at[-1].set(0.0)  # x_n = 0 whatever the caller put there

    def sweep(j, buf):
        # j < n: down, L y = b (y_i = b_i − l_i y_{i−1}); j ≥ n: up, U x = y
        # (x_i = (y_i − c_i x_{i+1})/m_i), in place in one buffer. One loop per solve,
        # not two scans: half the loop launches per stage (B1: −15 %). The neighbour is
        # read back from the buffer (clamped index; l_0 = c_{n−1} = 0 null it at the
        # ends), so the only loop state is the buffer: no scalar carry to initialise.
        down = j < n
        i = jnp.where(down, j, 2 * n - 1 - j)
        nb = buf[jnp.clip(jnp.where(down, i - 1, i + 1), 0, n - 1)]
        v = jnp.where(down, buf[i] - lo[i] * nb, (buf[i] - du[i] * nb) * inv_m[i])
        return buf.at[i].set(v)

    def solve(b):
        return lax.fori_loop(0, 2 * n, sweep, b)

    return solve


class _AbstractRodas(diffrax.AbstractAdaptiveSolver):
    """One stiffly accurate Rosenbrock (Rodas) step with a tridiagonal ``∂f/∂y``.

    Subclasses set ``tableau`` (:class:`_Tableau`); everything else — one coloured JVP
    for ``J`` and ``∂f/∂t``, one factorisation of ``W`` per step, one tridiagonal
    solve per stage, the admissibility test — is shared. See :class:`Rodas5P`.
    """

    term_structure: ClassVar = diffrax.AbstractTerm
    interpolation_cls: ClassVar = diffrax.ThirdOrderHermitePolynomialInterpolation.from_k
    admissible: Callable | None = eqx.field(static=True, default=None)
    linear_solve: str | None = eqx.field(static=True, default=None)

    tableau: ClassVar[_Tableau]  # set by each concrete solver

    def order(self, terms):
        del terms
        return self.tableau.order

    def init(self, terms, t0, t1, y0, args):
        del terms, t0, t1, y0, args
        return None

    def func(self, terms, t0, y0, args):
        return terms.vf(t0, y0, args)

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        del solver_state, made_jump
        h = terms.contr(t0, t1)
        f = lambda t, y: terms.vf(t, y, args)
        f0, lower, diag, upper, ft = tridiagonal_jvp(f, y0, t0)
        # W = I/(h γ) − J
        tab = self.tableau
        dl, dd, du = -lower, 1.0 / (h * tab.gamma[0]) - diag, -upper
        us = []
        solve = tridiagonal_factor(dl, dd, du, method=self.linear_solve)
        for i in range(len(tab.alpha)):
            if i == 0:
                b = f0
            else:
                vf = f(t0 + tab.alpha[i] * h, y0 + _combine(tab.a[i - 1], us))
                b = vf + _combine(tab.c[i - 1], us) / h
            if tab.gamma[i] != 0.0:
                b = b + (h * tab.gamma[i]) * ft
            us.append(solve(b))
        # stiffly accurate: the last stage is evaluated at the embedded solution
        # y0 + Σ_j a_sj u_j; the result adds u_s, which is the error estimate
        err = us[-1]
        y1 = y0 + _combine(tab.a[-1], us[:-1]) + err
        if self.admissible is None:
            ok = jnp.all(jnp.isfinite(y1))  # a non-finite last increment makes y1 non-finite
        else:  # contract: also False for a non-finite y1 (one reduction, not two)
            ok = self.admissible(t1, y1, args)
        y1 = jnp.where(ok, y1, y0)
        err = jnp.where(ok, err, jnp.inf)
        f1 = jnp.where(ok, f(t1, y1), f0)  # for the dense output
        dense_info = dict(y0=y0, y1=y1, k=jnp.stack([h * f0, h * f1]))
        return y1, err, dense_info, None, diffrax.RESULTS.successful


class Rodas5P(_AbstractRodas):
    """Rodas5P for ODEs ``dy/dt = f(t, y)`` on a 1-D array with tridiagonal ``∂f/∂y``.

    Order 5 (embedded 4), L-stable, stiffly accurate; one coloured JVP and eight
    tridiagonal solves per step, no nonlinear iterations. Use with any diffrax step
    size controller (``diffrax.PIDController``). A step whose result is not finite, or
    not ``admissible``, is reported with an infinite error, so the controller rejects
    it and shrinks ``dt``.

    Args:
        admissible: optional ``admissible(t, y, args) -> bool``: whether a step's
            result may be accepted; it must be False for a non-finite ``y`` (it then
            replaces the default test, ``all(isfinite(y))``). A linearly implicit
            step does not see a nonlinear blow-up within the step (no Newton
            iteration fails, as it would in an ESDIRK); this check rejects such a
            result (the LPA flow: a state deep in the continued threshold function
            below the pole, frg/lpa.py).
        linear_solve: ``"thomas"`` (factor ``W`` once per step), ``"gtsv"`` (LAPACK
            or cuSPARSE in every stage) or None (Thomas on the CPU, gtsv otherwise):
            :func:`tridiagonal_factor`.

    Example:
        >>> import diffrax, jax.numpy as jnp
        >>> term = diffrax.ODETerm(lambda t, y, a: -50.0 * (y - jnp.cos(t)))
        >>> sol = diffrax.diffeqsolve(term, Rodas5P(), 0.0, 1.0, 0.01, jnp.zeros(3),
        ...     stepsize_controller=diffrax.PIDController(rtol=1e-8, atol=1e-10))

    Reference: Steinebach, BIT Numer. Math. 63, 27 (2023).
    """

    tableau: ClassVar[_Tableau] = RODAS5P
    #: (pcoeff, icoeff) of the default step control of :func:`frg.solve_flow`
    pid_coefficients: ClassVar[tuple[float, float]] = (0.0, 0.7)


class Rodas4(_AbstractRodas):
    """Rodas4: order 4 (embedded 3), L-stable, stiffly accurate, six stages.

    Same arguments and step as :class:`Rodas5P` with six tridiagonal solves and five
    evaluations of f per step instead of eight and seven (~20 % less per step on the
    LPA flow); it takes more steps in a symmetric-phase flow and fewer in a deep
    broken phase (docs/lpa.md, "Steppers").

    Reference: E. Hairer, G. Wanner, Solving ODEs II, Springer (1996), IV.7 (RODAS4).
    """

    tableau: ClassVar[_Tableau] = RODAS4
    #: (pcoeff, icoeff) of the default step control of :func:`frg.solve_flow`
    pid_coefficients: ClassVar[tuple[float, float]] = (0.0, 0.8)
