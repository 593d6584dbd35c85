#!/usr/bin/env python3
"""Length generalisation (Grazzi et al. 2024 Table 3; Delétang et al. 2023's regular tier):
scaled accuracy versus test length, one panel per task, one line per model (median over seeds,
bars from the worst to the best seed). Also the table of scores (a seed's score = its mean
scaled accuracy over the test lengths up to 256, Grazzi et al.'s range), best and median of
the seeds, with Grazzi et al.'s published scores beside ours for the models both have.

usage: fig_length_generalisation.py RESULTS_CSV OUT_PNG [OUT_MD]
"""
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import common  # noqa: E402
import published  # noqa: E402
import theory  # noqa: E402

MARK = {theory.YES: "✓", theory.NO: "✗", theory.UNKNOWN: "?"}

GRAZZI_MAX_LENGTH = 256


def scores(frame):
    """One row per (task, variant): best, median and worst over seeds of the per-seed score
    (mean scaled accuracy over test lengths <= 256), the same up to the longest length tested
    when that is longer, the number of seeds, the objective scored, and the theory's
    prediction (analysis/theory.py) with its rule."""
    done = common.done_rows(frame)
    train = done[done["eval"] == "train"].groupby(["task", "variant"])["scaled_acc"].median()
    tests = done[done["eval"] == "test"]
    out = []
    for (task, variant), cell in tests.groupby(["task", "variant"]):
        per_seed = cell[cell["eval_max_len"] <= GRAZZI_MAX_LENGTH].groupby("run_id")["scaled_acc"].mean()
        per_seed_all = cell.groupby("run_id")["scaled_acc"].mean()
        longest = int(cell["eval_max_len"].max())
        prediction, rule = theory.predict(cell.iloc[0])
        out.append({
            "task": task, "variant": variant, "layers": int(cell["layers"].iloc[0]), "seeds": int(per_seed_all.size),
            "best": per_seed.max() if per_seed.size else float("nan"),
            "median": per_seed.median() if per_seed.size else float("nan"),
            "min": per_seed.min() if per_seed.size else float("nan"),
            "prediction": prediction, "rule": rule, "train_median": train.get((task, variant), float("nan")),
            "best_all": per_seed_all.max(), "median_all": per_seed_all.median(), "longest": longest,
            "objective": ",".join(sorted(set(cell["objective"]))),
        })
    return pd.DataFrame(out)


def published_comparison(table):
    """Rows (task, variant, ours best, theirs, same side of THRESHOLD) for the shared models."""
    rows = []
    for _, r in table.iterrows():
        theirs_model = published.GRAZZI_SHARED.get(r["variant"])
        if theirs_model is None or r["task"] not in published.GRAZZI_TABLE3[theirs_model]:
            continue
        theirs = published.GRAZZI_TABLE3[theirs_model][r["task"]]
        ours = r["best"]
        same = (ours >= common.THRESHOLD) == (theirs >= common.THRESHOLD)
        rows.append({"task": r["task"], "variant": r["variant"], "theirs_model": theirs_model,
                     "ours": ours, "theirs": theirs, "agree": bool(same), "objective": r["objective"]})
    return pd.DataFrame(rows)


def draw(frame, out_png):
    done = common.done_rows(frame)
    tasks = common.task_order(frame)
    variants = common.variants_in(frame)
    ncols = min(4, len(tasks))
    nrows = math.ceil(len(tasks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.8 * ncols, 2.9 * nrows + 0.9), squeeze=False)
    handles = {}
    for ax, task in zip(axes.flat, tasks):
        sub = done[done["task"] == task]
        train_max = int(sub["train_max_len"].max())
        lengths = sorted(int(x) for x in sub[sub["eval"] == "test"]["eval_max_len"].unique())
        for i, variant in enumerate(variants):
            rows = sub[sub["variant"] == variant].copy()
            if rows.empty:
                continue
            rows["x"] = [train_max if e == "train" else int(l) for e, l in zip(rows["eval"], rows["eval_max_len"])]
            s = rows.groupby("x")["scaled_acc"].agg(["median", "min", "max"]).reset_index()
            colour, marker, line = common.style(variant)
            shift = 2 ** ((i - (len(variants) - 1) / 2) * 0.02)
            xs = [x * shift for x in s["x"]]
            handle = ax.errorbar(xs, s["median"], yerr=[s["median"] - s["min"], s["max"] - s["median"]],
                                 color=colour, marker=marker, linestyle=line, markersize=4, linewidth=1.2,
                                 elinewidth=0.8, capsize=2, label=common.label(variant))
            handles[variant] = handle
        ax.set_xscale("log", base=2)
        ticks = [train_max] + lengths
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"≤{train_max}\n(train)"] + [str(x) for x in lengths], fontsize=7)
        ax.set_ylim(-0.05, 1.05)
        ax.axhline(common.THRESHOLD, color="#777777", linewidth=0.6, linestyle=":")
        ax.set_title(task, fontsize=9)
        ax.set_ylabel("scaled accuracy", fontsize=8)
        ax.grid(alpha=0.25)
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis("off")
    fig.legend([handles[v] for v in variants if v in handles], [common.label(v) for v in variants if v in handles],
               loc="lower center", ncol=min(7, len(handles)), fontsize=8, frameon=False)
    objective = ",".join(sorted(set(frame["objective"].dropna())))
    fig.suptitle(f"Scaled accuracy versus test length (objective {objective}); median over seeds, "
                 f"bars from the worst to the best seed; dotted: {common.THRESHOLD}", fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    common.save_figure(fig, out_png)
    plt.close(fig)


def markdown(frame):
    table = scores(frame)
    tasks = common.task_order(frame)
    variants = common.variants_in(frame)
    longest = int(table["longest"].max()) if len(table) else 0
    parts = ["Score of a seed: its mean scaled accuracy over the test lengths up to "
             f"{GRAZZI_MAX_LENGTH} (Grazzi et al.'s range 40–256); cell: best / median of the seeds, then the "
             "theory's prediction (✓ solvable at unbounded length, ✗ not, ? unknown). "
             f"Solved (Delétang et al.): median ≥ {common.THRESHOLD}.\n\n"]
    header = ["task"] + [common.label(v) for v in variants]
    rows = []
    for task in tasks:
        row = [f"`{task}`"]
        for variant in variants:
            hit = table[(table["task"] == task) & (table["variant"] == variant)]
            if hit.empty:
                row.append("")
                continue
            h = hit.iloc[0]
            text = f"{common.fmt(h['best'])} / {common.fmt(h['median'])} {MARK[h['prediction']]}"
            if h["prediction"] == theory.NO and h["median"] >= common.THRESHOLD:
                text = f"**{text} (disagrees)**"
            row.append(text)
        rows.append(row)
    parts.append(common.md_table(header, rows))
    if longest > GRAZZI_MAX_LENGTH:
        parts.append(f"\nThe same over every test length up to {longest} (Delétang et al. test up to 500):\n\n")
        rows = []
        for task in tasks:
            row = [f"`{task}`"]
            for variant in variants:
                hit = table[(table["task"] == task) & (table["variant"] == variant)]
                row.append("" if hit.empty else
                           f"{common.fmt(hit.iloc[0]['best_all'])} / {common.fmt(hit.iloc[0]['median_all'])}")
            rows.append(row)
        parts.append(common.md_table(header, rows))
    comparison = published_comparison(table)
    if len(comparison):
        parts.append("\nBeside Grazzi et al. 2024, Table 3 (best of 3 seeds; they score the final output "
                     "after training on 3..40 for 20k steps at width 128):\n\n")
        rows = []
        for _, c in comparison.iterrows():
            rows.append([f"`{c['task']}`", common.label(c["variant"]), c["theirs_model"], common.fmt(c["ours"], 3),
                         f"{c['theirs']:.3f}", "yes" if c["agree"] else "**no**", c["objective"]])
        parts.append(common.md_table(["task", "ours", "theirs", "our best", "their best",
                                      f"same side of {common.THRESHOLD}", "our objective"], rows))
        context = []
        for variant, theirs_model in published.GRAZZI_CONTEXT.items():
            if variant in variants:
                nums = ", ".join(f"{t} {v:.3f}" for t, v in published.GRAZZI_TABLE3[theirs_model].items())
                context.append(f"{common.label(variant)} ~ {theirs_model} ({nums})")
        if context:
            parts.append("\nContext only (a related model, not the same): " + "; ".join(context) + ".\n")
    return "".join(parts)


def table(frame):
    """The markdown table alone (no figure)."""
    return markdown(frame)


def make(frame, out_png):
    draw(frame, out_png)
    return markdown(frame), scores(frame)


def main(argv):
    return common.figure_main(argv, make, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
