"""constructions_protocol.py on a fixture: lengths grouped by order (mod-arith's 1001, 10001,
100001 included), the verdict per construction (met; too few strings; a failure; a missing
length), curves, bf16 and the released rate left out, the time line in either name, and an error
for a directory without evaluations."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import constructions_protocol as cp  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "constructions", "protocol")


def rows(text):
    """{construction: [cells]} from the markdown table."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) == 8 and cells[0] not in ("construction", "---"):
            out[cells[0]] = cells
    return out


def test_verdicts(tmp_path):
    out = tmp_path / "protocol.md"
    assert cp.main(["cp", FIXTURE, "--out", str(out)]) == 0
    table = rows(out.read_text())
    assert set(table) == {"s5", "mod-arith", "parity"}  # curves, bf16, released skipped
    s5 = table["s5"]
    assert s5[1] == "`group:S5@transpositions`"
    assert s5[2:5] == ["1.0 on 1000"] * 3
    assert s5[5] == "yes"
    assert s5[6] == "abc1234, def5678"
    assert s5[7] == "997"  # from s5-relaxed-100000.json.time
    mod = table["mod-arith"]
    assert mod[4] == "1.0 on 100"
    assert mod[5] == "no: 100 strings at 10^5"
    assert mod[7] == "1807"  # from mod-arith-relaxed-100001.time
    parity = table["parity"]
    assert parity[2] == "1.0 on 1000"  # the 10 strings at 256 are not of order 10^3
    assert parity[3] == "0.999 (token 0.9999995) on 1000"
    assert parity[4] == "not evaluated"
    assert parity[5] == "no: fails at 10^4, no 10^5"
    assert parity[7] == "-"


def test_fewer_strings_required(tmp_path):
    out = tmp_path / "protocol.md"
    assert cp.main(["cp", FIXTURE, "--out", str(out), "--strings", "100"]) == 0
    assert rows(out.read_text())["mod-arith"][5] == "yes"


def test_bf16_under_a_protocol_name_is_skipped_and_larger_sample_wins(tmp_path):
    def write(name, count, acc, precision="fp32"):
        data = {"task": "parity", "precision": precision,
                "lengths": [{"length": 1000, "count": count, "seq_acc": acc, "token_acc": acc}]}
        (tmp_path / f"{name}.json").write_text(json.dumps(data))

    write("parity-relaxed-1000", 20, 1.0)
    write("parity-relaxed-01000", 1000, 1.0)  # a second file at the same order, more strings
    write("tomita3-relaxed-1000", 1000, 0.5, precision="bf16")
    evals = cp.load(str(tmp_path))
    assert set(evals) == {"parity"}
    assert evals["parity"][3]["count"] == 1000


def test_pipes_in_a_task_are_escaped():
    text = cp.table({"regex": {"task": "regex:(a|b)*a@ab"}}, 1000)
    assert "| `regex:(a\\|b)*a@ab` |" in text


def test_no_evaluations_is_an_error(tmp_path):
    assert cp.main(["cp", str(tmp_path)]) == 2
