#!/usr/bin/env python3
"""The RWKV-7 knob ablation (released, rate (0,2), stable rate, unclamped decay): scaled
accuracy versus test length per task and depth, and beside it what each model did with its
spectrum (the inspect columns: fraction of tokens whose special eigenvalue lambda* < -0.9 and
< -1, and the growth of the WKV state norm from the training length to the longest test).
Also the table of both, with the theory's prediction per cell.

usage: fig_knobs.py RESULTS_CSV OUT_PNG [OUT_MD]
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import common  # noqa: E402
import theory  # noqa: E402

OVERFLOW_BAR = 1e12  # where a state-norm ratio of inf (the state overflowed fp32) is drawn
INSPECT = ["lambda_frac_below_m09", "lambda_frac_below_m1", "lambda_min", "state_norm_ratio"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]


def has_inspect(frame):
    return all(c in frame.columns for c in INSPECT) and frame[INSPECT].notna().any().any()


def run_table(frame):
    """One row per run: its cell, scaled accuracy at 4x the training length, and the inspect
    columns (one value per run: the first one found on any of its rows)."""
    done = common.done_rows(frame)
    at4x = common.four_x_rows(done).set_index("run_id")["scaled_acc"]
    runs = done[done["eval"] == "train"].copy()
    runs["scaled_4x"] = runs["run_id"].map(at4x)
    for column in INSPECT:
        if column not in runs.columns:
            runs[column] = float("nan")
        else:  # the first value a run has on any of its rows
            runs[column] = runs["run_id"].map(done.groupby("run_id")[column].first())
    return runs


def cell_table(frame):
    """One row per (task, variant, layers): median/min/max of the 4x accuracy, medians of the
    inspect columns, the prediction and rule."""
    runs = run_table(frame)
    keys = ["task", "variant", "layers"]
    rows = []
    for key, cell in runs.groupby(keys):
        prediction, rule = theory.predict(cell.iloc[0])
        record = dict(zip(keys, key))
        record.update({"median": cell["scaled_4x"].median(), "min": cell["scaled_4x"].min(),
                       "max": cell["scaled_4x"].max(), "seeds": int(cell["scaled_4x"].notna().sum()),
                       "prediction": prediction, "rule": rule})
        for column in INSPECT:
            values = cell[column].dropna()
            record[column] = values.median() if len(values) else float("nan")
        record["solved"] = bool(record["median"] >= common.THRESHOLD)
        rows.append(record)
    return pd.DataFrame(rows)


def draw(frame, out_png):
    done = common.done_rows(frame)
    tasks = common.task_order(frame)
    variants = common.variants_in(frame)
    layer_values = sorted(int(x) for x in done["layers"].unique())
    ncols = max(len(tasks), 4)  # the bottom row holds three spectrum panels and the legend
    nrows = len(layer_values) + 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.5 * ncols, 2.7 * nrows + 0.8), squeeze=False)
    handles = {}
    for r in range(len(layer_values)):
        for ax in axes[r][len(tasks):]:
            ax.axis("off")
    for r, layers in enumerate(layer_values):
        for c, task in enumerate(tasks):
            ax = axes[r][c]
            sub = done[(done["task"] == task) & (done["layers"] == layers)]
            train_max = int(sub["train_max_len"].max()) if len(sub) else 1
            for variant in variants:
                rows = sub[sub["variant"] == variant].copy()
                if rows.empty:
                    continue
                rows["x"] = [train_max if e == "train" else int(l) for e, l in zip(rows["eval"], rows["eval_max_len"])]
                s = rows.groupby("x")["scaled_acc"].agg(["median", "min", "max"]).reset_index()
                colour, marker, line = common.style(variant)
                handles[variant] = ax.errorbar(s["x"], s["median"], yerr=[s["median"] - s["min"], s["max"] - s["median"]],
                                               color=colour, marker=marker, linestyle=line, markersize=4,
                                               linewidth=1.2, elinewidth=0.8, capsize=2)
            ax.set_xscale("log", base=2)
            lengths = sorted(int(x) for x in sub[sub["eval"] == "test"]["eval_max_len"].unique())
            ax.set_xticks([train_max] + lengths)
            ax.set_xticklabels([f"≤{train_max}"] + [str(x) for x in lengths], fontsize=7)
            ax.set_ylim(-0.05, 1.05)
            ax.axhline(common.THRESHOLD, color="#777777", linewidth=0.6, linestyle=":")
            ax.set_title(f"{task}, {layers} layer{'s' if layers > 1 else ''}", fontsize=8)
            if c == 0:
                ax.set_ylabel("scaled accuracy", fontsize=8)
            ax.grid(alpha=0.25)
    bottom = axes[-1]
    if has_inspect(frame):
        cells = cell_table(frame)
        panels = [("lambda_frac_below_m09", "tokens with λ* < −0.9 (fraction)", False),
                  ("lambda_frac_below_m1", "tokens with λ* < −1 (fraction)", False),
                  ("state_norm_ratio", "state norm: longest test / train", True)]
        for ax, (column, title, log) in zip(bottom, panels):
            width = 0.8 / max(1, len(tasks))
            for t, task in enumerate(tasks):
                values = []
                for variant in variants:
                    hit = cells[(cells["task"] == task) & (cells["variant"] == variant)]
                    values.append(hit[column].median() if len(hit) else float("nan"))
                xs = [i + (t - (len(tasks) - 1) / 2) * width for i in range(len(variants))]
                if log:  # an fp32 overflow of the state is an infinite ratio: a capped bar marked ∞
                    for x, v in zip(xs, values):
                        if v == float("inf"):
                            ax.text(x, OVERFLOW_BAR, "∞", ha="center", va="bottom", fontsize=7)
                    values = [OVERFLOW_BAR if v == float("inf") else v for v in values]
                ax.bar(xs, values, width=width, color=["#dddddd", "#999999", "#555555", "#bbbbbb"][t % 4],
                       edgecolor="black", linewidth=0.5, hatch=HATCHES[t % len(HATCHES)], label=task)
            ax.set_xticks(range(len(variants)))
            ax.set_xticklabels([common.label(v) for v in variants], rotation=30, ha="right", fontsize=7)
            ax.set_title(title, fontsize=8)
            if log:
                ax.set_yscale("log")
            ax.grid(alpha=0.25, axis="y")
        for ax in bottom[len(panels):]:
            ax.axis("off")
        bars, names = bottom[0].get_legend_handles_labels()
        bottom[len(panels)].legend(bars, names, fontsize=7, loc="center left", title="task (bars: median\nover seeds and depths)",
                                   title_fontsize=7, frameon=False)
    else:
        for ax in bottom:
            ax.axis("off")
        bottom[0].text(0, 0.5, "no inspect columns in results.csv (a study without inspect = true):\n"
                       "the eigenvalue summary is missing", fontsize=8, transform=bottom[0].transAxes)
    fig.legend([handles[v] for v in variants if v in handles], [common.label(v) for v in variants if v in handles],
               loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle("RWKV-7 knobs one at a time: scaled accuracy versus test length (median, bars worst to best "
                 "seed), and the spectrum used", fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    common.save_figure(fig, out_png)
    plt.close(fig)


def markdown(frame):
    cells = cell_table(frame)
    tasks = common.task_order(frame)
    variants = common.variants_in(frame)
    inspect = has_inspect(frame)
    header = ["task", "model", "layers", "scaled at 4×: median [min–max]", "prediction"]
    if inspect:
        header += ["λ* < −0.9", "λ* < −1", "min λ*", "state norm ratio"]
    rows = []
    for task in tasks:
        for variant in variants:
            for _, c in cells[(cells["task"] == task) & (cells["variant"] == variant)].sort_values("layers").iterrows():
                row = [f"`{task}`", common.label(variant), int(c["layers"]),
                       f"{common.fmt(c['median'])} [{common.fmt(c['min'])}–{common.fmt(c['max'])}]",
                       f"{c['prediction']} ({c['rule']})"]
                if inspect:
                    row += [common.fmt(c["lambda_frac_below_m09"], 3), common.fmt(c["lambda_frac_below_m1"], 3),
                            common.fmt(c["lambda_min"], 3), common.fmt(c["state_norm_ratio"], 1)]
                rows.append(row)
    note = ("Inspect columns: medians over seeds of each run's fraction of test tokens whose special "
            "eigenvalue λ* lies below −0.9 and below −1, the smallest λ*, and the WKV state norm at the "
            "longest test length over the norm at the training length.\n\n" if inspect else
            "No inspect columns in this results.csv (the eigenvalue summary needs a study with inspect = true).\n\n")
    return note + common.md_table(header, rows)


def table(frame):
    """The markdown table alone (no figure)."""
    return markdown(frame)


def make(frame, out_png):
    draw(frame, out_png)
    return markdown(frame), cell_table(frame)


def main(argv):
    return common.figure_main(argv, make, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
