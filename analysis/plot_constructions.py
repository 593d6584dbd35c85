#!/usr/bin/env python3
"""Exact constructions versus trained models: sequence accuracy versus length, one panel per
task, from the JSON that `gooselab eval --json` prints (scripts/constructions saves them as
EVAL_DIR/<run>-<what>.json). Series by file name: <construction>-relaxed-* (the construction
as built), <construction>-released-* (the same weights under the released rate range) and
trained-* (a trained model); --trained adds the best variant per task of a sweep's results.csv.
An eval made with `--precision bf16` (its JSON says so) is its own series, "relaxed-bf16".
Also writes a markdown table (--table): per construction, the longest length evaluated with
sequence accuracy 1.0 and the strings behind it (in fp32, and in bf16 where measured), the first
length where the released rate range falls below 1, and the construction's layers and width
(from the run's construction.json: the first of the run directories the series' JSONs name
that still exists, else EVAL_DIR/../<construction>-relaxed, where scripts/constructions builds
it, so evaluations copied in from another run directory still find their construction).

usage: plot_constructions.py EVAL_DIR OUT_PNG [--table OUT_MD] [--trained RESULTS_CSV]
                             [--tasks SPEC,SPEC,...]
"""
import argparse
import csv
import glob
import json
import os
import sys
from collections import defaultdict

import common

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DEFAULT_TASKS = ["group:S5@transpositions", "parity", "tomita:3"]


def series_of(path):
    """(series name, variant) from a file name: ('s5', 'relaxed'), ('trained-s5', 'trained')."""
    stem = os.path.basename(path)[: -len(".json")]
    if stem.startswith("trained-"):
        return stem.rsplit("-", 1)[0], "trained"
    for variant in ("relaxed", "released"):
        marker = "-" + variant
        if marker in stem:
            return stem[: stem.index(marker)], variant
    return stem, "other"


def load_evals(eval_dir):
    """{task: {(series, variant): {"points": {length: (seq_acc, count)}, "runs": [dir, ...]}}}:
    the run directories in the order the files name them."""
    out = defaultdict(dict)
    for path in sorted(glob.glob(os.path.join(eval_dir, "*.json"))):
        with open(path) as f:
            data = json.load(f)
        if "lengths" not in data or "task" not in data:
            continue
        key = series_of(path)
        if data.get("precision", "fp32") != "fp32":
            key = (key[0], f"{key[1]}-{data['precision']}")
        entry = out[data["task"]].setdefault(key, {"points": {}, "runs": []})
        if data.get("run") and data["run"] not in entry["runs"]:
            entry["runs"].append(data["run"])
        for p in data["lengths"]:
            if "length" not in p:
                continue
            old = entry["points"].get(p["length"])
            if old is None or p["count"] > old[1]:  # the larger sample wins
                entry["points"][p["length"]] = (p["seq_acc"], p["count"])
    return out


def load_trained_csv(path):
    """{task: {variant: {length: best seq_acc over runs}}}, test rows of a sweep's results.csv."""
    out = defaultdict(lambda: defaultdict(dict))
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("eval_min_len") != row.get("eval_max_len") or not row.get("seq_acc"):
                continue
            length, acc = int(row["eval_min_len"]), float(row["seq_acc"])
            curve = out[row["task"]][row.get("variant") or row.get("arch", "?")]
            curve[length] = max(acc, curve.get(length, 0.0))
    return out


def best_variant(curves):
    """The variant whose curve has the largest mean sequence accuracy."""
    return max(curves.items(), key=lambda kv: sum(kv[1].values()) / max(1, len(kv[1])))


def construction_info(run_dirs):
    """The first construction.json among run_dirs; {} when none has one."""
    for run_dir in run_dirs:
        path = os.path.join(run_dir, "construction.json")
        if run_dir and os.path.exists(path):
            with open(path) as f:
                return json.load(f)
    return {}


def longest_perfect(points):
    """'LENGTH (STRINGS)': the longest length with sequence accuracy 1.0 before the first failure."""
    perfect = [(n, c) for n, (acc, c) in points if acc == 1.0]
    if len(perfect) == len(points) and perfect:
        return f"{perfect[-1][0]} ({perfect[-1][1]})"
    first_bad = next(n for n, (acc, _) in points if acc < 1.0)
    ok = [x for x in perfect if x[0] < first_bad]
    return f"{ok[-1][0]} ({ok[-1][1]})" if ok else "-"


def table(evals, eval_dir):
    """Markdown rows: per construction series (relaxed), what it reached; bf16 and released beside it."""
    header = ["construction", "task", "kind", "layers", "width",
              "longest length with seq acc 1.0 (strings)", "lengths from 1000 tested (strings)",
              "bf16: longest length with seq acc 1.0 (strings)", "released rate: first length below 1"]
    rows = []
    for task in sorted(evals):
        for (series, variant), entry in sorted(evals[task].items()):
            if variant != "relaxed":
                continue
            points = sorted(entry["points"].items())
            reached = longest_perfect(points)
            bf16 = evals[task].get((series, "relaxed-bf16"))
            bf16_reached = longest_perfect(sorted(bf16["points"].items())) if bf16 else "not measured"
            tested = ", ".join(f"{n} ({c})" for n, (_, c) in points if n >= 1000) or "-"
            released = evals[task].get((series, "released"))
            broke = "-"
            if released:
                below = [n for n, (acc, _) in sorted(released["points"].items()) if acc < 1.0]
                broke = str(below[0]) if below else "none up to %d" % max(released["points"])
            beside = os.path.join(os.path.dirname(os.path.abspath(eval_dir)), f"{series}-relaxed")
            info = construction_info(entry["runs"] + [beside])
            rows.append([series, f"`{task}`", info.get("kind", "?"), info.get("layers", "?"),
                         info.get("dim", "?"), reached, tested, bf16_reached, broke])
    return common.md_table(header, rows)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("eval_dir")
    parser.add_argument("out_png")
    parser.add_argument("--table", help="write the markdown table here")
    parser.add_argument("--trained", help="a sweep's results.csv: the best variant per task is drawn")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS), help="task specs, one panel each")
    args = parser.parse_args(argv[1:])

    evals = load_evals(args.eval_dir)
    if not evals:
        print(f"plot_constructions: no eval JSON in {args.eval_dir}", file=sys.stderr)
        return 2
    trained_csv = load_trained_csv(args.trained) if args.trained else {}
    tasks = [t for t in args.tasks.split(",") if t in evals or t in trained_csv]
    if not tasks:
        print("plot_constructions: none of the tasks has data: " + args.tasks, file=sys.stderr)
        return 2

    styles = {"relaxed": "-", "relaxed-bf16": "-.", "released": "--", "trained": ":", "other": "-."}
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for (series, variant), entry in sorted(evals.get(task, {}).items()):
            points = sorted(entry["points"].items())
            label = {"relaxed": f"{series}: constructed, relaxed a",
                     "relaxed-bf16": f"{series}: constructed, relaxed a, bf16 products",
                     "released": f"{series}: constructed, released a",
                     "trained": f"{series[len('trained-'):]}: trained RWKV-7 (a in (0,2))"}.get(variant, series)
            ax.plot([n for n, _ in points], [a for _, (a, _) in points], styles.get(variant, "-."), marker="o",
                    markersize=3, label=label)
        if task in trained_csv:
            variant, curve = best_variant(trained_csv[task])
            points = sorted(curve.items())
            ax.plot([n for n, _ in points], [a for _, a in points], ":", marker="s", markersize=3,
                    label=f"trained {variant} (best of results.csv)")
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("length (symbols)")
        ax.set_ylabel("sequence accuracy")
        ax.set_title(task)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=7)
    fig.suptitle("exact constructions (CPU kernel; fp32 unless marked bf16) against the released rate range and training")
    fig.tight_layout()
    fig.savefig(args.out_png, dpi=120)
    if args.table:
        with open(args.table, "w") as f:
            f.write(table(evals, args.eval_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
