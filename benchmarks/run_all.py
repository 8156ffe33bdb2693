"""Run every benchmark of the project and write benchmarks/RESULTS.md and RESULTS.json.

Usage: ``python benchmarks/run_all.py [--only NAME ...] [--out-md PATH]``.
Each ``benchmarks/bench_*.py`` is run in its own process with ``--json`` and must
print one JSON object ``{"machine": ..., "rows": [...]}`` on its last stdout line
(see ``benchmarks/_harness.py``). Results are stamped with the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import _fmt, machine  # noqa: E402


def _flatten(row, prefix=""):
    """Nested dicts → dotted keys (one table row)."""
    if not isinstance(row, dict):
        return {prefix or "value": row}
    out = {}
    for k, v in row.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*", help="benchmark names (e.g. lpa ising)")
    ap.add_argument("--out-md", default=str(HERE / "RESULTS.generated.md"))
    ap.add_argument("--out-json", default=str(HERE / "RESULTS.json"))
    args = ap.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    results = {}
    for s in scripts:
        name = s.stem.removeprefix("bench_")
        print(f"[run_all] {name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(s), "--json"], capture_output=True, text=True, cwd=HERE.parent
        )
        lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            results[name] = {"error": proc.stderr.strip().splitlines()[-5:]}
        else:
            parsed = json.loads(lines[-1])
            results[name] = parsed if isinstance(parsed, dict) else {"rows": parsed}
        results[name]["wall_seconds"] = time.perf_counter() - t0
    stamp = machine()
    Path(args.out_json).write_text(json.dumps({"machine": stamp, "results": results}, indent=1))
    md = [f"# Benchmark results (generated {stamp['date']})", "", f"Machine: `{stamp}`", ""]
    for name, res in results.items():
        md += [f"## {name}", ""]
        if "error" in res:
            md += ["FAILED:", "", "```", *res["error"], "```", ""]
            continue
        rows = [_flatten(r) for r in res.get("rows", [])]
        keys = list(dict.fromkeys(k for r in rows for k in r))
        md += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        md += ["| " + " | ".join(_fmt(r.get(k, "")) for k in keys) + " |" for r in rows]
        md.append("")
    Path(args.out_md).write_text("\n".join(md))
    print(json.dumps({"written": [args.out_md, args.out_json]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
