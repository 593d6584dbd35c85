#!/usr/bin/python3
"""Figure of `gooselab compare`: sequence accuracy versus length, one panel per task (the
training lengths first, then the test lengths), one line per model through the median over
seeds, and every seed as a point. Reads the sweep's results.csv only.

usage: plot_compare.py RESULTS_CSV OUT_PNG
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

# Okabe–Ito colours with distinct markers and line styles: readable for colour-blind readers
# and in grey print.
COLOURS = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h"]
STYLES = ["-", "--", "-.", ":"]


def medians(rows):
    """Per task, variant and length: the median sequence accuracy over seeds and the seed count.
    The length of the training-range row is its upper end."""
    done = rows[rows["status"] == "done"].assign(x=rows["eval_max_len"])
    return (done.groupby(["task", "variant", "x"])["seq_acc"].agg(["median", "count"]).reset_index())


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    rows = pd.read_csv(argv[1])
    rows = rows[rows["status"] == "done"].copy()
    # The x position of a row: the training range's upper end, or the test length.
    rows["x"] = rows["eval_max_len"]
    table = medians(rows)
    tasks = list(dict.fromkeys(rows["task"]))
    variants = list(dict.fromkeys(rows["variant"]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        part = rows[rows["task"] == task]
        train_max = part["train_max_len"].max()
        for i, variant in enumerate(variants):
            mine = part[part["variant"] == variant]
            if mine.empty:
                continue
            style = dict(color=COLOURS[i % len(COLOURS)], marker=MARKERS[i % len(MARKERS)])
            median = table[(table["task"] == task) & (table["variant"] == variant)]
            ax.plot(median["x"], median["median"], linestyle=STYLES[i % len(STYLES)], label=variant, **style)
            ax.scatter(mine["x"], mine["seq_acc"], s=12, alpha=0.45, **style)
        ax.axvline(train_max, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xscale("log", base=2)
        ax.set_ylim(-0.03, 1.03)
        ax.set_title("%s (trained to %d; line: median, points: seeds)" % (task, train_max), fontsize=9)
        ax.set_xlabel("length")
        ax.set_ylabel("sequence accuracy")
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    fig.savefig(argv[2], dpi=130)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
