"""Shared by the analysis scripts: reading a sweep's results.csv, the one "solved" threshold,
per-cell seed summaries, task ordering by algebra, and the colour-blind-safe model styles
(Okabe-Ito colours, each model also with its own marker and line style).
Exports THRESHOLD, load_results(), done_rows(), seed_summary(), task_order(), STYLE, label(),
figure_main(), write_atomic()."""
import os
import sys

import pandas as pd

# Solved = the cell's metric >= THRESHOLD (0.9: Merrill et al.'s "> 90%", Delétang et al.'s
# "solved"). The studies' [success] thresholds are the same number (analysis/tests/test_studies.py).
THRESHOLD = 0.9

# Okabe & Ito 2008, "Color Universal Design": distinguishable under the common colour-vision
# deficiencies; every model also has a marker and a line style so print in grey still works.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
STYLE = {  # colour, marker, line style; related variants share a colour and differ in marker
    "rwkv7":              (OKABE_ITO["vermillion"], "o", "-"),
    "rwkv7-a2":           (OKABE_ITO["blue"], "s", "-"),
    "rwkv7-a2-stable":    (OKABE_ITO["sky"], "D", "--"),
    "rwkv7-unclamped":    (OKABE_ITO["vermillion"], "v", "--"),
    "rwkv7-a2-unclamped": (OKABE_ITO["blue"], "P", ":"),
    "transformer":        (OKABE_ITO["black"], "x", "-"),
    "dssm":               (OKABE_ITO["green"], "^", ":"),
    "dssm-signed":        (OKABE_ITO["green"], "<", "-."),
    "dssm-complex":       (OKABE_ITO["purple"], ">", "-"),
    "dssm-complex-unit":  (OKABE_ITO["purple"], "*", ":"),
    "lstm":               (OKABE_ITO["orange"], "h", "-"),
}
LABEL = {
    "rwkv7": "RWKV-7 released",
    "rwkv7-a2": "RWKV-7 a∈(0,2)",
    "rwkv7-a2-stable": "RWKV-7 a∈(0,2) stable",
    "rwkv7-unclamped": "RWKV-7 unclamped w",
    "rwkv7-a2-unclamped": "RWKV-7 a∈(0,2), unclamped w",
    "transformer": "Transformer",
    "dssm": "diag. SSM (0,1)",
    "dssm-signed": "diag. SSM (−1,1)",
    "dssm-complex": "diag. SSM complex",
    "dssm-complex-unit": "diag. SSM |λ|=1",
    "lstm": "LSTM",
}
VARIANT_ORDER = list(STYLE)


def label(variant):
    return LABEL.get(variant, variant)


def style(variant):
    return STYLE.get(variant, ("#777777", ".", "-"))


def load_results(path):
    """results.csv (a file, or a sweep directory holding one) as a DataFrame."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.csv")
    frame = pd.read_csv(path, keep_default_na=True)
    if "eval" not in frame.columns or "status" not in frame.columns:
        raise ValueError(f"{path}: not a gooselab results.csv (no eval/status columns)")
    return frame


def done_rows(frame):
    return frame[frame["status"] == "done"]


def failed_runs(frame):
    return frame[frame["status"] == "failed"].drop_duplicates("run_id")


def variants_in(frame):
    present = set(frame["variant"].dropna())
    return [v for v in VARIANT_ORDER if v in present] + sorted(present - set(VARIANT_ORDER))


def at_length(frame, length):
    """Test rows at exactly this evaluation length."""
    rows = frame[(frame["eval"] == "test") & (frame["eval_max_len"] == length)]
    return rows


def four_x_rows(frame):
    """Test rows at 4x each run's longest training length (the ladder's cell)."""
    rows = frame[frame["eval"] == "test"]
    return rows[rows["eval_max_len"] == 4 * rows["train_max_len"]]


def seed_summary(frame, keys, value):
    """Per cell (keys): median, min, max and count of `value` over seeds (rows)."""
    grouped = frame.groupby(keys, dropna=False)[value]
    out = grouped.agg(["median", "min", "max", "count"]).reset_index()
    return out.rename(columns={"count": "seeds"})


GROUP_KIND_RANK = {"trivial": 0, "elementary-abelian-2": 1, "abelian": 2, "solvable": 3, "non-solvable": 4}


def algebra_key(row):
    """Sort key of a task by what its algebra needs: group kind, derived length (non-solvable
    last), involution inputs before general ones, then the spec."""
    kind = GROUP_KIND_RANK.get(str(row["group_kind"]), 5)
    derived = int(row["derived_length"])
    derived = 99 if derived < 0 else derived
    period = 0 if str(row["inputs_period_le2"]).lower() in ("true", "1") else 1
    return (kind, derived, group_name(str(row["task"])), period, str(row["task"]))


def group_name(task):
    """The group of a group task without its presentation ("group:S5@x" -> "S5"), else ""."""
    if not task.startswith("group:"):
        return ""
    return task[len("group:"):].split("@")[0]


def task_order(frame):
    """The distinct tasks of a frame, ordered by algebra_key."""
    tasks = frame.drop_duplicates("task")
    return [row["task"] for _, row in sorted(tasks.iterrows(), key=lambda item: algebra_key(item[1]))]


def kind_label(row):
    kind = str(row["group_kind"])
    derived = int(row["derived_length"])
    if kind == "solvable":
        return f"solvable, derived length {derived}"
    return {"trivial": "aperiodic", "elementary-abelian-2": "Z2-type",
            "abelian": "abelian", "non-solvable": "non-solvable"}.get(kind, kind)


def fmt(value, digits=2):
    if value is None or value != value:
        return "–"
    return f"{value:.{digits}f}"


def figure_main(argv, make, doc):
    """The command line every fig_*.py shares: RESULTS OUT_PNG [OUT_MD]. make(frame, out_png)
    draws the figure and returns (markdown table, cells); the usage is the doc's last line."""
    if len(argv) not in (3, 4):
        print(doc.strip().splitlines()[-1], file=sys.stderr)
        return 2
    table, _ = make(load_results(argv[1]), argv[2])
    if len(argv) == 4:
        write_atomic(argv[3], table)
    return 0


def write_atomic(path, text):
    """Writes text to path through a temporary name and a rename (DESIGN.md: no partial files)."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def save_figure(fig, path, dpi=130):
    """fig.savefig through a temporary name and a rename."""
    tmp = f"{path}.tmp{os.getpid()}"
    fig.savefig(tmp, dpi=dpi, format="png")
    os.replace(tmp, path)


def md_cell(value):
    """A markdown table cell's text: a pipe (as in a task such as `regex:(a|b)*`) would end the
    cell, so it is escaped (GitHub's tables take \\| inside code spans too)."""
    return str(value).replace("|", "\\|")


def md_table(header, rows):
    lines = ["| " + " | ".join(md_cell(x) for x in header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(md_cell(x) for x in row) + " |")
    return "\n".join(lines) + "\n"
