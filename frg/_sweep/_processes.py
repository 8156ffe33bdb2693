"""One sweep computed by several JAX processes, coordinated through ``jax.distributed``.

The processes share nothing but the coordination service of ``jax.distributed`` (a
key-value store with atomic counters, and liveness from heartbeats) and the checkpoint
directory. Process 0 opens or checks the manifest and publishes the list of chunks still
to compute; every process then claims the next chunk from an atomic counter
(``key_value_increment``), so each chunk is computed by exactly one process and the
work balances itself (a process with cheap chunks takes more of them). A process writes
only the chunks it computed; the result is merged from the files. No collective runs
between processes, so the chunks are the same compiled computation on each process's
own devices, and the merged result is bit for bit that of one process.

Failures: the service runs with recoverable tasks, so a process that dies does not abort
the others through JAX's runtime. Each process also beats a counter in the store from a
background thread (every quarter of ``heartbeat_timeout``); the others check the
counters between chunks and while they wait, and when a process that has not finished
stops beating for ``heartbeat_timeout`` seconds, or when a process reports an error
(``Group.fail``), they stop with :class:`SweepAborted`.
(``get_live_nodes`` of the service is not used for this: it is a barrier among the live
processes, so a process computing a long chunk would hold up the others' checks.)
If process 0, which hosts the service, dies, JAX's runtime terminates the others at
once ("the JAX distributed service detected fatal errors"). Either way the finished
chunks are on disk and ``resume=True`` completes the sweep with any number of processes.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time

import jax
from jax.errors import JaxRuntimeError

from .. import _validate

__all__ = ["SweepAborted", "finish_processes", "init_processes"]

_POLL = 0.1  # seconds between polls of the key-value store
_LIVENESS_EVERY = 1.0  # seconds between liveness checks while waiting


class SweepAborted(RuntimeError):
    """A sweep over several processes stopped because another process died."""


def _state():
    from jax._src import distributed

    return distributed.global_state


def init_processes(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    *,
    heartbeat_timeout: int = 30,
    initialization_timeout: int = 300,
) -> tuple[int, int]:
    """Join a sweep over several processes: ``jax.distributed.initialize`` with
    recoverable tasks (a dead process is reported to the others, which stop cleanly).

    Call it first, before anything else uses JAX, in every process; then every process
    runs the same :func:`frg.sweep` call with the same ``out`` directory (a file system
    all processes share). Arguments left ``None`` are taken from the environment as
    ``jax.distributed.initialize`` detects them (``JAX_COORDINATOR_ADDRESS``, SLURM,
    Open MPI; see docs/sweeps.md).

    Args:
        coordinator_address: ``host:port`` of process 0 (it runs the service there).
        num_processes: number of processes P.
        process_id: this process's id, 0 ≤ id < P.
        heartbeat_timeout: seconds without a heartbeat after which a process counts as
            dead (integer ≥ 2).
        initialization_timeout: seconds to wait for all processes to connect.

    Returns:
        ``(process_id, num_processes)``.

    Example (in each of two processes, with ``I`` = 0 and 1):
        >>> frg.init_processes("127.0.0.1:12345", 2, I)  # doctest: +SKIP
        >>> res = frg.sweep(fn, params, out="shared/dir")  # doctest: +SKIP
        >>> frg.finish_processes()  # doctest: +SKIP
    """
    heartbeat_timeout = _validate.integer("heartbeat_timeout", heartbeat_timeout, 2)
    initialization_timeout = _validate.integer("initialization_timeout", initialization_timeout, 1)
    if num_processes is not None:
        num_processes = _validate.integer("num_processes", num_processes, 1)
    if process_id is not None:
        process_id = _validate.integer("process_id", process_id, 0)
        if num_processes is not None and process_id >= num_processes:
            raise ValueError(
                f"process_id must be in [0, num_processes - 1] = [0, {num_processes - 1}]; "
                f"got {process_id}"
            )
    from jax._src import distributed

    # scoped: read once, when process 0 creates the service
    flag = getattr(distributed, "_ENABLE_RECOVERABILITY", None)
    with flag(True) if flag is not None else contextlib.nullcontext():
        jax.distributed.initialize(
            coordinator_address,
            num_processes,
            process_id,
            initialization_timeout=initialization_timeout,
            heartbeat_timeout_seconds=heartbeat_timeout,
            shutdown_timeout_seconds=max(10, 2 * heartbeat_timeout),
        )
    state = _state()
    _GROUP.clear()
    _GROUP.update(heartbeat_timeout=heartbeat_timeout, sweeps=0)
    _GROUP["beat"] = _Beat(state.client, state.process_id, heartbeat_timeout / 4.0)
    return state.process_id, state.num_processes


#: per-process bookkeeping of the joined group: heartbeat timeout, sweeps started (for
#: distinct key names), the heartbeat thread, when each process's beat counter last moved
_GROUP: dict = {}


class _Beat:
    """A daemon thread that increments ``frg-beat/<pid>`` every ``interval`` seconds."""

    def __init__(self, client, pid: int, interval: float):
        self.stop = threading.Event()

        def run():
            while not self.stop.is_set():
                try:
                    client.key_value_increment(f"frg-beat/{pid}", 1)
                except JaxRuntimeError:
                    return
                self.stop.wait(interval)

        self.thread = threading.Thread(target=run, name="frg-sweep-beat", daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join()


def finish_processes(timeout: float = 10.0) -> None:
    """Leave the group joined with :func:`init_processes` (``jax.distributed.shutdown``).

    Process 0 hosts the coordination service: it first waits until the other processes
    have left (their ``frg-exit`` key, then their disconnection), so that none loses the
    service while it still shuts down. A process silent for ``timeout`` seconds, or for
    the group's ``heartbeat_timeout`` if shorter, counts as gone (silent since the last
    beat any watch of this process saw: one found dead during a sweep is not waited for
    again).
    """
    state = _state()
    if state.client is None:
        return
    beat = _GROUP.pop("beat", None)
    if beat is not None:
        beat.close()
    client, pid, n = state.client, state.process_id, state.num_processes
    if pid != 0:
        with contextlib.suppress(JaxRuntimeError):
            client.key_value_set(f"frg-exit/{pid}", "1")
    else:
        watch = _Watch(client, n, min(timeout, _GROUP.get("heartbeat_timeout", 30)))
        others = set(range(1, n))
        while others:
            try:
                others -= set(_ids(client, "frg-exit/"))
                others -= set(watch.stale(others))
            except JaxRuntimeError:
                break
            time.sleep(_POLL)
        # GetAliveTasks is a barrier among the live tasks: it returns once the others
        # have disconnected (in a thread: never wait longer than ``timeout``)
        t = threading.Thread(target=lambda: client.get_live_nodes(list(range(n))), daemon=True)
        t.start()
        t.join(timeout)
    jax.distributed.shutdown()
    _GROUP.clear()


def _ids(client, prefix: str) -> dict[int, int]:
    """``{process id: integer value}`` of the keys ``<prefix><id>``."""
    return {int(k.rsplit("/", 1)[1]): int(v) for k, v in client.key_value_dir_get(prefix)}


class _Watch:
    """Tracks the beat counters of the other processes: who has been silent how long."""

    def __init__(self, client, n: int, timeout: float):
        self.client, self.n, self.timeout = client, n, timeout
        # shared by every watch of the joined group: when each counter last moved
        self.seen: dict[int, tuple[int, float]] = _GROUP.setdefault("seen", {})

    def stale(self, among) -> list[int]:
        """Processes of ``among`` whose counter has not moved for ``self.timeout`` seconds."""
        now = time.monotonic()
        beats = _ids(self.client, "frg-beat/")
        out = []
        for q in among:
            count = beats.get(q, -1)
            last = self.seen.get(q)
            if last is None or last[0] != count:
                self.seen[q] = (count, now)
            elif now - last[1] > self.timeout:
                out.append(q)
        return out


def group_for_sweep():
    """A :class:`Group` for the next sweep call, or ``None`` without several processes."""
    state = _state()
    if state.client is None or state.num_processes < 2:
        return None
    return Group(state.client, state.process_id, state.num_processes)


class Group:
    """The processes computing one sweep call (every process makes the same calls in
    the same order, so the n-th sweep of each process has the same key names)."""

    def __init__(self, client, process_id: int, num_processes: int):
        self.client = client
        self.pid = process_id
        self.n = num_processes
        _GROUP["sweeps"] = _GROUP.get("sweeps", 0) + 1
        self.ns = f"frg-sweep/{_GROUP['sweeps']}"
        self.watch = _Watch(client, num_processes, _GROUP.get("heartbeat_timeout", 30))

    # ------------------------------------------------------------------ store
    def _get(self, key: str) -> str | None:
        try:
            return self.client.key_value_try_get(key)
        except JaxRuntimeError:
            return None

    def _finished(self) -> set[int]:
        return set(_ids(self.client, f"{self.ns}/finished/"))

    def check(self) -> None:
        """:class:`SweepAborted` if another process failed, or stopped beating before
        it finished."""
        try:
            failed = self.client.key_value_dir_get(f"{self.ns}/error/")
            others = set(range(self.n)) - {self.pid} - self._finished()
            dead = sorted(self.watch.stale(others))
        except JaxRuntimeError as exc:
            raise SweepAborted(f"lost the coordination service of process 0: {exc}") from None
        if failed:
            key, msg = failed[0]
            why = f"process {key.rsplit('/', 1)[1]} of {self.n} failed ({msg})"
        elif dead:
            which = ", ".join(map(str, dead))
            why = f"process {which} of {self.n} stopped (no heartbeat for {self.watch.timeout:g} s)"
        else:
            return
        raise SweepAborted(
            f"{why}; process {self.pid} stops too. The chunks finished so far are saved: "
            "run the same sweep again with --resume (resume=True), with any number of "
            "processes"
        )

    def fail(self, message: str) -> None:
        """Tell the other processes that this one failed (they stop at their next check)."""
        with contextlib.suppress(JaxRuntimeError):
            self.client.key_value_set(f"{self.ns}/error/{self.pid}", message)

    def _wait(self, key: str) -> str:
        last = time.monotonic()
        while (value := self._get(key)) is None:
            if time.monotonic() - last > _LIVENESS_EVERY:
                self.check()
                last = time.monotonic()
            time.sleep(_POLL)
        return value

    # ------------------------------------------------------------------ protocol
    def agree(self, fp: str, setup) -> dict:
        """Process 0 runs ``setup() -> dict`` (manifest, chunks to compute) and publishes
        it; the others receive it. A failing setup raises the same error everywhere."""
        key = f"{self.ns}/setup"
        if self.pid == 0:
            try:
                info = setup()
            except ValueError as exc:
                self.client.key_value_set(key, json.dumps({"error": str(exc)}))
                raise
            self.client.key_value_set(key, json.dumps({"fingerprint": fp, **info}))
            return info
        msg = json.loads(self._wait(key))
        if "error" in msg:
            from ._checkpoint import CheckpointError

            raise CheckpointError(f"process 0: {msg['error']}")
        if msg.pop("fingerprint") != fp:
            self.fail("started with a different sweep than process 0")
            raise ValueError(
                f"process {self.pid} was started with a different sweep than process 0 "
                "(task, parameters or chunk size differ): start every process with the "
                "same arguments"
            )
        return msg

    def claim(self) -> int:
        """Index (0, 1, …) of the next unclaimed entry of the to-do list."""
        return self.client.key_value_increment(f"{self.ns}/next", 1) - 1

    def add_done(self, points: int) -> int:
        """Record ``points`` more points computed; the total computed by all processes."""
        return self.client.key_value_increment(f"{self.ns}/done", points)

    def finish(self) -> None:
        """Mark this process finished and wait for all the others (or a failure)."""
        self.client.key_value_set(f"{self.ns}/finished/{self.pid}", "1")
        last = time.monotonic()
        while len(self._finished()) < self.n:
            if time.monotonic() - last > _LIVENESS_EVERY:
                self.check()
                last = time.monotonic()
            time.sleep(_POLL)
