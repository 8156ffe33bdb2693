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

Several processes: ``--processes P`` starts P local processes that compute the sweep
together (``jax.distributed`` on 127.0.0.1); on a cluster, start one ``frg sweep ...
--distributed`` per process (coordinator, process count and id from ``--coordinator``,
``--num-processes``, ``--process-id`` or the environment, e.g. SLURM). See
docs/sweeps.md.

Example:
    frg sweep flow --param kappa=0.01:0.08:64 --lam 1 --k-ir 1e-3 --out DIR [--resume] --json
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from frg import (
    SweepAborted,
    finish_processes,
    init_processes,
    param_grid,
    parse_param_spec,
    sweep,
)

from ._common import progress, progress_bar, run_command, show_progress

SWEEPABLE = ("flow", "exponents", "cascade")

#: how a local process of ``--processes P`` is started: the parsed options as JSON
_WORKER = "import sys; from frg.cli.sweep import worker_main; sys.exit(worker_main(sys.argv[1]))"


_DESCRIPTION = """\
Sweep scalar options of a command over a parameter grid: one compiled, vmapped
function per chunk of points, chunks written to --out as they finish (resumable with
--resume), optionally computed by several processes (--processes P, or --distributed
on a cluster).

  frg sweep flow --param kappa=0.01:0.08:64 --out runs/kappa --json
  frg sweep exponents --param N=1:4:4 --param d=2.8:3.8:6 --out runs/nu --json

Each TARGET takes its command's options plus the sweep options; see
`frg sweep TARGET --help` and docs/sweeps.md."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="sweep scalar options of a command over a parameter grid (vmap, resumable)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    targets = p.add_subparsers(dest="target", metavar="TARGET")
    for name in SWEEPABLE:
        mod = importlib.import_module(f"frg.cli.{name}")
        tp = targets.add_parser(name, help=f"sweep `frg {name}`")
        mod.add_arguments(tp)
        _add_sweep_arguments(tp)
        tp.set_defaults(_run=_run_sweep, _module=mod)


def _add_sweep_arguments(tp) -> None:
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
    g = tp.add_argument_group("several processes (docs/sweeps.md)")
    g.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="P",
        help="start P local processes that compute the sweep together (default 1)",
    )
    g.add_argument(
        "--distributed",
        action="store_true",
        help="this is one of several processes started elsewhere (e.g. by srun); the "
        "options below, or the environment (SLURM, Open MPI, JAX_COORDINATOR_ADDRESS), "
        "say how they meet",
    )
    g.add_argument("--coordinator", default=None, metavar="HOST:PORT", help="process 0's address")
    g.add_argument("--num-processes", type=int, default=None, help="number of processes")
    g.add_argument("--process-id", type=int, default=None, help="this process's id, 0..P-1")
    g.add_argument(
        "--heartbeat-timeout",
        type=int,
        default=30,
        metavar="S",
        help="seconds without a heartbeat after which a process counts as dead (default 30)",
    )
    tp.add_argument("--json", action="store_true", help="print exactly one JSON object")
    tp.add_argument(
        "--progress", action="store_true", help="progress bar on stderr also under --json"
    )


def _distributed(args) -> bool:
    return bool(
        getattr(args, "distributed", False)
        or getattr(args, "coordinator", None)
        or getattr(args, "num_processes", None) is not None
        or getattr(args, "process_id", None) is not None
    )


def _run_sweep(args: argparse.Namespace) -> dict:
    if getattr(args, "target", None) is None:
        raise ValueError("frg sweep needs a TARGET, one of: " + ", ".join(SWEEPABLE))
    nproc = getattr(args, "processes", 1)
    dist = _distributed(args)
    _check_process_options(args, nproc, dist)
    pid = 0
    if dist:  # before anything uses JAX
        pid, nproc = init_processes(
            args.coordinator,
            args.num_processes,
            args.process_id,
            heartbeat_timeout=args.heartbeat_timeout,
        )
    try:
        axes = dict(parse_param_spec(s) for s in args.param)
        for name in axes:
            if not hasattr(args, name):
                raise ValueError(f"--param {name}: `frg {args.target}` has no option --{name}")
        params = param_grid(**axes)
        check = getattr(args._module, "check_params", None)
        if check is not None:
            check(args, params)
        vmap_size = _vmap_size(args)
        if nproc > 1 and not dist:
            return _launch(args)
        try:
            out = _sweep_here(args, axes, params, vmap_size, show=show_progress(args) and pid == 0)
        except SweepAborted as exc:
            progress(f"process {pid}: {exc}")
            out = {"status": "error", "error": str(exc), "out": str(args.out)}
        out["processes"] = nproc
        if dist:
            out["process_id"] = pid
        return out
    finally:
        if dist:
            finish_processes()


def _check_process_options(args, nproc: int, dist: bool) -> None:
    """Bad ``--processes`` / ``--distributed`` options, before anything is started."""
    if nproc < 1:
        raise ValueError(f"--processes must be an integer >= 1; got {nproc}")
    if nproc > 1 and dist:
        raise ValueError(
            "--processes starts local processes; --distributed, --coordinator, "
            "--num-processes and --process-id join processes started elsewhere: use one way"
        )
    hb = getattr(args, "heartbeat_timeout", 30)
    if hb < 2:
        raise ValueError(f"--heartbeat-timeout must be an integer >= 2 (seconds); got {hb}")
    n, i = getattr(args, "num_processes", None), getattr(args, "process_id", None)
    if n is not None and n < 1:
        raise ValueError(f"--num-processes must be an integer >= 1; got {n}")
    if i is not None and (i < 0 or (n is not None and i >= n)):
        top = "--num-processes - 1" if n is None else str(n - 1)
        raise ValueError(f"--process-id must be in [0, {top}]; got {i}")
    coord = getattr(args, "coordinator", None)
    if coord is not None and not coord.rpartition(":")[2].isdigit():
        raise ValueError(f"--coordinator must look like HOST:PORT; got {coord!r}")


def _vmap_size(args):
    vmap_size = {"auto": "auto", "all": None}.get(args.vmap_size, args.vmap_size)
    if vmap_size not in ("auto", None):
        try:
            vmap_size = int(vmap_size)
        except ValueError:
            raise ValueError(
                f"--vmap-size must be an integer >= 1, 'all' or 'auto'; got {args.vmap_size!r}"
            ) from None
    return vmap_size


def _sweep_here(args, axes, params, vmap_size, show: bool) -> dict:
    """The sweep in this process (alone, or as one of several that share the work)."""
    t0 = time.perf_counter()
    n = len(next(iter(params.values())))
    records: list = [None] * n
    completed = failed = 0
    computed: list = []
    outcomes: dict[str, dict[str, int]] = {}
    groups = _groups(args, params, n)
    for label, idx in groups:
        sub = {k: v[idx] for k, v in params.items()}
        fn, task = args._module.sweep_function(args, sub)
        desc = f"sweep {args.target} {label}".rstrip()
        shown = argparse.Namespace(json=True, progress=show)  # process 0 shows all processes'
        with progress_bar(shown, total=len(idx), desc=desc, unit="pt") as bar:

            def tell(done, total, bar=bar):
                bar.update(done - bar.n)

            res = sweep(
                fn,
                sub,
                chunk_size=args.chunk_size,
                out=Path(args.out) / label if label else args.out,
                resume=args.resume,
                task=f"{args.target}:{task}",
                progress=tell,
                vmap_size=vmap_size,
                cpu_options=getattr(args._module, "SWEEP_CPU_OPTIONS", False),
            )
        for i, rec in zip(idx, res.records(), strict=True):
            records[i] = rec
        completed += int(np.sum(res.completed))
        failed += int(np.sum(res.failed))
        for key, names in res.enums.items():  # e.g. frg.RESULTS: points per outcome
            counts = outcomes.setdefault(key, {})
            for i in np.asarray(res.outputs[key]).reshape(-1):
                counts[names[i]] = counts.get(names[i], 0) + 1
        computed += [f"{label}/{c}" for c in res.computed_chunks] if label else res.computed_chunks
    keys = getattr(args._module, "SWEEP_OUTPUTS", None)
    if keys is not None:
        records = [{k: r[k] for k in (*axes, *keys, "result") if k in r} for r in records]
    out = {
        "target": args.target,
        "params": list(axes),
        "n_points": n,
        "completed": completed,
        "failed": failed,
        "computed_chunks": computed,
        **({"outcomes": outcomes} if outcomes else {}),
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


# --------------------------------------------------------------------- local processes
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(args: argparse.Namespace) -> dict:
    """Start ``--processes`` local processes on 127.0.0.1, wait for them, merge."""
    nproc = args.processes
    t0 = time.perf_counter()
    port = _free_port()
    spec = {k: v for k, v in vars(args).items() if not k.startswith("_")}
    import jax

    env = dict(os.environ, JAX_ENABLE_X64="1")  # the CLI's settings for its processes
    if jax.config.jax_compilation_cache_dir:
        env["JAX_COMPILATION_CACHE_DIR"] = jax.config.jax_compilation_cache_dir
    procs, outs = [], []
    try:
        for i in range(nproc):
            child = dict(spec, processes=1, coordinator=f"127.0.0.1:{port}")
            child.update(num_processes=nproc, process_id=i, json=True)
            child["progress"] = show_progress(args) and i == 0
            f = tempfile.TemporaryFile(mode="w+")
            outs.append(f)
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", _WORKER, json.dumps(child)],
                    stdin=subprocess.DEVNULL,
                    stdout=f,
                    env=env,
                )
            )
        codes, stragglers = _wait(procs, grace=2 * args.heartbeat_timeout + 30)
    finally:
        for p in procs:  # only on an exception (e.g. Ctrl-C) are any still running
            if p.poll() is None:
                p.kill()
                p.wait()
    reports = []
    for f in outs:
        f.seek(0)
        lines = f.read().strip().splitlines()
        f.close()
        try:
            reports.append(json.loads(lines[-1]) if lines else None)
        except json.JSONDecodeError:
            reports.append(None)
    if all(c == 0 for c in codes):
        out = dict(reports[0])
        by_process = [r["computed_chunks"] for r in reports]
        out["computed_chunks"] = sorted({c for cs in by_process for c in cs}, key=_chunk_key)
        out["chunks_by_process"] = by_process
        out["processes"] = nproc
        out.pop("process_id", None)
        out["seconds"] = time.perf_counter() - t0
        return out
    bad = [r for r in reports if r and r.get("status") == "error" and "processes" not in r]
    if bad and all(c == 2 for c in codes):  # bad input, refused by every process alike
        raise ValueError(bad[0]["error"])
    msg = _failure_message(codes, reports, stragglers, args.out)
    progress(msg)
    return {
        "status": "error",
        "error": msg,
        "processes": nproc,
        "exit_codes": codes,
        "out": str(args.out),
    }


def _wait(procs, grace: float) -> tuple[list[int], list[int]]:
    """Exit codes of all ``procs``; after one fails, the others get ``grace`` seconds to
    stop on their own (they detect the failure), then they are killed (``stragglers``)."""
    first_failure = None
    stragglers = []
    while True:
        codes = [p.poll() for p in procs]
        if all(c is not None for c in codes):
            return codes, stragglers
        if first_failure is None and any(c not in (None, 0) for c in codes):
            first_failure = time.monotonic()
        if first_failure is not None and time.monotonic() - first_failure > grace:
            for i, p in enumerate(procs):
                if p.poll() is None:
                    p.kill()
                    stragglers.append(i)
        time.sleep(0.1)


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _failure_message(codes, reports, stragglers, out) -> str:
    nproc = len(codes)
    crashed, reported = [], []  # first the processes that died, then what the others said
    for i, (code, rep) in enumerate(zip(codes, reports, strict=True)):
        if i in stragglers:
            crashed.append(f"process {i} of {nproc} did not stop and was killed")
        elif code != 0 and rep and rep.get("error"):
            reported.append(f"process {i} of {nproc} {_describe(code)}: {rep['error']}")
        elif code != 0:
            crashed.append(f"process {i} of {nproc} {_describe(code)}")
    parts = crashed + reported
    saved = sum(1 for _ in Path(out).rglob("chunk-*.npz")) if Path(out).is_dir() else 0
    return (
        "; ".join(parts) + f". {saved} finished chunk file(s) are saved in {out}: run the "
        "same command with --resume (any --processes) to finish the sweep"
    )


def _chunk_key(c):
    label, _, index = str(c).rpartition("/")
    return (label, int(index))


def worker_main(spec: str) -> int:
    """One of the local processes of ``frg sweep ... --processes P`` (``spec``: the
    parsed options as JSON, with this process's coordinator, count and id; the
    compilation cache of the launching command comes in ``JAX_COMPILATION_CACHE_DIR``).

    The CLI owns this process as it owns ``frg`` itself (:func:`frg.cli.console`):
    float64, and equinox's run-time checks without host callbacks, so that the compiled
    chunk program can be written to and read from that cache (with the checks raising
    through a callback, JAX caches none of the solves)."""
    import jax

    from . import _error_checks_without_callbacks

    _error_checks_without_callbacks()
    jax.config.update("jax_enable_x64", True)
    args = argparse.Namespace(**json.loads(spec))
    args._module = importlib.import_module(f"frg.cli.{args.target}")
    args._run = _run_sweep
    return run_command(args, None)
