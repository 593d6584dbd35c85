#!/usr/bin/env python3
"""Figure of `gooselab compare`: sequence accuracy versus test length, one line per model,
one panel per task, from OUT/summary.json (written by the compare command).

usage: plot_compare.py SUMMARY_JSON OUT_PNG
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def curve(result, task):
    """(lengths, seq accs): the training range's validation at its max length, then tests."""
    if "error" in result or "lengths" not in result:
        return [], []
    points = [(p["length"], p["seq_acc"]) for p in result["lengths"] if "length" in p]
    points.sort()
    return [x for x, _ in points], [y for _, y in points]


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        summary = json.load(f)
    tasks = summary["tasks"]
    models = [m["name"] for m in summary["models"]]
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 4.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for model in models:
            runs = [r for r in summary["runs"] if r["task"] == task["name"] and r["model"] == model]
            if not runs:
                continue
            xs, ys = curve(runs[0]["result"], task)
            if xs:
                ax.plot(xs, ys, marker="o", label=model)
        ax.set_xscale("log", base=2)
        ax.set_xticks(task["test_lengths"])
        ax.set_xticklabels([str(x) for x in task["test_lengths"]])
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("test length (symbols)")
        ax.set_ylabel("sequence accuracy")
        ax.set_title(f"{task['spec']} (trained on {task['train_len']})")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(loc="best", fontsize=8)
    title = "gooselab compare" + (" (quick)" if summary.get("quick") else "")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
