#!/usr/bin/env python3
"""Minimum number of layers that solves each group's word problem versus sequence length
(Merrill et al. 2024, Fig. 3): one panel per group, one line per model, cells unsolved at
every depth tried drawn above the top and marked. Also the table of minimum layers.
A (group, model, length) cell is solved at L layers when a majority of its seeds reach
sequence accuracy >= THRESHOLD at the training length (the study's [success] rule).

usage: fig_min_layers.py RESULTS_CSV OUT_PNG [OUT_MD]
"""
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import common  # noqa: E402
import theory  # noqa: E402

TC0 = {"transformer", "dssm", "dssm-signed", "dssm-complex", "dssm-complex-unit"}


def predicted_depth(facts_row, variant, deepest=6):
    """What the theory says about the minimum depth at every length: "1" or "≤ L" (the first
    depth analysis/theory.py calls solvable at unbounded length), "grows" (a TC0 model on a
    non-solvable group, Merrill et al.), or "?"."""
    row = dict(facts_row)
    row["variant"] = variant
    for layers in range(1, deepest + 1):
        row["layers"] = layers
        if theory.predict(row)[0] == theory.YES:
            return "1" if layers == 1 else f"≤ {layers}"
    if variant in TC0 and str(facts_row["group_kind"]) == "non-solvable":
        return "grows"
    return "?"


def min_layer_cells(frame):
    """One row per (task, variant, length): min_layers (None when unsolved at every depth
    tried), tried (the deepest tried), seeds_solved at min_layers, seeds, failed runs."""
    runs = frame.drop_duplicates("run_id")
    train = frame[(frame["eval"] == "train") & (frame["status"] == "done")].set_index("run_id")
    seeds_planned = int(runs["seed"].nunique())
    out = []
    for (task, variant, length), cell in runs.groupby(["task", "variant", "train_max_len"]):
        result = {"task": task, "variant": variant, "length": int(length), "min_layers": None,
                  "tried": int(cell["layers"].max()), "seeds_solved": 0, "seeds": seeds_planned,
                  "failed": int((cell["status"] == "failed").sum())}
        for layers in sorted(cell["layers"].unique()):
            ids = cell[cell["layers"] == layers]["run_id"]
            values = [train.loc[i, "seq_acc"] for i in ids if i in train.index]
            solved = sum(1 for v in values if v >= common.THRESHOLD)
            if solved * 2 > seeds_planned:
                result["min_layers"] = int(layers)
                result["seeds_solved"] = solved
                break
        out.append(result)
    return pd.DataFrame(out)


def budget_lengths(cells):
    """(task, length) pairs that no model solves at any depth tried: a budget finding."""
    solved = cells.groupby(["task", "length"])["min_layers"].apply(lambda s: s.notna().any())
    return {key for key, any_solved in solved.items() if not any_solved}


def draw(cells, frame, out_png):
    tasks = common.task_order(frame)
    variants = common.variants_in(cells)
    top = int(cells["tried"].max())
    ncols = min(3, len(tasks))
    nrows = math.ceil(len(tasks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows + 0.9), squeeze=False)
    budget = budget_lengths(cells)
    handles = {}
    for ax, task in zip(axes.flat, tasks):
        sub = cells[cells["task"] == task]
        lengths = sorted(sub["length"].unique())
        for i, variant in enumerate(variants):
            rows = sub[sub["variant"] == variant].sort_values("length")
            if rows.empty:
                continue
            colour, marker, line = common.style(variant)
            jitter = (i - (len(variants) - 1) / 2) * 0.035
            xs = list(rows["length"])
            ys = [(m if m == m and m is not None else top + 1) + jitter for m in rows["min_layers"]]
            (handle,) = ax.plot(xs, ys, color=colour, marker=marker, linestyle=line, linewidth=1.3,
                                markersize=5, label=common.label(variant))
            handles[variant] = handle
            unsolved = [(x, y) for x, y, m in zip(xs, ys, rows["min_layers"]) if m is None or m != m]
            if unsolved:
                ax.scatter([x for x, _ in unsolved], [y for _, y in unsolved], s=70, facecolors="none",
                           edgecolors=colour, linewidths=1.2, zorder=3)
        for length in lengths:
            if (task, length) in budget:
                ax.axvspan(length - 0.4, length + 0.4, color="#cccccc", alpha=0.5, zorder=0)
        ax.axhline(top + 0.5, color="black", linewidth=0.6, linestyle=":")
        ax.set_yticks(list(range(1, top + 2)))
        ax.set_yticklabels([str(v) for v in range(1, top + 1)] + [f"unsolved\nat ≤{top}"])
        ax.set_ylim(0.5, top + 1.5)
        ax.set_xticks(lengths)
        ax.set_xlabel("sequence length k (trained and tested)")
        ax.set_ylabel("minimum layers")
        ax.set_title(task, fontsize=9)
        ax.grid(alpha=0.25)
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis("off")
    fig.legend([handles[v] for v in variants if v in handles], [common.label(v) for v in variants if v in handles],
               loc="lower center", ncol=min(6, len(handles)), fontsize=8, frameon=False)
    fig.suptitle(f"Minimum layers reaching sequence accuracy ≥ {common.THRESHOLD} (majority of seeds). "
                 "Open circles above the dotted line: unsolved at every depth tried;\n"
                 "grey band: no model solves that length at this budget (a budget finding, not a theory one).",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 0.94))
    common.save_figure(fig, out_png)
    plt.close(fig)


def markdown(cells, frame):
    tasks = common.task_order(frame)
    variants = common.variants_in(cells)
    budget = budget_lengths(cells)
    parts = [f"Cell: minimum layers with sequence accuracy ≥ {common.THRESHOLD} at the training length "
             "for a majority of seeds (seeds solving at that depth / seeds); `>N`: unsolved at every "
             "depth tried (N); *budget*: no model solves that length. *Predicted*: the depth that suffices "
             "at every length by analysis/theory.py, or *grows* (TC⁰ on a non-solvable group).\n"]
    firsts = frame.drop_duplicates("task").set_index("task")
    for task in tasks:
        sub = cells[cells["task"] == task]
        lengths = sorted(sub["length"].unique())
        header = ["model", "predicted"] + [f"k={k}" + (" *budget*" if (task, k) in budget else "") for k in lengths]
        rows = []
        facts_row = firsts.loc[task].to_dict()
        facts_row["task"] = task
        for variant in variants:
            row = [common.label(variant), predicted_depth(facts_row, variant)]
            for k in lengths:
                hit = sub[(sub["variant"] == variant) & (sub["length"] == k)]
                if hit.empty:
                    row.append("")
                    continue
                c = hit.iloc[0]
                m = c["min_layers"]
                row.append(f">{c['tried']}" if m is None or m != m else f"{int(m)} ({c['seeds_solved']}/{c['seeds']})")
            rows.append(row)
        parts.append(f"\n`{task}`\n\n" + common.md_table(header, rows))
    return "".join(parts)


def table(frame):
    """The markdown table alone (no figure)."""
    return markdown(min_layer_cells(frame), frame)


def make(frame, out_png):
    cells = min_layer_cells(frame)
    draw(cells, frame, out_png)
    return markdown(cells, frame), cells


def main(argv):
    return common.figure_main(argv, make, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
