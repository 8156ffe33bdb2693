"""Regulators R_k(p) = Z p^2 r(p^2/k^2).

Every regulator is an immutable pytree (an ``equinox.Module``) holding its numeric
parameters, so a parameter can be traced through ``jit``, batched by ``vmap`` and
differentiated by ``grad``. The one abstract method is the dimensionless shape
``g(y) = y r(y) = R_k(p)/(Z k^2)``; everything else (``R_k``, ``∂_t R_k``) follows
from it, with ``∂_t R_k`` obtained by automatic differentiation:

    ∂_t R_k(p) = k ∂_k [Z k^2 g(p^2/k^2)] = 2 Z k^2 [g(y) − y g'(y)] = −2 Z k^2 y^2 r'(y).

Conventions (``docs/theory/conventions.md``): t = ln(k/Λ), y = p^2/k^2.

Reference: C. Wetterich, Phys. Lett. B 301, 90 (1993); D. F. Litim, Phys. Rev. D 64,
105007 (2001) (optimised regulator); T. R. Morris, Int. J. Mod. Phys. A 9, 2411
(1994) (power-law regulators).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "AbstractRegulator",
    "ThresholdClosedForm",
    "Litim",
    "Exponential",
    "Wetterich",
    "PowerLaw",
    "Mass",
    "CustomShape",
    "REGULATORS",
    "make_regulator",
]


@eqx.filter_jit
def _g_at(regulator, y):
    """``regulator.g(y)`` as one compiled call (used by the eager input checks)."""
    return regulator.g(y)


class ThresholdClosedForm(NamedTuple):
    """Closed-form threshold integrals of a regulator: one node at ``q = y + g = 1``.

    In units of the measure ``2 v_d``:

        ℓ_n^{(0)}(w) = 2 v_d c(d)/(1 + w)^n,   ℓ_n^{(η)}(w) = 2 v_d c_eta(d)/(1 + w)^n,
        m_{2,2}^d(w) = m22/(1 + w)^2   (independent of η),

    (definitions in ``frg.threshold_rule``, ``frg.eta_rule``, ``frg.m22``).
    """

    c: Callable
    c_eta: Callable
    m22: float


class AbstractRegulator(eqx.Module):
    """A momentum-space regulator ``R_k(p) = Z p^2 r(y)``, ``y = p^2/k^2``.

    Contract for subclasses:

    - implement :meth:`g`, the dimensionless ``g(y) = y r(y) = R_k/(Z k^2)``, as a
      ``jnp``-traceable function of an array ``y >= 0`` that is finite (``g(0)``
      may be ``+inf`` only for regulators that diverge in the IR, e.g. power law
      with n > 1), non-negative, non-increasing, and differentiable almost
      everywhere (``jax.grad`` of it gives ``∂_t R``);
    - override :meth:`support` to return ``y_max`` when ``g(y) = 0`` for
      ``y >= y_max`` (compact support, e.g. Litim's 1.0); threshold quadratures
      then integrate over ``[0, y_max]`` only;
    - override :meth:`decay` to return the power p with ``r(y) ~ y^{-p}`` at large
      y when it is finite; the threshold integrals in d dimensions converge only
      if p > d/2, which :meth:`check` enforces;
    - hold every numeric parameter as a field, so it is a pytree leaf;
    - optionally override :meth:`check` with the closed-form validity domain of its
      parameters (built-ins do: a sampled check costs a compiled call per solve);
    - optionally override :meth:`threshold_closed_form` when the threshold integrals
      have a closed form (Litim); the quadrature is used otherwise.

    ``__call__(p2, k, Z)`` returns ``R_k(p)``, :meth:`dt` returns ``∂_t R_k(p)``.
    """

    def support(self) -> float | None:
        """``y_max`` if ``g(y) = 0`` for ``y >= y_max`` (compact support), else ``None``."""
        return None

    def decay(self) -> float:
        """Power p with ``r(y) ~ y^{-p}`` at large y (``inf``: faster than any power)."""
        return float("inf")

    def threshold_closed_form(self) -> ThresholdClosedForm | None:
        """Closed forms of the threshold integrals (:class:`ThresholdClosedForm`), or
        ``None`` (the default: double-exponential quadrature)."""
        return None

    @abc.abstractmethod
    def g(self, y):
        """Dimensionless regulator ``y r(y) = R_k(p)/(Z k^2)`` at ``y = p^2/k^2``."""

    def shape(self, y):
        """Shape function ``r(y) = g(y)/y``."""
        return self.g(y) / y

    def dt_g(self, y):
        """``g(y) − y g'(y) = −y^2 r'(y)``, so that ``∂_t R_k = 2 Z k^2 dt_g(y)``.

        Computed by forward-mode autodiff of :meth:`g`, elementwise.
        """
        y = jnp.asarray(y)
        gy, dgy = jax.jvp(self.g, (y,), (jnp.ones_like(y),))
        return gy - y * dgy

    def __call__(self, p2, k, Z=1.0):
        """``R_k(p) = Z k^2 g(p^2/k^2)``."""
        return Z * k**2 * self.g(p2 / k**2)

    def dt(self, p2, k, Z=1.0):
        """``∂_t R_k(p) = k ∂_k R_k(p)`` at fixed p (Z held fixed)."""
        return 2.0 * Z * k**2 * self.dt_g(p2 / k**2)

    # ------------------------------------------------------------------ checks
    def check(self, d: float) -> None:
        """Raise ``ValueError`` if this regulator cannot regulate a flow in ``d`` dimensions.

        Checks, on concrete values: the shape is finite and non-negative on
        (0, 10], it vanishes at large y, and it decays fast enough
        (``r(y) ~ y^{-p}`` with p > d/2) for the threshold integrals to converge.
        Runs eagerly (no compilation), also when called inside a ``jit`` trace.
        """
        with jax.enable_x64(True), jax.ensure_compile_time_eval():
            ys = np.geomspace(1e-3, 10.0, 41)
            # one compiled evaluation of g at all check points (eager op-by-op dispatch
            # cost ~0.4 ms (Litim) to 2.4 ms (exponential) per call of this check)
            gall = np.asarray(_g_at(self, jnp.asarray(np.concatenate([ys, [1e3, 1e4, 1e5, 1.0]]))))
            gy = gall[:41]
            name = type(self).__name__
            if not np.all(np.isfinite(gy)) or np.any(gy < 0):
                raise ValueError(
                    f"regulator {name}: g(y) = y r(y) must be finite and >= 0 for y in (0, 10]"
                )
            if self.support() is not None:
                return
            big = gall[41:44] / np.array([1e3, 1e4, 1e5])
            r1 = float(gall[44])
            if not np.all(np.isfinite(big)) or abs(big[2]) > 1e-3 * max(abs(r1), 1e-300):
                raise ValueError(
                    f"regulator {name}: the shape r(y) must vanish at large y (valid: r(y) -> 0 "
                    f"as y -> inf); got r(1e5)/r(1) = {big[2] / max(abs(r1), 1e-300):.3g}"
                )
            p = self.decay()
            if not np.isfinite(p) and big[1] > 0 and big[2] > 0:
                p = float(np.log(big[1] / big[2]) / np.log(10.0))
            _require_decay(self, p, d)


def _require_decay(regulator, p, d):
    """``ValueError`` unless the decay power p of ``r(y) ~ y^{-p}`` exceeds d/2."""
    if p <= d / 2:
        raise ValueError(
            f"regulator {type(regulator).__name__}: r(y) ~ y^-{p:g} at large y makes the "
            f"threshold integrals diverge in d = {d:g}; valid: decay power p > d/2 = {d / 2:g}"
        )


def _require_positive(regulator, name, value):
    """``ValueError`` unless the concrete parameter ``value`` is finite and > 0."""
    v = np.asarray(value, dtype=np.float64)
    if not (np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError(
            f"regulator {type(regulator).__name__}: {name} must be finite and > 0; got {value}"
        )


class Litim(AbstractRegulator):
    """Litim's optimised regulator ``r(y) = (1/y − 1) θ(1 − y)``.

    ``R_k(p) = Z (k^2 − p^2) θ(k^2 − p^2)``, ``∂_t R_k = 2 Z k^2 θ(k^2 − p^2)``.

    Example:
        >>> reg = frg.Litim()
        >>> float(reg(0.25, 1.0)), float(reg.dt(0.25, 1.0))   # k^2 - p^2, 2 k^2
        (0.75, 2.0)

    Reference: D. F. Litim, Phys. Lett. B 486, 92 (2000); Phys. Rev. D 64, 105007 (2001).
    """

    def support(self):
        return 1.0

    def check(self, d: float) -> None:
        """Valid in every d > 0: no parameters, g = max(1 − y, 0) has compact support."""

    def threshold_closed_form(self) -> ThresholdClosedForm:
        """``ℓ_n^d = (4v_d/d)/(1+w)^n``, ``ℓ_n^{(η)} = ℓ_n^d/(d+2)``, ``m_{2,2} = 1/(1+w)^2``
        (y + g = 1 and g − y g' = 1 on the support y < 1, where g/2 = (1 − y)/2)."""
        return ThresholdClosedForm(
            c=lambda d: 2.0 / d, c_eta=lambda d: 2.0 / (d * (d + 2.0)), m22=1.0
        )

    def g(self, y):
        return jnp.maximum(1.0 - y, 0.0)


class Exponential(AbstractRegulator):
    """Exponential regulator ``R_k(p) = a Z k^2 exp(−p^2/k^2)``: ``g(y) = a e^{−y}``.

    The form used in the precision derivative-expansion literature (Balog et al. 2019,
    De Polsi et al. 2020, Chlebicki 2024); ``a`` (α in those papers) is the prefactor
    varied for the principle of minimal sensitivity. ``r(y) = a e^{−y}/y``.

    Example:
        >>> float(frg.Exponential(a=2.0).g(0.0))
        2.0

    Reference: I. Balog, H. Chaté, B. Delamotte, M. Marohnic, N. Wschebor, Phys. Rev.
    Lett. 123, 240604 (2019); A. Chlebicki, arXiv:2404.18707 (2024).
    """

    a: float | jax.Array = 1.0

    def check(self, d: float) -> None:
        """Valid in every d > 0 for finite a > 0 (r decays like e^{-y})."""
        _require_positive(self, "a", self.a)

    def g(self, y):
        return self.a * jnp.exp(-jnp.asarray(y))


class Wetterich(AbstractRegulator):
    """Wetterich's exponential family ``r(y) = a / (exp(y^b) − 1)``.

    ``g(y) = a y / (exp(y^b) − 1)``; at y → 0, ``g → a`` for b = 1. The default
    ``a = b = 1`` is the standard exponential regulator ``R_k = p^2/(e^{p^2/k^2} − 1)``.
    ``a`` is the prefactor used for principle-of-minimal-sensitivity studies.

    Example:
        >>> float(frg.Wetterich(a=2.0).g(0.0))   # = a
        2.0

    Reference: C. Wetterich, Phys. Lett. B 301, 90 (1993); D. F. Litim, Nucl. Phys. B
    631, 128 (2002).
    """

    a: float | jax.Array = 1.0
    b: float | jax.Array = 1.0

    def check(self, d: float) -> None:
        """Valid in every d > 0 for finite a > 0, b > 0 (r decays like e^{-y^b})."""
        _require_positive(self, "a", self.a)
        _require_positive(self, "b", self.b)

    def g(self, y):
        y = jnp.asarray(y)
        safe = jnp.where(y > 0, y, 1.0)
        z = safe**self.b
        # a y e^{-z} / (1 - e^{-z}), z = y^b: no overflow (and finite derivatives) at large
        # y; below z = 1e-3 the Laurent series y (1/z - 1/2 + z/12) (error ~ z^3/720).
        small = z < 1e-3
        zl = jnp.where(small, 1.0, z)
        zs = jnp.where(small, z, 1e-3)
        series = safe ** (1.0 - self.b) - 0.5 * safe + safe * zs / 12.0
        val = self.a * jnp.where(small, series, safe * jnp.exp(-zl) / -jnp.expm1(-zl))
        # y -> 0 limit: a y / y^b -> a for b = 1 (+inf for b > 1, 0 for b < 1).
        lim = jnp.where(self.b == 1.0, self.a, jnp.where(self.b > 1.0, jnp.inf, 0.0))
        return jnp.where(y > 0, val, lim)


class PowerLaw(AbstractRegulator):
    """Power-law regulator ``r(y) = y^{-n}``, i.e. ``R_k(p) = Z k^{2n} p^{2 − 2n}``.

    The seed paper (S. N. Shah, "Variational approach to unsupervised learning",
    arXiv:1904.10869, eq. 24) writes
    ``R_k(p) = (k/p)^{2n}``, which is dimensionless; multiplying by ``p^2`` (the
    only way to give it the dimension of a mass squared that keeps the shape
    ``(k/p)^{2n}`` and the ``Z p^2 r(y)`` form) gives this regulator, Morris's
    power-law family. n = 1 is the mass (Callan–Symanzik) regulator. The threshold
    integrals converge in d dimensions for n > d/2 (the seed's n ∈ ℕ, n ≥ 2 in d = 3).
    ``g(0) = +inf`` for n > 1: the zero mode is frozen.

    Reference: T. R. Morris, Int. J. Mod. Phys. A 9, 2411 (1994).
    """

    n: float | jax.Array = 2.0

    def decay(self):
        return float(np.asarray(self.n))

    def check(self, d: float) -> None:
        """Valid for finite n > d/2 (convergent threshold integrals)."""
        _require_positive(self, "n", self.n)
        _require_decay(self, float(np.min(np.asarray(self.n, dtype=np.float64))), d)

    def g(self, y):
        y = jnp.asarray(y)
        safe = jnp.where(y > 0, y, 1.0)
        return jnp.where(y > 0, safe ** (1.0 - self.n), jnp.where(self.n > 1, jnp.inf, 1.0))


class Mass(AbstractRegulator):
    """Mass-like (Callan–Symanzik) regulator ``R_k = Z k^2`` (``r(y) = 1/y``).

    UV-finite threshold integrals only for d < 2; it is the natural regulator of
    the zero-dimensional model.

    Reference: C. G. Callan, Phys. Rev. D 2, 1541 (1970); K. Symanzik, Commun.
    Math. Phys. 18, 227 (1970).
    """

    def decay(self):
        return 1.0

    def check(self, d: float) -> None:
        """Valid for d < 2 (decay power 1 > d/2)."""
        _require_decay(self, 1.0, d)

    def g(self, y):
        return jnp.ones_like(jnp.asarray(y, dtype=float))


class CustomShape(AbstractRegulator):
    """A user-supplied shape ``r(y)``, e.g. ``CustomShape(lambda y: jnp.exp(-y**2) / y)``.

    ``r`` must be ``jnp``-traceable. Give ``support=y_max`` if ``r`` vanishes for
    ``y >= y_max``. ``params`` is passed as ``r(y, params)`` when not ``None``, so
    that numeric parameters of a custom family are pytree leaves.
    """

    r: Callable = eqx.field(static=True)
    params: object = None
    y_support: float | None = eqx.field(static=True, default=None)

    def support(self):
        return self.y_support

    def g(self, y):
        y = jnp.asarray(y)
        rv = self.r(y) if self.params is None else self.r(y, self.params)
        return y * rv


REGULATORS: dict[str, Callable[..., AbstractRegulator]] = {
    "litim": Litim,
    "exponential": Exponential,
    "wetterich": Wetterich,
    "power": PowerLaw,
    "mass": Mass,
}


def make_regulator(name: str, **params) -> AbstractRegulator:
    """Regulator by name (a key of :data:`REGULATORS`), for the CLI."""
    try:
        cls = REGULATORS[name]
    except KeyError:
        raise ValueError(f"regulator must be one of {sorted(REGULATORS)}; got {name!r}") from None
    return cls(**params)
