"""Parameter sweeps: vmap over a grid, chunked, sharded over devices, resumable.

A sweep maps a pure function ``fn(params) -> outputs`` (``params`` a dict of scalar
parameters, ``outputs`` a dict of arrays) over a list of parameter points. Points
are processed in chunks; each chunk is one compiled call of
``jit(vmap(fn))`` whose batch axis is sharded over all devices of a 1-D
``jax.sharding.Mesh`` (``NamedSharding(mesh, P("batch"))``). With ``out=DIR`` every
finished chunk is written atomically to ``DIR/chunk-XXXXX.npz`` next to a manifest
``DIR/sweep.json`` that records the frg version, the parameter names and values,
the chunk size and a fingerprint of the task, so a sweep survives Ctrl-C or a kill
with valid files, and ``resume=True`` computes only the missing chunks. A manifest
or chunk that does not belong to the requested sweep is refused with a clear error.

Several processes (one machine or a cluster): after :func:`frg.init_processes` in every
process, the same ``sweep(...)`` call in each of them computes one sweep together: the
chunks are dealt to the processes through ``jax.distributed`` (each chunk once), each
process computes its chunks on its own devices and writes them to ``out``, and every
process returns the merged result, bit for bit that of one process
(``frg/_sweep/_processes.py``, docs/sweeps.md).

Example:
    >>> params = frg.param_grid(kappa=np.linspace(0.01, 0.08, 64))
    >>> res = frg.sweep(lambda p: {"y": p["kappa"] ** 2}, params, chunk_size=16)
    >>> res.outputs["y"].shape
    (64,)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import equinox as eqx
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import _validate
from .._compile import jit_with_options
from . import _processes
from ._checkpoint import (
    FORMAT,
    CheckpointError,
    chunk_path,
    fingerprint,
    load_chunk,
    open_manifest,
    write_chunk,
)

__all__ = ["SweepResult", "param_grid", "parse_param_spec", "sweep", "CheckpointError"]


@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`sweep`.

    Attributes:
        params: parameter name → values, one entry per point, in input order.
        outputs: output name → array with the point axis first.
        completed: boolean mask, point finished (computed now or loaded).
        failed: boolean mask, ``outputs[status_key] != 0`` or a results enumeration
            (e.g. :class:`frg.RESULTS`) other than ``successful`` (recorded, not dropped).
        computed_chunks: chunk indices computed in this call by this process (others
            were loaded, or computed by the other processes).
        processes: number of processes that computed this call's chunks.
        enums: output name → member names, for outputs that were an
            ``equinox.Enumeration`` (such as ``frg.RESULTS``); ``outputs`` holds their
            integer index.
    """

    params: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    completed: np.ndarray
    failed: np.ndarray
    computed_chunks: list[int] = field(default_factory=list)
    processes: int = 1
    enums: dict[str, list[str]] = field(default_factory=dict)

    def records(self) -> list[dict]:
        """One dict per point: its parameters and outputs (point order); an enumeration
        output by its member name (e.g. ``"successful"``)."""
        n = len(self.completed)
        out = []
        for i in range(n):
            rec = {k: v[i].item() for k, v in self.params.items()}
            for k, v in self.outputs.items():
                vi = v[i]
                if k in self.enums and np.ndim(vi) == 0:
                    rec[k] = self.enums[k][int(vi)]
                else:
                    rec[k] = vi.item() if np.ndim(vi) == 0 else vi.tolist()
            out.append(rec)
        return out


def param_grid(**axes) -> dict[str, np.ndarray]:
    """Cartesian product of 1-D parameter axes, flattened (last axis fastest).

    Args:
        **axes: name → 1-D values (finite).

    Returns:
        name → flattened array, one entry per point.

    Example:
        >>> frg.param_grid(N=[1, 2], d=[3.0, 3.5])
        {'N': array([1., 1., 2., 2.]), 'd': array([3. , 3.5, 3. , 3.5])}
    """
    if not axes:
        raise ValueError("param_grid needs at least one parameter axis")
    arrays = []
    for name, vals in axes.items():
        arr = _validate.finite(name, vals).reshape(-1)
        if arr.size == 0:
            raise ValueError(f"parameter {name} has no values")
        arrays.append(arr)
    mesh = np.meshgrid(*arrays, indexing="ij")
    return {name: m.reshape(-1) for name, m in zip(axes, mesh, strict=True)}


def parse_param_spec(spec: str) -> tuple[str, np.ndarray]:
    """Parse ``"NAME=start:stop:count"`` (linear, inclusive) or ``"NAME=v1,v2,..."``.

    Args:
        spec: the ``--param`` string (``-`` in NAME becomes ``_``).

    Returns:
        ``(name, values)`` with finite float64 values.

    Example:
        >>> frg.parse_param_spec("kappa=0.01:0.05:5")
        ('kappa', array([0.01, 0.02, 0.03, 0.04, 0.05]))
    """
    if "=" not in spec:
        raise ValueError(
            f"--param must look like NAME=start:stop:count or NAME=v1,v2; got {spec!r}"
        )
    name, rng = spec.split("=", 1)
    name = name.strip().replace("-", "_")
    try:
        if ":" in rng:
            start, stop, count = rng.split(":")
            n = _validate.integer(f"--param {name} count", float(count), 1)
            vals = np.linspace(float(start), float(stop), n)
        else:
            vals = np.array([float(v) for v in rng.split(",")])
    except ValueError as exc:
        if "count" in str(exc):
            raise
        raise ValueError(
            f"--param must look like NAME=start:stop:count or NAME=v1,v2; got {spec!r}"
        ) from exc
    return name, _validate.finite(f"--param {name}", vals)


def _chunk_impl(fn, batch, vmap_size, mesh):
    """``fn`` over one chunk, compiled by JAX's own jit cache once per (fn, shapes, sharding).

    ``vmap_size=None``: ``vmap(fn)(batch)`` with the batch axis sharded over ``mesh``.
    Otherwise each device runs ``lax.map(fn, local, batch_size=vmap_size)`` over its
    own shard (``shard_map``): members are evaluated ``vmap_size`` at a time, in
    sequence, so adaptive solves with different step counts do not run in lockstep.

    ``fn`` is a static argument of ``filter_jit`` (its array leaves, if it is a pytree,
    are traced), so a second sweep of the same function — a resume, or new parameter
    values of the same chunk shape — reuses the compiled chunk.
    """
    if vmap_size is None:
        return jax.vmap(fn)(batch)
    size = None if vmap_size == 1 else vmap_size
    mapped = lambda b: jax.lax.map(fn, b, batch_size=size)  # noqa: E731
    ndev = mesh.devices.size
    if ndev == 1:
        return mapped(batch)
    # check_vma=False: diffrax loops mix per-device (varying) and replicated values in
    # their cond branches, which the manual-axis type check refuses; nothing here
    # communicates between devices, so the check has nothing to protect
    try:
        return jax.shard_map(
            mapped,
            mesh=mesh,
            in_specs=PartitionSpec("batch"),
            out_specs=PartitionSpec("batch"),
            check_vma=False,
        )(batch)
    except ValueError:
        # lineax's linear solves (inside optimistix: the fixed-point sweeps) refuse
        # shard_map's manual axes ("pytree does not match out_structure"). Then: rows,
        # one per device, of a vmap partitioned over the mesh, and lax.map along each
        # row one member at a time. Not a batched vmap: jaxlib's batched LAPACK kernels
        # (getrf of a vmapped solve) split the batch over the intra-op thread pool and
        # wait for it, and with one host device per core every pool thread is already
        # running a device's program — the sweep deadlocks (gdb: every device
        # thread in jax::ParallelBatchMap → BlockingCounter::Wait)
        rows = jax.tree.map(lambda a: a.reshape(ndev, -1, *a.shape[1:]), batch)
        spec = NamedSharding(mesh, PartitionSpec("batch"))
        rows = jax.lax.with_sharding_constraint(rows, spec)
        out = jax.vmap(lambda r: jax.lax.map(fn, r))(rows)
        return jax.tree.map(lambda a: a.reshape(-1, *a.shape[2:]), out)


# the chunk program, with frg's XLA:CPU options where sweep(cpu_options=True)
_chunk = jit_with_options(eqx.filter_jit, _chunk_impl)


def _interleave(size: int, ndev: int) -> np.ndarray:
    """Chunk positions → member indices so that device j gets members j, j + ndev, ….

    Each device then holds a sample of the whole chunk (balanced work when the cost
    varies along the parameter grid, e.g. symmetric vs broken phase), and neighbouring
    members of a device's shard are still neighbours on the grid (similar step counts
    inside one ``vmap``). 2 forced host devices, 512 mixed-phase B1 flows: 270 → 498
    flows/s (docs/sweeps.md).
    """
    return np.arange(size).reshape(-1, ndev).T.ravel()


def _resolve_vmap_size(vmap_size, devices) -> int | None:
    if vmap_size == "auto":  # CPU: small vmaps of neighbouring members (docs/sweeps.md)
        return _CPU_VMAP_SIZE if devices[0].platform == "cpu" else None
    if vmap_size is None:
        return None
    if isinstance(vmap_size, str):
        raise ValueError(f'vmap_size must be None, "auto" or an integer >= 1; got {vmap_size!r}')
    return _validate.integer("vmap_size", vmap_size, 1)


def _version() -> str:
    from .. import __version__

    return __version__


#: ``vmap_size="auto"`` on CPU devices: members per ``vmap`` (B1 mixed-phase flows on one
#: core: 1 → 115, 8 → 232–256, one vmap of 512 → 99 flows/s; docs/sweeps.md)
_CPU_VMAP_SIZE = 8


def sweep(
    fn: Callable[[dict], dict],
    params: Mapping[str, np.ndarray],
    *,
    chunk_size: int | None = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    task: str = "",
    devices: list | None = None,
    status_key: str = "status",
    progress: bool | Callable[[int, int], None] = True,
    vmap_size: int | str | None = None,
    cpu_options: bool = False,
) -> SweepResult:
    """Map ``fn`` over parameter points with ``jit(vmap)``, chunked, sharded and checkpointed.

    Args:
        fn: pure, vmappable ``fn(params: dict[str, scalar]) -> dict[str, array]``.
        params: name → 1-D array of values, all the same length (see :func:`param_grid`).
        chunk_size: points per compiled call (default: all points); rounded up to a
            multiple of the device count. Memory scales with it.
        out: directory for checkpoints (``None``: keep in memory only; required with
            several processes, which all read and write it).
        resume: continue a sweep found in ``out`` (else an existing one is refused).
        task: a string identifying what ``fn`` computes (e.g. the fixed options); it
            enters the fingerprint so a checkpoint of another task is refused.
        devices: devices to shard each chunk over (default ``jax.devices()``; in a
            sweep over several processes, :func:`frg.init_processes`, this process's
            ``jax.local_devices()``: chunks are dealt to the processes, and each
            process's chunks are sharded over its own devices).
        status_key: output holding an integer status (0 = success) to mark failures.
        progress: print progress to stderr, or a callback ``(done, total)``.
        vmap_size: how many members of a chunk are evaluated together by ``vmap``.
            ``None`` (default): the whole chunk, one ``vmap``. An integer ``b ≥ 1``:
            each device maps over its shard ``b`` members at a time
            (``lax.map(..., batch_size=b)``), so members whose adaptive solves take
            different step counts do not run in lockstep (on a CPU, mixed-phase LPA
            flows run ~2.3× faster with ``b = 8`` than in one ``vmap``,
            docs/sweeps.md). ``"auto"``: 8 on CPU devices, else ``None``. Members are
            dealt to devices in turn (device j gets j, j + ndev, …), so every device
            gets a share of cheap and expensive points.
        cpu_options: compile the chunk program with frg's XLA:CPU options
            (``frg/_compile.py``; no effect on other backends): for functions built on
            frg's flows and fixed-point searches, which then compile up to 2–4× faster
            and run faster, with the same results. Off by default: other kernels (the
            packed Ising sampler) run slower with them. The CLI's ``flow`` and
            ``exponents`` targets set it.

    Returns:
        :class:`SweepResult` with parameters, outputs, completed and failed masks.

    Example:
        >>> res = frg.sweep(lambda p: {"y": p["x"] ** 2}, frg.param_grid(x=[1.0, 2.0, 3.0]),
        ...                 progress=False)
        >>> res.outputs["y"].tolist(), bool(res.completed.all())
        ([1.0, 4.0, 9.0], True)
    """
    if not params:
        raise ValueError("params must name at least one parameter")
    pnames = list(params)
    pvals = {k: _validate.finite(k, params[k]).reshape(-1) for k in pnames}
    n = len(pvals[pnames[0]])
    if any(len(v) != n for v in pvals.values()):
        raise ValueError("params: every parameter needs the same number of points")
    group = _processes.group_for_sweep()
    if group is None:
        devices = list(jax.devices()) if devices is None else list(devices)
    else:
        if out is None:
            raise ValueError(
                "out: a sweep over several processes needs a checkpoint directory that "
                "every process can read and write"
            )
        devices = list(jax.local_devices()) if devices is None else list(devices)
        if any(d.process_index != jax.process_index() for d in devices):
            raise ValueError(
                "devices: each process of a multi-process sweep computes on its own "
                "devices (a subset of jax.local_devices())"
            )
    ndev = len(devices)
    vmap_size = _resolve_vmap_size(vmap_size, devices)
    cs = n if chunk_size is None else _validate.integer("chunk_size", chunk_size, 1)
    cs = -(-min(cs, n) // ndev) * ndev
    nchunks = -(-n // cs)
    fp = fingerprint(task, pvals, cs)
    sizes = [min((c + 1) * cs, n) - c * cs for c in range(nchunks)]
    outdir = Path(out) if out is not None else None
    chunks: list[dict[str, np.ndarray] | None] = [None] * nchunks
    enums: dict[str, list[str]] = {}

    def load(c):
        chunks[c], meta = load_chunk(chunk_path(outdir, c), fp, c, sizes[c])
        enums.update(meta.get("enums", {}))

    def setup() -> dict:
        """Open or check the manifest, load the finished chunks: the chunks to compute."""
        if outdir is None:
            return {"todo": list(range(nchunks)), "loaded": 0}
        manifest = {
            "format": FORMAT,
            "frg_version": _version(),
            "task": task,
            "fingerprint": fp,
            "chunk_size": cs,
            "n_points": n,
            "n_chunks": nchunks,
            "params": {k: v.tolist() for k, v in pvals.items()},
        }
        open_manifest(outdir, manifest, resume)
        todo = []
        for c in range(nchunks):
            if chunk_path(outdir, c).exists():
                load(c)
            else:
                todo.append(c)
        return {"todo": todo, "loaded": n - sum(sizes[c] for c in todo)}

    info = setup() if group is None else group.agree(fp, setup)
    todo = info["todo"]

    mesh = Mesh(np.array(devices), ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))
    order = _interleave(cs, ndev)  # position p of a batch holds member order[p]
    back = np.argsort(order)
    pid = 0 if group is None else group.pid
    report = progress if callable(progress) else None
    t0 = time.perf_counter()
    computed: list[int] = []
    done = info["loaded"]

    chunk = _chunk if cpu_options else _chunk.plain

    def compute(c: int) -> None:
        lo = c * cs
        idx = np.minimum(lo + order, n - 1)  # pad with the last point
        batch = {k: jax.device_put(v[idx], sharding) for k, v in pvals.items()}
        res = {}
        for k, a in chunk(fn, batch, vmap_size, mesh).items():
            names = _enum_names(a)
            if names is not None:  # an equinox.Enumeration (frg.RESULTS): its index
                enums[k] = names
                a = a._value
            res[k] = np.asarray(a)[back][: sizes[c]]
        chunks[c] = res
        computed.append(c)
        if outdir is not None:
            meta = {"fingerprint": fp, "chunk": c, "frg_version": _version(), "process": pid}
            meta["enums"] = {k: v for k, v in enums.items() if k in res}
            write_chunk(chunk_path(outdir, c), res, meta)

    def tell(done):
        if report is not None:
            report(done, n)
        elif progress:
            el = time.perf_counter() - t0
            print(f"[frg sweep] {done}/{n} points ({el:.1f} s)", file=sys.stderr, flush=True)

    if done:
        tell(done)  # the points loaded from the checkpoint
    if group is None:
        for c in todo:
            compute(c)
            done += sizes[c]
            tell(done)
    else:
        try:
            while True:
                group.check()  # stop if another process failed or died
                k = group.claim()
                if k >= len(todo):
                    break
                compute(todo[k])
                tell(info["loaded"] + group.add_done(sizes[todo[k]]))
            group.finish()
        except _processes.SweepAborted:
            raise
        except BaseException as exc:  # the others stop at their next check
            group.fail(f"{type(exc).__name__}: {exc}")
            raise
        for c in range(nchunks):
            if chunks[c] is None:
                load(c)

    keys = list(chunks[0]) if chunks else []
    outputs = {k: np.concatenate([ch[k] for ch in chunks]) for k in keys}
    completed = np.ones(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    if status_key in outputs and status_key not in enums:
        failed |= np.asarray(outputs[status_key]).reshape(n, -1).any(axis=1)
    for k, names in enums.items():
        ok = names.index("successful") if "successful" in names else 0
        failed |= (np.asarray(outputs[k]) != ok).reshape(n, -1).any(axis=1)
    nproc = 1 if group is None else group.n
    return SweepResult(pvals, outputs, completed, failed, computed, nproc, enums)


def _enum_names(a) -> list[str] | None:
    """Member names of an ``equinox.Enumeration`` item (e.g. ``frg.RESULTS``), else None."""
    enum = getattr(a, "_enumeration", None)
    names = getattr(enum, "_name_to_item", None)
    return None if names is None or not hasattr(a, "_value") else list(names)
