"""CLI plumbing and results folders: bad output paths, memory limits, tables, save/load."""

import json

import numpy as np
import pytest

import frg
from frg._validate import memory, memory_limit
from frg.cli import main
from frg.cli._common import format_human


def _json_error(capsys):
    out = capsys.readouterr()
    lines = [ln for ln in out.out.splitlines() if ln.strip()]
    assert len(lines) == 1, out.out  # exactly one JSON object
    obj = json.loads(lines[0])
    assert obj["status"] == "error"
    assert len(out.err.strip().splitlines()) == 1  # one line on stderr
    return obj["error"]


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["zero-d", "--plot", "/nonexistent-dir/x.png"], "--plot"),
        (["zero-d", "--plot", "figure.txt"], "--plot"),
        (["quickstart", "--out", "/dev/null/x"], "--out"),
        (["sweep", "flow", "--param", "kappa=0.01:0.05:2", "--out", "/dev/null/x"], "--out"),
    ],
)
def test_bad_output_paths_fail_before_computing(argv, needle, capsys):
    # exit 2, one line on stderr, one JSON error object: before any solve (these would
    # otherwise compile and run a flow first)
    assert main([*argv, "--json"]) == 2
    assert needle in _json_error(capsys)


def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["quickstart", "--out", str(f), "--json"]) == 2
    assert "is not a directory" in _json_error(capsys)


def test_memory_limit(monkeypatch):
    monkeypatch.setenv("FRG_MEMORY_LIMIT_GB", "1")
    assert memory_limit() == 2**30
    memory("grid", 2**29, "the grid")  # below the limit: fine
    with pytest.raises(ValueError, match=r"grid: the grid needs about 2 GiB, more than .* 1 GiB"):
        memory("grid", 2**31, "the grid")
    monkeypatch.setenv("FRG_MEMORY_LIMIT_GB", "lots")
    with pytest.raises(ValueError, match="FRG_MEMORY_LIMIT_GB"):
        memory_limit()


def test_save_load_roundtrip(tmp_path):
    U = np.random.default_rng(0).normal(size=(3, 5))
    summary = {"nu": 0.65, "bad": float("nan"), "theta": np.array([1.5, -0.6]), "n": np.int64(3)}
    frg.save_results(tmp_path / "r", "demo", summary, {"U": U, "k": np.arange(3.0)})
    res = frg.load(tmp_path / "r")
    assert res.kind == "demo"
    np.testing.assert_array_equal(res["U"], U)  # bit for bit
    assert res["nu"] == 0.65 and res["bad"] is None and res["theta"] == [1.5, -0.6]
    assert res["n"] == 3 and "U" in res and "missing" not in res
    assert res.meta["format"] == "frg-results" and res.meta["version"] == 1


def test_load_refuses_pickles_and_foreign_folders(tmp_path):
    # an .npz holding an object array can only be read by unpickling: refused
    frg.save_results(tmp_path, "demo", {}, {"x": np.zeros(2)})
    np.savez(tmp_path / "arrays.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        frg.load(tmp_path)
    with pytest.raises(ValueError, match="not an frg results folder"):
        frg.load(tmp_path / "nowhere")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "summary.json").write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not an frg results summary"):
        frg.load(tmp_path / "other")
    with pytest.raises(ValueError, match="object arrays"):
        frg.save_results(tmp_path / "o", "demo", {}, {"x": np.array([None])})


def test_human_output_is_aligned_and_complete():
    text = format_human(
        {
            "nu": 0.6495617738809228,
            "status": "success",
            "theta": list(np.linspace(1.0, 2.0, 20)),
            "fitted": {"m2": -0.5, "lam": 1.25},
            "rows": [{"T": 2.0, "xi": 1.5}, {"T": 2.5, "xi": 0.75}],
        }
    )
    lines = text.splitlines()
    assert lines[0] == "nu      0.6495617739"
    assert lines[1] == "status  success"
    assert "entries" not in text and text.count(",") == 19  # all 20 values, none elided
    assert "  m2   -0.5" in text and "  lam  1.25" in text
    header = next(i for i, ln in enumerate(lines) if ln.strip().startswith("T"))
    assert lines[header].split() == ["T", "xi"] and lines[header + 2].split() == ["2", "1.5"]
