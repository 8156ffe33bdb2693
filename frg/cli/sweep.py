"""``frg sweep TARGET``: sweep any scalar option of a sweepable command over a grid.

A command module is sweepable when it defines

- ``add_arguments(parser)``: its own options (shared with the command itself), and
- ``sweep_function(args, swept) -> (fn, task)``: ``fn(params) -> dict`` a pure,
  vmappable function of the swept scalars (``swept`` maps each swept option's name to
  all its values, for choices that depend on them, such as a grid size; the other
  options are fixed from ``args``), and ``task`` a string naming the fixed options and
  such choices (checkpoint fingerprint);
- optionally ``SWEEP_OUTPUTS``: the output keys to report per point,
  ``check_params(args, params)``: validate every swept value before compiling, and
  ``sweep_groups(args, params) -> [(label, indices)] | None``: split the points into
  groups swept (and checkpointed, in ``--out``/label) one after the other, each with
  its own ``sweep_function`` (e.g. one grid size per group).

Example:
    frg sweep flow --param kappa=0.01:0.08:64 --lam 1 --k-ir 1e-3 --out DIR [--resume] --json
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

import numpy as np

from frg import param_grid, parse_param_spec, sweep

from ._common import progress

SWEEPABLE = ("flow", "exponents", "cascade")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="sweep scalar options of a command over a parameter grid (vmap, resumable)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    targets = p.add_subparsers(dest="target", metavar="TARGET")
    for name in SWEEPABLE:
        mod = importlib.import_module(f"frg.cli.{name}")
        tp = targets.add_parser(name, help=f"sweep `frg {name}`")
        mod.add_arguments(tp)
        tp.add_argument(
            "--param",
            action="append",
            required=True,
            metavar="NAME=start:stop:count",
            help="swept option (repeatable; several give their Cartesian product)",
        )
        tp.add_argument("--out", required=True, help="checkpoint directory")
        tp.add_argument("--resume", action="store_true", help="finish a sweep found in --out")
        tp.add_argument("--chunk-size", type=int, default=256, help="points per compiled call")
        tp.add_argument(
            "--vmap-size",
            default="auto",
            help="members of a chunk evaluated together by vmap: an integer, 'all' (one "
            "vmap per chunk) or 'auto' (8 on CPU devices: small vmaps of neighbouring "
            "points, little lockstep of adaptive solves; else 'all'); see frg.sweep",
        )
        tp.add_argument("--json", action="store_true", help="print exactly one JSON object")
        tp.set_defaults(_run=_run_sweep, _module=mod)


def _run_sweep(args: argparse.Namespace) -> dict:
    if getattr(args, "target", None) is None:
        raise ValueError("frg sweep needs a TARGET, one of: " + ", ".join(SWEEPABLE))
    axes = dict(parse_param_spec(s) for s in args.param)
    for name in axes:
        if not hasattr(args, name):
            raise ValueError(f"--param {name}: `frg {args.target}` has no option --{name}")
    params = param_grid(**axes)
    check = getattr(args._module, "check_params", None)
    if check is not None:
        check(args, params)
    vmap_size = {"auto": "auto", "all": None}.get(args.vmap_size, args.vmap_size)
    if vmap_size not in ("auto", None):
        try:
            vmap_size = int(vmap_size)
        except ValueError:
            raise ValueError(
                f"--vmap-size must be an integer >= 1, 'all' or 'auto'; got {args.vmap_size!r}"
            ) from None
    t0 = time.perf_counter()
    n = len(next(iter(params.values())))
    records: list = [None] * n
    completed = failed = 0
    computed: list = []
    groups = _groups(args, params, n)
    for label, idx in groups:
        sub = {k: v[idx] for k, v in params.items()}
        fn, task = args._module.sweep_function(args, sub)
        name = f"sweep {label} " if label else "sweep "
        res = sweep(
            fn,
            sub,
            chunk_size=args.chunk_size,
            out=Path(args.out) / label if label else args.out,
            resume=args.resume,
            task=f"{args.target}:{task}",
            progress=lambda done, total, name=name: progress(f"{name}{done}/{total} points"),
            vmap_size=vmap_size,
        )
        for i, rec in zip(idx, res.records(), strict=True):
            records[i] = rec
        completed += int(np.sum(res.completed))
        failed += int(np.sum(res.failed))
        computed += [f"{label}/{c}" for c in res.computed_chunks] if label else res.computed_chunks
    keys = getattr(args._module, "SWEEP_OUTPUTS", None)
    if keys is not None:
        records = [{k: r[k] for k in (*axes, *keys) if k in r} for r in records]
    out = {
        "target": args.target,
        "params": list(axes),
        "n_points": n,
        "completed": completed,
        "failed": failed,
        "computed_chunks": computed,
        "out": str(args.out),
        "seconds": time.perf_counter() - t0,
        "results": records,
        "status": "success",
    }
    if groups[0][0]:
        out["groups"] = {label: int(len(idx)) for label, idx in groups}
    return out


def _groups(args, params, n) -> list[tuple[str, np.ndarray]]:
    """``[(label, point indices)]``: points swept by one compiled function each, with
    checkpoints in ``--out``/label. One unlabelled group (checkpoints in ``--out``
    itself) unless the command's ``sweep_groups(args, params)`` splits them (e.g.
    ``frg sweep exponents``: by the grid degree of d)."""
    split = getattr(args._module, "sweep_groups", None)
    groups = split(args, params) if split is not None else None
    return groups or [("", np.arange(n))]
