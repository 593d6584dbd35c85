# The report regenerated from the fixture sweeps equals the committed expected report
# (fixtures/expected/REPORT.md). After an intended change: GOOSE_UPDATE_GOLDEN=1 pytest ... and
# review the diff. Also `gooselab report` end to end when gooselab is built.
import difflib
import os
import subprocess

import report
from conftest import FIXTURES, STUDIES

EXPECTED = os.path.join(FIXTURES, "expected", "REPORT.md")
ARGS = dict(machine="fixture machine (2 cores)", date="2026-01-01")


def generate(out):
    cwd = os.getcwd()
    os.chdir(FIXTURES)  # relative study paths, as a user would type them
    try:
        return report.write_report(STUDIES, str(out), **ARGS)
    finally:
        os.chdir(cwd)


def test_report_matches_the_golden_file(tmp_path):
    text = generate(tmp_path / "paper")
    if os.environ.get("GOOSE_UPDATE_GOLDEN"):
        os.makedirs(os.path.dirname(EXPECTED), exist_ok=True)
        with open(EXPECTED, "w") as f:
            f.write(text)
    with open(EXPECTED) as f:
        expected = f.read()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "expected", "generated"))
    assert not diff, "REPORT.md differs from fixtures/expected/REPORT.md (GOOSE_UPDATE_GOLDEN=1 to accept):\n" + diff[:6000]
    for name in STUDIES:
        assert os.path.getsize(tmp_path / "paper" / "figures" / f"{name}.png") > 10000
        assert os.path.exists(tmp_path / "paper" / "results" / f"{name}-quick.csv")


def test_report_regenerates_from_its_own_copies(tmp_path):
    cwd = os.getcwd()
    os.chdir(FIXTURES)
    try:
        report.write_report(STUDIES, str(tmp_path / "first"), draw=False, **ARGS)
    finally:
        os.chdir(cwd)
    copies = [str(tmp_path / "first" / "results" / f"{name}-quick.csv") for name in STUDIES]
    second = report.write_report(copies, str(tmp_path / "paper"), draw=False, **ARGS)
    with open(EXPECTED) as f:
        assert second == f.read()


def test_gooselab_report(gooselab, tmp_path):
    out = tmp_path / "paper"
    done = subprocess.run([gooselab, "report"] + [os.path.join(FIXTURES, s) for s in STUDIES] +
                          ["--out", str(out), "--machine", ARGS["machine"], "--date", ARGS["date"]],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open(EXPECTED) as f:
        assert (out / "REPORT.md").read_text() == f.read()
    bad = subprocess.run([gooselab, "report", str(tmp_path / "nothing"), "--out", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: report:") and "sweep collect" in bad.stderr
