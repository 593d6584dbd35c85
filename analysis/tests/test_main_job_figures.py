# The main job's figure (plot_compare.py, on the results.csv of a real `compare --quick`) and
# the inspect figure (plot_inspect.py, on real inspect.json files of every architecture).
import os
import subprocess
import sys

import pandas as pd

import plot_compare
from conftest import ANALYSIS, FIXTURES


def png_ok(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 10000


def test_compare_medians_are_over_seeds():
    rows = pd.read_csv(os.path.join(FIXTURES, "compare-quick.csv"))
    table = plot_compare.medians(rows)
    # compare --quick: 8 variants, 2 tasks, the training range + 2 test lengths, 2 seeds each.
    assert len(table) == 8 * 2 * 3
    assert (table["count"] == 2).all()
    one = rows[(rows["variant"] == "rwkv7") & (rows["task"] == "parity") & (rows["eval"] == "train")]
    cell = table[(table["variant"] == "rwkv7") & (table["task"] == "parity") & (table["x"] == one["eval_max_len"].iloc[0])]
    assert abs(cell["median"].iloc[0] - one["seq_acc"].median()) < 1e-12


def test_compare_figure(tmp_path):
    out = tmp_path / "compare.png"
    done = subprocess.run([sys.executable, os.path.join(ANALYSIS, "plot_compare.py"),
                           os.path.join(FIXTURES, "compare-quick.csv"), str(out)])
    assert done.returncode == 0 and png_ok(out)
    usage = subprocess.run([sys.executable, os.path.join(ANALYSIS, "plot_compare.py")], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_inspect_figure_for_every_architecture(tmp_path):
    for arch in ["rwkv7", "transformer", "dssm-complex", "lstm"]:
        out = tmp_path / (arch + ".png")
        done = subprocess.run([sys.executable, os.path.join(ANALYSIS, "plot_inspect.py"),
                               os.path.join(FIXTURES, "inspect-%s.json" % arch), str(out)])
        assert done.returncode == 0, arch
        assert png_ok(out), arch
