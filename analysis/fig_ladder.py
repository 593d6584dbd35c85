#!/usr/bin/env python3
"""The expressivity ladder as a heat map: tasks (rows, ordered by their algebra) x model and
depth (columns), the colour the median scaled accuracy at 4x the training length over seeds,
the theory's prediction (analysis/theory.py) marked in every cell, disagreements framed and
hatched. Also the same grid as a markdown table with the spread over seeds.

usage: fig_ladder.py RESULTS_CSV OUT_PNG [OUT_MD]
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import common  # noqa: E402
import theory  # noqa: E402

MARK = {theory.YES: "✓", theory.NO: "✗", theory.UNKNOWN: "?"}
# How a cell compares with its prediction. "not reached": predicted possible, not solved at
# this budget (learnability or budget, never a contradiction); "open": the theory is silent.
AGREE, DISAGREE, NOT_REACHED, OPEN = "agree", "disagree", "not reached", "open"


def agreement(prediction, solved):
    if prediction == theory.YES:
        return AGREE if solved else NOT_REACHED
    if prediction == theory.NO:
        return DISAGREE if solved else AGREE
    return OPEN


def ladder_cells(frame):
    """One row per (task, variant, layers): the median, min and max over seeds of the scaled
    accuracy at 4x the training length, the seeds counted, failed runs, the prediction and
    its rule, solved (median >= THRESHOLD) and the agreement; also the median at the
    training lengths and at the longest length tested (for the likely cause of a
    disagreement)."""
    done = common.done_rows(frame)
    rows = common.four_x_rows(done)
    keys = ["task", "variant", "layers"]
    summary = common.seed_summary(rows, keys, "scaled_acc")
    train_median = done[done["eval"] == "train"].groupby(keys)["scaled_acc"].median()
    tests = done[done["eval"] == "test"]
    longest = tests.groupby(keys)["eval_max_len"].max()
    at_longest = tests[tests["eval_max_len"] == tests.groupby(keys)["eval_max_len"].transform("max")]
    longest_median = at_longest.groupby(keys)["scaled_acc"].median()
    firsts = frame.drop_duplicates(keys).set_index(keys)
    failed = common.failed_runs(frame).groupby(keys).size()
    # Cells whose every run failed still appear (with no value).
    for key in firsts.index.difference(summary.set_index(keys).index):
        summary.loc[len(summary)] = list(key) + [float("nan")] * 3 + [0]
    out = []
    for _, cell in summary.iterrows():
        key = (cell["task"], cell["variant"], cell["layers"])
        facts_row = firsts.loc[key].copy()
        facts_row["task"], facts_row["variant"], facts_row["layers"] = key
        prediction, rule = theory.predict(facts_row)
        value = cell["median"]
        solved = bool(value >= common.THRESHOLD) if value == value else False
        record = dict(cell)
        record.update({
            "failed": int(failed.get(key, 0)),
            "length": int(4 * facts_row["train_max_len"]),
            "group_kind": facts_row["group_kind"],
            "derived_length": int(facts_row["derived_length"]),
            "inputs_period_le2": facts_row["inputs_period_le2"],
            "task_class": facts_row["task_class"],
            "prediction": prediction,
            "rule": rule,
            "solved": solved,
            "agreement": agreement(prediction, solved) if value == value else "no data",
            "train_median": train_median.get(key, float("nan")),
            "longest": int(longest.get(key, 0)),
            "longest_median": longest_median.get(key, float("nan")),
        })
        out.append(record)
    return pd.DataFrame(out)


def columns_of(cells):
    variants = common.variants_in(cells)
    layers = sorted(cells["layers"].unique())
    return [(v, int(l)) for v in variants for l in layers if ((cells["variant"] == v) & (cells["layers"] == l)).any()]


def task_rows(cells, frame):
    order = common.task_order(frame)
    return [t for t in order if t in set(cells["task"])]


def draw(cells, frame, out_png):
    tasks = task_rows(cells, frame)
    cols = columns_of(cells)
    index = {(c["task"], c["variant"], int(c["layers"])): c for _, c in cells.iterrows()}
    fig_w = 3.2 + 0.62 * len(cols)
    fig_h = 1.6 + 0.42 * len(tasks)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    cmap = plt.get_cmap("cividis")
    for r, task in enumerate(tasks):
        for c, (variant, layers) in enumerate(cols):
            cell = index.get((task, variant, layers))
            if cell is None:
                continue
            value = cell["median"]
            face = cmap(max(0.0, min(1.0, value))) if value == value else "#ffffff"
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=face, edgecolor="#bbbbbb", linewidth=0.5))
            dark = value == value and value < 0.55
            text_colour = "white" if dark else "black"
            mark = MARK[cell["prediction"]]
            text = f"{mark}\n{common.fmt(value)}" if value == value else f"{mark}\nfailed"
            ax.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=7, color=text_colour,
                    linespacing=1.0)
            if cell["agreement"] == DISAGREE:
                ax.add_patch(Rectangle((c + 0.04, r + 0.04), 0.92, 0.92, fill=False, edgecolor="#D55E00",
                                       linewidth=2.4, hatch="////"))
            elif cell["agreement"] == NOT_REACHED:
                ax.add_patch(Rectangle((c + 0.06, r + 0.06), 0.88, 0.88, fill=False, edgecolor="#000000",
                                       linewidth=1.2, linestyle=":"))
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(tasks), 0)
    ax.set_xticks([c + 0.5 for c in range(len(cols))])
    ax.set_xticklabels([f"{common.label(v)}\n{l} layer{'s' if l > 1 else ''}" for v, l in cols],
                       rotation=60, ha="right", fontsize=7)
    firsts = frame.drop_duplicates("task").set_index("task")
    ax.set_yticks([r + 0.5 for r in range(len(tasks))])
    ax.set_yticklabels([f"{t}  [{common.kind_label(firsts.loc[t])}]" for t in tasks], fontsize=7)
    ax.tick_params(length=0)
    for c in range(1, len(cols)):
        if cols[c][0] != cols[c - 1][0]:
            ax.axvline(c, color="black", linewidth=1.0)
    lengths = sorted(set(int(x) for x in cells["length"]))
    ax.set_title("Scaled accuracy at 4× the training length (" + ", ".join(map(str, lengths)) +
                 "), median of seeds.\nPrediction: ✓ solvable at unbounded length, ✗ not, ? unknown "
                 "(analysis/theory.py). Hatched orange frame: solved against a ✗;\n"
                 f"dotted frame: ✓ not reached at this budget. Solved = median ≥ {common.THRESHOLD}.",
                 fontsize=8)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    bar = fig.colorbar(sm, ax=ax, fraction=0.025, pad=0.01)
    bar.set_label("scaled accuracy (0 chance, 1 perfect)", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    fig.tight_layout()
    common.save_figure(fig, out_png)
    plt.close(fig)


def markdown(cells, frame):
    tasks = task_rows(cells, frame)
    cols = columns_of(cells)
    index = {(c["task"], c["variant"], int(c["layers"])): c for _, c in cells.iterrows()}
    firsts = frame.drop_duplicates("task").set_index("task")
    header = ["task", "algebra"] + [f"{common.label(v)} L{l}" for v, l in cols]
    rows = []
    for task in tasks:
        row = [f"`{task}`", common.kind_label(firsts.loc[task])]
        for variant, layers in cols:
            cell = index.get((task, variant, layers))
            if cell is None:
                row.append("")
                continue
            text = (f"{common.fmt(cell['median'])} [{common.fmt(cell['min'])}–{common.fmt(cell['max'])}] "
                    f"{MARK[cell['prediction']]}")
            if cell["agreement"] == DISAGREE:
                text = f"**{text} (disagrees)**"
            elif cell["agreement"] == NOT_REACHED:
                text += " (not reached)"
            row.append(text)
        rows.append(row)
    legend = ("Cell: median [min–max] over seeds of the scaled accuracy at 4× the training length, "
              "then the prediction (✓ solvable at unbounded length, ✗ not, ? unknown; rule in "
              f"analysis/theory.py). Solved = median ≥ {common.THRESHOLD}.\n\n")
    return legend + common.md_table(header, rows)


def table(frame):
    """The markdown table alone (no figure)."""
    return markdown(ladder_cells(frame), frame)


def make(frame, out_png):
    """Draws the heat map into out_png; returns (markdown table, cells)."""
    cells = ladder_cells(frame)
    draw(cells, frame, out_png)
    return markdown(cells, frame), cells


def main(argv):
    return common.figure_main(argv, make, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
