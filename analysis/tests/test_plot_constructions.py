"""plot_constructions.py on a fixture: series from file names, the larger sample per length,
the markdown table's verdicts (longest perfect length before the first failure, the released
rate's first failing length, layers and width from construction.json), results.csv's best
variant, and errors for empty input."""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))

import plot_constructions as pc  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "constructions")


def run(tmp_path, *extra):
    os.chdir(ROOT)  # construction.json paths in the fixture are relative to the repository
    png, md = tmp_path / "c.png", tmp_path / "c.md"
    code = pc.main(["plot", os.path.join(FIXTURE, "eval"), str(png), "--table", str(md), *extra])
    return code, png, md


def test_series_names():
    assert pc.series_of("x/s5-relaxed-100000.json") == ("s5", "relaxed")
    assert pc.series_of("parity-swap-released-curve.json") == ("parity-swap", "released")
    assert pc.series_of("trained-s5-curve.json") == ("trained-s5", "trained")


def test_larger_sample_wins_and_non_evals_are_skipped():
    evals = pc.load_evals(os.path.join(FIXTURE, "eval"))
    s5 = evals["group:S5@transpositions"][("s5", "relaxed")]["points"]
    assert s5[256] == (1.0, 100)  # not the 10-string 0.5 from s5-relaxed-1000.json
    assert s5[100000] == (1.0, 1000)
    assert set(evals) == {"group:S5@transpositions", "parity"}
    # An eval made with --precision bf16 is its own series, not a larger sample of fp32's.
    assert evals["group:S5@transpositions"][("s5", "relaxed-bf16")]["points"][256] == (0.97, 100)


def test_figure_and_table(tmp_path):
    code, png, md = run(tmp_path, "--trained", os.path.join(FIXTURE, "results.csv"))
    assert code == 0
    assert png.stat().st_size > 10000
    rows = {line.split("|")[1].strip(): line for line in md.read_text().splitlines()[2:]}
    s5 = [c.strip() for c in rows["s5"].split("|")]
    assert s5[3:7] == ["swap", "1", "100", "100000 (1000)"]
    assert s5[8] == "64 (100)"  # bf16: perfect to 64, 0.97 at 256
    assert s5[9] == "4"  # the released rate is first below 1 at length 4
    parity = [c.strip() for c in rows["parity"].split("|")]
    assert parity[6] == "1000 (100)"  # 10000 failed, so 100000's 1.0 does not count
    assert parity[7] == "1000 (100), 10000 (100), 100000 (20)"
    assert parity[8] == "not measured"


def test_construction_found_beside_the_eval_dir(tmp_path):
    # Evaluations copied in from another run directory (their "run" is gone) still find the
    # construction that scripts/constructions builds beside EVAL_DIR.
    shutil.copytree(os.path.join(FIXTURE, "eval"), tmp_path / "eval")
    shutil.copytree(os.path.join(FIXTURE, "s5-relaxed"), tmp_path / "s5-relaxed")
    for path in (tmp_path / "eval").glob("s5-relaxed*.json"):
        data = json.loads(path.read_text())
        data["run"] = "runs/gone/s5-relaxed"
        path.write_text(json.dumps(data))
    md = tmp_path / "c.md"
    assert pc.main(["plot", str(tmp_path / "eval"), str(tmp_path / "c.png"), "--table", str(md)]) == 0
    rows = {line.split("|")[1].strip(): line for line in md.read_text().splitlines()[2:]}
    assert [c.strip() for c in rows["s5"].split("|")][3:6] == ["swap", "1", "100"]
    # Nothing to find: parity's JSON names "nowhere" and there is no parity-relaxed beside it.
    assert [c.strip() for c in rows["parity"].split("|")][3:6] == ["?", "?", "?"]


def test_best_trained_variant():
    curves = pc.load_trained_csv(os.path.join(FIXTURE, "results.csv"))
    variant, curve = pc.best_variant(curves["parity"])
    assert variant == "lstm"
    assert curve == {64: 1.0, 256: 1.0}  # the range row is skipped, the better run kept


def test_empty_input_is_an_error(tmp_path):
    assert pc.main(["plot", str(tmp_path), str(tmp_path / "x.png")]) == 2
    assert pc.main(["plot", os.path.join(FIXTURE, "eval"), str(tmp_path / "x.png"), "--tasks", "tomita:9"]) == 2
