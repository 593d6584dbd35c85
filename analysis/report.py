#!/usr/bin/env python3
"""Writes OUT/REPORT.md, the reproduction report, from sweep results only: every figure and
table (analysis/fig_*.py), the verdict on each claim with its threshold and cells
(analysis/verdicts.py), the disagreements with their likely causes, the rule table
(analysis/theory.py), budgets, machine, date, code version, the commands that reproduce it and
a `sweep slurm` command for each study at paper size. Generated, never edited by hand.

usage: report.py STUDY_DIR_OR_CSV... --out DIR [--machine TEXT] [--date YYYY-MM-DD]
"""
import argparse
import datetime
import os
import platform
import shutil
import sys

import common
import fig_knobs
import fig_ladder
import fig_length_generalisation
import fig_min_layers
import theory
import verdicts

# Every study the report knows, in the order it shows them: (name, section title, figure
# script module, what the figure is).
STUDIES = [
    ("ladder", "The expressivity ladder", fig_ladder,
     "scaled accuracy at 4× the training length per task (rows, ordered by algebra) and model × depth "
     "(columns), with the theory's prediction in every cell"),
    ("min-layers", "Minimum layers versus length (Merrill et al. 2024, Fig. 3)", fig_min_layers,
     "the minimum number of layers reaching sequence accuracy ≥ 0.9, per group and model"),
    ("length-generalisation", "Length generalisation (Grazzi et al. 2024, Table 3; Delétang et al. 2023)",
     fig_length_generalisation, "scaled accuracy versus test length per task, trained on 3..40"),
    ("knobs", "RWKV-7 knobs, one at a time", fig_knobs,
     "accuracy versus length per task for each RWKV-7 knob, with the eigenvalues used and the state norm growth"),
]
BUDGET_FIELDS = ["objective", "layers", "dim", "head_size", "steps", "batch_size", "lr", "weight_decay",
                 "warmup", "train_len", "eval_lengths", "train_size", "target_acc"]
SLURM_TIME = {"ladder": "12:00:00", "min-layers": "48:00:00", "length-generalisation": "12:00:00",
              "knobs": "12:00:00"}


def machine_text():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


def distinct(frame, column):
    values = frame[column].dropna().unique()
    return ", ".join(str(v) for v in sorted(values, key=lambda v: (str(type(v)), v)))


def budget_table(data):
    header = ["study", "size", "runs (failed)", "seeds", "models", "tasks", "run time"] + BUDGET_FIELDS
    rows = []
    for name, frame in data.items():
        runs = frame.drop_duplicates("run_id")
        failed = int((runs["status"] == "failed").sum())
        hours = runs["wall_seconds"].fillna(0).sum() / 3600
        row = [name, distinct(frame, "size") or "-", f"{len(runs)} ({failed})", distinct(frame, "seed"),
               len(runs["variant"].unique()), len(runs["task"].unique()), f"{hours:.2f} h"]
        for field in BUDGET_FIELDS:
            row.append(distinct(runs, field) if field in runs.columns else "")
        rows.append(row)
    return common.md_table(header, rows)


def load(paths):
    data = {}
    for path in paths:
        frame = common.load_results(path)
        names = sorted(set(frame["study"].dropna()))
        if len(names) != 1:
            raise SystemExit(f"error: {path}: expected the results of one study, found {names or 'none'}")
        if names[0] in data:
            raise SystemExit(f"error: two results for study '{names[0]}' ({path}); pass one size per study")
        data[names[0]] = frame
    known = [s[0] for s in STUDIES]
    return {name: data[name] for name in known if name in data} | {k: v for k, v in data.items() if k not in known}


def copy_results(paths, data, out):
    """OUT/results/<study>-<size>.csv: the tables the report was made from, beside it."""
    os.makedirs(os.path.join(out, "results"), exist_ok=True)
    copied = {}
    for path in paths:
        source = os.path.join(path, "results.csv") if os.path.isdir(path) else path
        frame = common.load_results(source)
        study, size = str(frame["study"].iloc[0]), str(frame["size"].iloc[0]) if frame["size"].notna().any() else ""
        name = f"{study}-{size}.csv" if size and size != "nan" else f"{study}.csv"
        target = os.path.join(out, "results", name)
        if not (os.path.exists(target) and os.path.samefile(source, target)):
            shutil.copyfile(source, target)
        copied[study] = os.path.join("results", name)
    return copied


STUDY_FILES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments", "studies")


def protocol_text(name):
    """The header comment of experiments/studies/<name>.toml (its sources, sizes, deviations from
    the published protocol and time estimate), or None without the file."""
    path = os.path.join(STUDY_FILES, name + ".toml")
    if not os.path.exists(path):
        return None
    lines = []
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                break
            lines.append(line[1:].rstrip("\n")[1:] if line.startswith("# ") else line[1:].rstrip("\n"))
    return "\n".join(lines)


def protocol_section(data):
    parts = ["Each study's header in experiments/studies/, verbatim: where its numbers come from, what "
             "each size changes, and how the paper size deviates from the published protocol.\n"]
    for name in data:
        text = protocol_text(name)
        if text:
            parts.append(f"\n**{name}** (`experiments/studies/{name}.toml`)\n\n```text\n{text}\n```\n")
    return "".join(parts)


def verdict_section(results):
    parts = ["| # | verdict | claim | source | threshold | why |\n|---|---|---|---|---|---|\n"]
    for i, v in enumerate(results, 1):
        parts.append(f"| {i} | **{v.verdict}** | {v.statement} | {v.source} | {v.threshold} | {v.reason} |\n")
    parts.append("\nThe cells behind each verdict (study: task · model · depth: median [min–max] over seeds, "
                 "and the prediction with its rule):\n")
    for i, v in enumerate(results, 1):
        parts.append(f"\n**{i}. {v.claim}** — {v.verdict}.")
        parts.append("\n\n" + "".join(f"- {line}\n" for line in v.cells) if v.cells else "\n")
    return "".join(parts)


def commands(data, copied, out):
    sizes = {name: (str(frame["size"].dropna().iloc[0]) if frame["size"].notna().any() else "quick")
             for name, frame in data.items()}
    lines = ["```sh", "scripts/build gooselab", "G=build/experiments/gooselab"]
    dirs = []
    for name, size in sizes.items():
        lines.append(f"$G sweep run {name} --size {size} --jobs 2      # resumable; writes runs/sweeps/{name}-{size}")
        dirs.append(f"runs/sweeps/{name}-{size}")
    name = os.path.basename(os.path.normpath(out)) or out
    lines.append(f"$G report {' '.join(dirs)} --out {name}")
    lines.append("```")
    lines.append("\nOr all of it: `scripts/paper` (quick size; `scripts/paper --size paper`). "
                 "The report also regenerates from the copies of the tables beside it: "
                 f"`$G report {' '.join(name + '/' + copied[n] for n in data if n in copied)} --out {name}`.\n")
    return "\n".join(lines) + "\n"


def slurm_section():
    lines = ["Each study at paper size as Slurm job arrays (one array per wave of a minimum-layers search; "
             "`--submit` calls sbatch, without it the scripts are written to DIR/slurm/ for inspection). "
             "On a GPU partition add `--gpus 1`. Then `gooselab sweep status DIR` and, when done, "
             "`gooselab sweep collect DIR` and the report.\n", "```sh"]
    for name, *_ in STUDIES:
        lines.append(f"gooselab sweep slurm {name} --size paper --out runs/sweeps/{name}-paper "
                     f"--time {SLURM_TIME[name]} --cpus-per-task 4 --submit")
    lines.append("```")
    return "\n".join(lines) + "\n"


def write_report(paths, out, machine, date, draw=True):
    """Writes OUT/REPORT.md (and, with draw, the figures); returns the text."""
    data = load(paths)
    os.makedirs(os.path.join(out, "figures"), exist_ok=True)
    copied = copy_results(paths, data, out)
    results = verdicts.evaluate(data)
    versions = sorted(set(str(v) for frame in data.values() for v in frame["code_version"].dropna().unique()))
    counts = []
    for name, frame in data.items():
        runs = frame.drop_duplicates("run_id")
        size = distinct(frame, "size") or "-"
        counts.append(f"{name} ({size}, {len(runs)} runs)")
    doc = ["# gooselab: the RWKV-7 paper's expressivity claims, measured\n",
           "<!-- Generated by analysis/report.py (`gooselab report` / `scripts/paper`) from the results tables "
           "listed below. Do not edit: regenerate. -->\n",
           f"Generated on {date}; machine: {machine}. Code version of the runs: {', '.join(versions) or 'unknown'}. "
           f"Studies: {', '.join(counts)}. Every number below is computed from the results tables in `results/` "
           "(one row per run and evaluation length, written by `gooselab sweep collect`).\n",
           "Each claim of REFERENCE.md §3 and of the RWKV-7 paper gets a verdict computed from the data with a "
           "threshold fixed before the studies ran (analysis/verdicts.py): *supported* (the predicted-impossible "
           "cells stay unsolved while a predicted-possible cell of the same kind is solved, so the budget could "
           "tell them apart), *contradicted* (a cell does what the claim rules out), *not decided at this budget* "
           "(nothing contradicts it, but the budget does not separate the cells), *not tested* (no cell of that "
           "kind in these studies). A failure where the theory predicts success is never a contradiction: the "
           "theory says what a model can represent, not what training finds.\n",
           "## Verdicts\n", verdict_section(results),
           "\n## Disagreements and their likely causes\n"]
    found = verdicts.disagreements(data)
    doc.append("".join(line + "\n" for line in found) if found else "None: every cell agrees with its prediction "
               "where the theory makes one.\n")
    limits = verdicts.budget_limits(data)
    doc.append("\n## Where the budget is the limit\n\nTasks no model solves at this size: a finding about the "
               "budget, not about the theory (the paper size has the published budgets).\n\n" +
               ("".join(line + "\n" for line in limits) if limits else "None: every task is solved by some model.\n"))
    for name, title, module, what in STUDIES:
        if name not in data:
            continue
        png = os.path.join("figures", f"{name}.png")
        table = module.make(data[name], os.path.join(out, png))[0] if draw else module.table(data[name])
        doc.append(f"\n## {title}\n\n![{name}]({png})\n\n*Figure: {what}.* "
                   f"Made by `analysis/{module.__name__}.py {copied.get(name, 'results.csv')} {png}`.\n\n{table}")
    doc.append("\n## The theory's predictions\n\nEach cell's prediction comes from the task's algebra columns "
               "(group kind, derived length, input periods, computed by automata/) and the model's eigenvalue "
               "class, by the first matching rule of analysis/theory.py:\n\n" + theory.rule_table_markdown())
    doc.append("\n## Protocols and deviations\n\n" + protocol_section(data))
    doc.append("\n## Budgets\n\n" + budget_table(data) +
               "\nRun time: the sum of the runs' wall-clock seconds (two runs shared the machine at a time "
               "with `--jobs 2`). The study files in experiments/studies/ give each size's reasons, its deviations "
               "from the published protocols and its time estimate.\n")
    doc.append("\n## Reproduce\n\n" + commands(data, copied, out))
    doc.append("\n## On a cluster: the paper sizes\n\n" + slurm_section())
    text = "\n".join(part.rstrip("\n") + "\n" for part in doc)
    common.write_atomic(os.path.join(out, "REPORT.md"), text)
    return text


def main(argv):
    parser = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("studies", nargs="+", help="sweep directories (or their results.csv)")
    parser.add_argument("--out", required=True, help="output folder (REPORT.md, figures/, results/)")
    parser.add_argument("--machine", default=None, help="machine description (default: this machine)")
    parser.add_argument("--date", default=None, help="date (default: today, UTC)")
    args = parser.parse_args(argv[1:])
    for path in args.studies:
        if not os.path.exists(path) or (os.path.isdir(path) and not os.path.exists(os.path.join(path, "results.csv"))):
            print(f"error: {path}: no results.csv (run `gooselab sweep collect {path}` first)", file=sys.stderr)
            return 2
    machine = args.machine or machine_text()
    date = args.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    write_report(args.studies, args.out, machine, date)
    print(f"report: {os.path.join(args.out, 'REPORT.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
