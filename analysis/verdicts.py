#!/usr/bin/env python3
"""A verdict for each claim of REFERENCE.md §3 and the RWKV-7 paper, computed from the sweeps'
results.csv with thresholds fixed here before any study ran: "supported", "contradicted",
"not decided at this budget" or "not tested", each with the cells behind it. Also the list of
disagreements (a cell against its prediction, ours against a published number) with the
likely cause. Exports THRESHOLDS, CLAIMS, evaluate(), disagreements().

usage: verdicts.py STUDY_DIR...   (prints the verdict table as markdown)
"""
import sys
from dataclasses import dataclass, field
from typing import Callable, List

import pandas as pd

import common
import fig_knobs
import fig_ladder
import fig_length_generalisation
import fig_min_layers
import theory

SUPPORTED, CONTRADICTED, UNDECIDED, UNTESTED = (
    "supported", "contradicted", "not decided at this budget", "not tested")

# Fixed before any study ran; the report prints them beside each verdict.
THRESHOLDS = {
    "solved": common.THRESHOLD,   # median over seeds of the scaled accuracy at 4x the training length
    "lambda_use": 0.1,            # a run "uses" lambda* near -1: >= 10% of its test tokens below -0.9
    "below_m1_use": 0.01,         # a run uses lambda* < -1: >= 1% of its test tokens
    "growth": 100.0,              # state norm at the longest test length >= 100x that at the training length
}
SOLVED_TEXT = (f"solved = median over 3 seeds ≥ {THRESHOLDS['solved']} of the scaled accuracy at 4× the training "
               "length (ladder, knobs) or of its mean over the test lengths up to 256 (length generalisation)")
TC0 = {"transformer", "dssm", "dssm-signed", "dssm-complex", "dssm-complex-unit"}


@dataclass
class Verdict:
    claim: str
    statement: str
    source: str
    threshold: str
    verdict: str
    reason: str
    cells: List[str] = field(default_factory=list)


@dataclass
class Claim:
    id: str
    statement: str
    source: str
    threshold: str
    evaluate: Callable[[dict], tuple]  # data -> (verdict, reason, cell lines)


def cell_line(c):
    text = (f"{c['study']}: `{c['task']}` · {common.label(c['variant'])} · {int(c['layers'])} "
            f"layer{'s' if int(c['layers']) > 1 else ''}: {common.fmt(c['median'])} "
            f"[{common.fmt(c['min'])}–{common.fmt(c['max'])}], predicted {c['prediction']} ({c['rule']})")
    return text


def sorted_lines(frame, limit=10):
    """Cell lines, solved first, at most `limit`, with a count of the rest."""
    if frame.empty:
        return []
    ordered = frame.sort_values(["solved", "median"], ascending=[False, False])
    lines = [cell_line(c) for _, c in ordered.head(limit).iterrows()]
    if len(ordered) > limit:
        lines.append(f"… and {len(ordered) - limit} more (tables below)")
    return lines


def headed(title, frame, limit=10):
    """A heading line (in italics) and the cell lines under it; nothing for no cells."""
    lines = sorted_lines(frame, limit)
    return [f"*{title[0].upper() + title[1:]}*"] + lines if lines else []


def contrast(cells, negative, positive, n_words, p_words):
    """The verdict of a contrast claim: `negative` cells (predicted no) must stay unsolved; at
    least one `positive` cell (predicted yes) solved shows the budget could solve the task kind."""
    cells = cells[cells["median"].notna()]
    neg = cells[negative(cells) & (cells["prediction"] == theory.NO)]
    pos = cells[positive(cells) & (cells["prediction"] == theory.YES)]
    if neg.empty and pos.empty:
        return UNTESTED, "no cell of this kind in the data", []
    solved_neg = neg[neg["solved"]]
    if not solved_neg.empty:
        return (CONTRADICTED, f"{len(solved_neg)} of {len(neg)} {n_words} solved",
                headed(f"{n_words}, solved:", solved_neg) + headed(f"{p_words}, solved:", pos[pos["solved"]], 3))
    solved_pos = pos[pos["solved"]]
    lines = headed(f"{p_words}, solved:", solved_pos, 5) + headed(f"{n_words} (best first):", neg, 6)
    if neg.empty:
        return UNDECIDED, f"no {n_words} in the data", lines
    if solved_pos.empty:
        return (UNDECIDED, f"all {len(neg)} {n_words} unsolved, but so are all {len(pos)} {p_words}: "
                "the budget does not separate them", lines)
    return (SUPPORTED, f"all {len(neg)} {n_words} unsolved while {len(solved_pos)} of {len(pos)} "
            f"{p_words} are solved", lines)


def prediction_cells(data):
    """Ladder and knobs cells, one frame, tagged by study."""
    frames = []
    if "ladder" in data:
        cells = fig_ladder.ladder_cells(data["ladder"])
        cells["study"] = "ladder"
        frames.append(cells)
    if "length-generalisation" in data:
        frame = data["length-generalisation"]
        cells = fig_length_generalisation.scores(frame)
        cells["max"] = cells["best"]
        cells["solved"] = cells["median"] >= common.THRESHOLD
        firsts = frame.drop_duplicates("task").set_index("task")
        for column in ("group_kind", "derived_length", "inputs_period_le2", "task_class"):
            cells[column] = cells["task"].map(firsts[column])
        cells["study"] = "length-generalisation"
        frames.append(cells)
    if "knobs" in data:
        cells = fig_knobs.cell_table(data["knobs"])
        firsts = data["knobs"].drop_duplicates("task").set_index("task")
        for column in ("group_kind", "derived_length", "inputs_period_le2", "task_class"):
            cells[column] = cells["task"].map(firsts[column])
        cells["study"] = "knobs"
        frames.append(cells)
    if not frames:
        return pd.DataFrame(columns=["study", "task", "variant", "layers", "median", "min", "max",
                                     "prediction", "rule", "solved", "group_kind", "derived_length",
                                     "inputs_period_le2", "task_class"])
    return pd.concat(frames, ignore_index=True)


def family(cells):
    return cells["variant"].map(theory.FAMILY)


# ---- the claims ----------------------------------------------------------------------------

def tc0(data):
    c = prediction_cells(data)
    return contrast(c, lambda x: x["variant"].isin(TC0) & (x["group_kind"] == "non-solvable"),
                    lambda x: x["group_kind"] == "non-solvable",
                    "Transformer / diagonal-SSM cells on non-solvable groups",
                    "cells predicted solvable on non-solvable groups (LSTM, RWKV-7 a∈(0,2) with reflections)")


def min_layer_pairs(data):
    """Per (non-solvable group, Transformer or diagonal-SSM variant): its minimum-layers series as
    text and whether it grows (more layers at the longest length than at the shortest), is flat
    (the same), or is unsolved at the shortest length (a budget limit)."""
    cells = fig_min_layers.min_layer_cells(data["min-layers"])
    firsts = data["min-layers"].drop_duplicates("task").set_index("task")
    cells["group_kind"] = cells["task"].map(firsts["group_kind"])
    pairs = cells[cells["variant"].isin(TC0) & (cells["group_kind"] == "non-solvable")]
    out = []
    for (task, variant), s in pairs.groupby(["task", "variant"]):
        s = s.sort_values("length")
        depth = [int(c["min_layers"]) if c["min_layers"] == c["min_layers"] and c["min_layers"] is not None
                 else c["tried"] + 1 for _, c in s.iterrows()]
        series = ", ".join(f"k={int(c['length'])}: " + (str(d) if d <= c["tried"] else f">{c['tried']}")
                           for d, (_, c) in zip(depth, s.iterrows()))
        first, last = s.iloc[0], s.iloc[-1]
        status = "budget" if depth[0] > first["tried"] else ("grows" if depth[-1] > depth[0] else "flat")
        out.append({"task": task, "variant": variant, "status": status,
                    "line": f"min-layers: `{task}` · {common.label(variant)}: {series}",
                    "lengths": f"{int(first['length'])}..{int(last['length'])}"})
    return out


def min_layers_grow(data):
    if "min-layers" not in data:
        return UNTESTED, "no min-layers study", []
    pairs = min_layer_pairs(data)
    if not pairs:
        return UNTESTED, "no Transformer or diagonal-SSM cell on a non-solvable group", []
    flat = [p["line"] for p in pairs if p["status"] == "flat"]
    grows = [p["line"] for p in pairs if p["status"] == "grows"]
    budget = [p["line"] + " (unsolved at the shortest length: budget)" for p in pairs if p["status"] == "budget"]
    if flat:
        return (CONTRADICTED, f"{len(flat)} model×group pairs need no more layers at the longest length "
                f"({pairs[0]['lengths'].split('..')[1]}) than at the shortest", flat + grows + budget)
    if grows:
        return SUPPORTED, f"every decided pair ({len(grows)}) needs more layers at the longest length", grows + budget
    return UNDECIDED, "no pair is solved at its shortest length", budget


def rnn_one_layer(data):
    if "min-layers" not in data:
        return UNTESTED, "no min-layers study", []
    cells = fig_min_layers.min_layer_cells(data["min-layers"])
    pick = cells[(cells["variant"] == "lstm") |
                 ((cells["variant"] == "rwkv7-a2") & (cells["task"] == "group:S5@transpositions"))]
    if pick.empty:
        return UNTESTED, "no LSTM or RWKV-7 a∈(0,2) on S5 with transpositions in the data", []
    more = pick[~(pick["min_layers"] == 1)]
    lines = [f"min-layers: `{c['task']}` · {common.label(c['variant'])} · k={int(c['length'])}: "
             + (f"{int(c['min_layers'])} layers" if c["min_layers"] == c["min_layers"] and c["min_layers"] is not None
                else f"unsolved up to {c['tried']}") for _, c in more.iterrows()]
    if more.empty:
        return SUPPORTED, f"all {len(pick)} cells solved with 1 layer", []
    return (UNDECIDED, f"{len(more)} of {len(pick)} cells need more than one layer or are unsolved: the claim is "
            "about what one layer can represent, so this is learnability or budget, not a contradiction", lines[:10])


def star_free(data):
    c = prediction_cells(data)
    return contrast(c, lambda x: x["variant"] == "dssm", lambda x: x["variant"] == "dssm",
                    "diagonal SSM (0,1) cells on tasks with a group", "diagonal SSM (0,1) cells on star-free tasks")


def parity_negative(data):
    c = prediction_cells(data)
    z2 = lambda x: x["group_kind"] == "elementary-abelian-2"
    return contrast(c, lambda x: z2(x) & (x["variant"] == "dssm"), lambda x: z2(x) & (x["variant"] == "dssm-signed"),
                    "diagonal SSM (0,1) cells on Z2-type tasks", "diagonal SSM (−1,1) cells on Z2-type tasks")


def mod3_complex(data):
    c = prediction_cells(data)
    ab = lambda x: x["group_kind"] == "abelian"
    return contrast(c, lambda x: ab(x) & x["variant"].isin(["dssm", "dssm-signed"]),
                    lambda x: ab(x) & x["variant"].isin(["dssm-complex", "dssm-complex-unit"]),
                    "real-diagonal cells on abelian (mod 3, mod 5) tasks", "complex-diagonal cells on them")


def complex_depth(data):
    c = prediction_cells(data)
    complex_ = lambda x: x["variant"].isin(["dssm-complex", "dssm-complex-unit"])
    return contrast(c, lambda x: complex_(x) & (x["rule"] == "C2"), lambda x: complex_(x) & (x["rule"] == "C3"),
                    "complex-diagonal cells with derived length > layers",
                    "complex-diagonal cells with derived length ≤ layers")


def one_layer_involutions(data):
    c = prediction_cells(data)
    rwkv = lambda x: family(x).isin(theory.RWKV) & (x["layers"] == 1)
    return contrast(c, lambda x: rwkv(x) & (x["rule"] == "R1"), lambda x: rwkv(x),
                    "one-layer RWKV-7 cells with an input of period ≥ 3",
                    "one-layer RWKV-7 cells whose inputs are reflections")


def two_layers_escape(data):
    c = prediction_cells(data)
    c = c[c["median"].notna()]
    pick = c[c["variant"].isin(["rwkv7-a2", "rwkv7-a2-unclamped"]) & (c["layers"] == 2)
             & ~c["inputs_period_le2"].map(theory._truthy) & (c["group_kind"] != "trivial")]
    if pick.empty:
        return UNTESTED, "no two-layer RWKV-7 a∈(0,2) cell with inputs of period ≥ 3", []
    solved = pick[pick["solved"]]
    if solved.empty:
        return UNDECIDED, f"none of {len(pick)} such cells solved (the claim is a possibility)", sorted_lines(pick)
    return SUPPORTED, f"{len(solved)} of {len(pick)} such cells solved", sorted_lines(pick)


def s5_one_layer(data):
    c = prediction_cells(data)
    s5 = lambda x: (x["task"] == "group:S5@transpositions") & (x["layers"] == 1)
    return contrast(c, lambda x: s5(x) & (x["variant"] == "rwkv7"),
                    lambda x: s5(x) & x["variant"].isin(["rwkv7-a2", "rwkv7-a2-unclamped"]),
                    "one-layer released RWKV-7 cells on S5 with transpositions",
                    "one-layer RWKV-7 a∈(0,2) cells on S5 with transpositions")


def released_no_reflection(data):
    c = prediction_cells(data)
    return contrast(c, lambda x: (x["variant"] == "rwkv7") & (x["rule"] == "R2"),
                    lambda x: x["variant"].isin(["rwkv7-a2", "rwkv7-a2-unclamped"]),
                    "released RWKV-7 cells on tasks whose letters have period ≥ 2",
                    "RWKV-7 a∈(0,2) cells predicted solvable")


def regular_four_layers(data):
    c = prediction_cells(data)
    c = c[c["median"].notna() & (c["rule"] == "R3")]
    if c.empty:
        return UNTESTED, "no RWKV-7 a∈(0,2) cell with 4 or more layers (the ladder's paper size has them)", []
    unsolved = c[~c["solved"]]
    if unsolved.empty:
        return SUPPORTED, f"all {len(c)} cells solved", sorted_lines(c, 5)
    return (UNDECIDED, f"{len(unsolved)} of {len(c)} cells unsolved: a construction exists, so this is learnability "
            "or budget", sorted_lines(unsolved))


def knob_runs(data):
    if "knobs" not in data or not fig_knobs.has_inspect(data["knobs"]):
        return None
    return fig_knobs.run_table(data["knobs"])


def relaxed_uses_minus_1(data):
    runs = knob_runs(data)
    if runs is None:
        return UNTESTED, "no knobs study with the inspect columns", []
    parity = runs[(runs["task"] == "parity")]
    a2 = parity[(parity["variant"] == "rwkv7-a2") & (parity["scaled_4x"] >= THRESHOLDS["solved"])]
    released = parity[(parity["variant"] == "rwkv7")]
    line = lambda r: (f"knobs: parity · {common.label(r['variant'])} · {int(r['layers'])} layers · seed {int(r['seed'])}: "
                      f"scaled {common.fmt(r['scaled_4x'])}, λ*<−0.9 on {common.fmt(r['lambda_frac_below_m09'], 3)} of tokens")
    if a2.empty:
        return UNDECIDED, "no RWKV-7 a∈(0,2) run solves parity at 4×", []
    low = a2[a2["lambda_frac_below_m09"] < THRESHOLDS["lambda_use"]]
    if not low.empty:
        return (CONTRADICTED, f"{len(low)} of {len(a2)} solving runs have fewer than {THRESHOLDS['lambda_use']} of "
                "their tokens with λ* < −0.9", [line(r) for _, r in low.iterrows()])
    released_solved = released[released["scaled_4x"] >= THRESHOLDS["solved"]]
    if not released_solved.empty:
        return (CONTRADICTED, f"{len(released_solved)} released RWKV-7 runs solve parity without λ* near −1",
                [line(r) for _, r in released_solved.iterrows()])
    return (SUPPORTED, f"all {len(a2)} solving a∈(0,2) runs put ≥ {THRESHOLDS['lambda_use']} of tokens below −0.9; "
            f"none of {len(released)} released runs solves parity", [line(r) for _, r in a2.head(6).iterrows()])


def stable_above_minus_1(data):
    runs = knob_runs(data)
    if runs is None:
        return UNTESTED, "no knobs study with the inspect columns", []
    stable = runs[runs["variant"] == "rwkv7-a2-stable"]
    if stable.empty:
        return UNTESTED, "no stable-rate runs", []
    below = stable[stable["lambda_frac_below_m1"] > 0]
    if not below.empty:
        return (CONTRADICTED, f"{len(below)} of {len(stable)} stable runs have tokens with λ* < −1",
                [f"knobs: `{r['task']}` · {int(r['layers'])} layers · seed {int(r['seed'])}: "
                 f"{common.fmt(r['lambda_frac_below_m1'], 4)} of tokens, min λ* {common.fmt(r['lambda_min'], 3)}"
                 for _, r in below.iterrows()])
    return SUPPORTED, f"no token of any of {len(stable)} stable runs has λ* < −1", []


def below_minus_1_grows(data):
    runs = knob_runs(data)
    if runs is None:
        return UNTESTED, "no knobs study with the inspect columns", []
    using = runs[runs["lambda_frac_below_m1"] >= THRESHOLDS["below_m1_use"]]
    if using.empty:
        return UNDECIDED, f"no run puts ≥ {THRESHOLDS['below_m1_use']} of its tokens below −1", []
    grown = using[using["state_norm_ratio"] >= THRESHOLDS["growth"]]
    lines = [f"knobs: `{r['task']}` · {common.label(r['variant'])} · {int(r['layers'])} layers · seed {int(r['seed'])}: "
             f"λ*<−1 on {common.fmt(r['lambda_frac_below_m1'], 3)}, state norm ×{common.fmt(r['state_norm_ratio'], 1)}"
             for _, r in (grown if len(grown) else using).head(6).iterrows()]
    if grown.empty:
        return UNDECIDED, f"none of {len(using)} runs using λ* < −1 grows its state ≥ {THRESHOLDS['growth']}×", lines
    return SUPPORTED, f"{len(grown)} of {len(using)} runs using λ* < −1 grow their state ≥ {THRESHOLDS['growth']}×", lines


def grazzi_published(data):
    if "length-generalisation" not in data:
        return UNTESTED, "no length-generalisation study", []
    frame = data["length-generalisation"]
    comparison = fig_length_generalisation.published_comparison(fig_length_generalisation.scores(frame))
    if comparison.empty:
        return UNTESTED, "no model and task shared with Grazzi et al. Table 3", []
    lines = [f"length-generalisation: `{c['task']}` · {common.label(c['variant'])}: ours {common.fmt(c['ours'], 3)}, "
             f"{c['theirs_model']} {c['theirs']:.3f}" + ("" if c["agree"] else " (other side of the threshold)")
             for _, c in comparison.iterrows()]
    disagree = comparison[~comparison["agree"]]
    same_protocol = set(comparison["objective"]) == {"accept-final"}
    if not same_protocol:
        return (UNDECIDED, f"{len(comparison) - len(disagree)} of {len(comparison)} on the same side of "
                f"{THRESHOLDS['solved']}, but this size scores every position (objective "
                f"{','.join(sorted(set(comparison['objective'])))}), the published numbers the final output", lines)
    if len(disagree):
        return CONTRADICTED, f"{len(disagree)} of {len(comparison)} on the other side of {THRESHOLDS['solved']}", lines
    return SUPPORTED, f"all {len(comparison)} on the same side of {THRESHOLDS['solved']}", lines


CLAIMS = [
    Claim("tc0", "Transformers and diagonal SSMs (TC⁰) cannot track a non-solvable group at unbounded length.",
          "Merrill, Petty, Sabharwal 2024; REFERENCE.md §3", SOLVED_TEXT, tc0),
    Claim("min-layers-grow", "Transformers and diagonal SSMs need more layers as the sequence grows on a "
          "non-solvable group.", "Merrill et al. 2024, Fig. 3",
          f"minimum layers with sequence accuracy ≥ {THRESHOLDS['solved']} at the training length, majority of "
          "3 seeds; compared at the shortest and longest length", min_layers_grow),
    Claim("rnn-one-layer", "An RNN (LSTM), and RWKV-7 a∈(0,2) on S5 with transpositions, need one layer at "
          "every length.", "Merrill et al. 2024, Fig. 3; RWKV-7 paper App. D",
          f"minimum layers with sequence accuracy ≥ {THRESHOLDS['solved']} at the training length, majority of 3 "
          "seeds, at every length tested", rnn_one_layer),
    Claim("star-free", "A diagonal SSM with eigenvalues in (0,1) follows only star-free languages.",
          "Sarrof et al. 2024", SOLVED_TEXT, star_free),
    Claim("parity-negative", "Parity (Z2-type tasks) needs a negative eigenvalue: (−1,1) yes, (0,1) no.",
          "Grazzi et al. 2024, Thm. 1", SOLVED_TEXT, parity_negative),
    Claim("mod3-complex", "Counting modulo 3 (abelian groups beyond Z2) needs complex eigenvalues.",
          "Grazzi et al. 2024, Thm. 2", SOLVED_TEXT, mod3_complex),
    Claim("complex-depth", "k layers of complex diagonal SSM follow exactly the groups of derived length ≤ k.",
          "Shakerinava et al. 2026", SOLVED_TEXT, complex_depth),
    Claim("one-layer-involutions", "One RWKV-7 layer follows a group only when every input is an involution "
          "(and does when each is a reflection).", "REFERENCE.md §3; RWKV-7 paper App. D", SOLVED_TEXT,
          one_layer_involutions),
    Claim("two-layers-escape", "Two RWKV-7 layers can follow inputs of period ≥ 3 (a product of two reflections "
          "is a rotation).", "REFERENCE.md §3", SOLVED_TEXT, two_layers_escape),
    Claim("s5-one-layer", "RWKV-7 tracks S5 in one layer (with a∈(0,2); transpositions as inputs), the released "
          "range cannot.", "RWKV-7 paper §4, App. D", SOLVED_TEXT, s5_one_layer),
    Claim("released-no-reflection", "Released RWKV-7 (λ* > −0.455) cannot follow a letter of period ≥ 2; "
          "a∈(0,2) can.", "RWKV-7 paper §4; REFERENCE.md §1", SOLVED_TEXT, released_no_reflection),
    Claim("regular-4-layers", "RWKV-7 (a∈(0,2)) recognises every regular language with 4 layers.",
          "RWKV-7 paper App. D, Thm. 3", SOLVED_TEXT, regular_four_layers),
    Claim("relaxed-uses-minus-1", "Where RWKV-7 a∈(0,2) solves parity it uses λ* near −1; released RWKV-7 "
          "does not solve it.", "REFERENCE.md §1",
          f"solved = a run's scaled accuracy at 4× the training length ≥ {THRESHOLDS['solved']}; uses λ* near −1 = ≥ {THRESHOLDS['lambda_use']} of its test "
          "tokens with λ* < −0.9", relaxed_uses_minus_1),
    Claim("stable-above-minus-1", "The stable rate a = (1+w)σ keeps λ* > −1 on every token.", "REFERENCE.md §1",
          "no test token with λ* < −1 in any stable run", stable_above_minus_1),
    Claim("below-minus-1-grows", "With λ* < −1 the state can grow exponentially with length.", "REFERENCE.md §1",
          f"a run using λ* < −1 (≥ {THRESHOLDS['below_m1_use']} of tokens) whose state norm at the longest test "
          f"length is ≥ {THRESHOLDS['growth']:g}× that at the training length", below_minus_1_grows),
    Claim("grazzi-table-3", "Our parity and modular-arithmetic scores match Grazzi et al.'s Table 3 for the "
          "shared models.", "Grazzi et al. 2024, Table 3",
          f"best of 3 seeds on the same side of {THRESHOLDS['solved']} as the published score", grazzi_published),
]


def evaluate(data):
    """data: study name -> results frame. Returns a list of Verdict, in CLAIMS order."""
    out = []
    for claim in CLAIMS:
        verdict, reason, cells = claim.evaluate(data)
        out.append(Verdict(claim.id, claim.statement, claim.source, claim.threshold, verdict, reason, cells))
    return out


def disagreements(data):
    """Markdown bullets: every cell against its prediction and every prediction not reached,
    each with its likely cause; and the published numbers we disagree with."""
    c = prediction_cells(data)
    c = c[c["median"].notna()]
    lines = []
    for _, cell in c[(c["prediction"] == theory.NO) & c["solved"]].iterrows():
        longest, at_longest = cell.get("longest"), cell.get("longest_median")
        if cell["study"] == "length-generalisation":
            cause = ("solved on average over the test lengths up to 256; the theory excludes unbounded lengths "
                     "only, so check it further out (paper size tests to 500)")
        elif longest == longest and at_longest == at_longest and longest > cell["length"]:
            if at_longest >= THRESHOLDS["solved"]:
                cause = (f"still solved at the longest length tested ({int(longest)}, {common.fmt(at_longest)}): "
                         "a real disagreement unless it breaks further out")
            else:
                cause = (f"not solved at the longest length tested ({int(longest)}, {common.fmt(at_longest)}): "
                         "a finite-length solution, which the theory allows")
        else:
            cause = ("the theory excludes unbounded lengths only; no longer length was tested here, so this may be "
                     "a finite-length solution (paper size tests further)")
        lines.append(f"- **against the prediction** {cell_line(cell)}. Likely cause: {cause}.")
    not_reached = c[(c["prediction"] == theory.YES) & ~c["solved"]]
    for _, cell in not_reached.iterrows():
        same = c[(c["study"] == cell["study"]) & (c["task"] == cell["task"])]
        if not same["solved"].any():
            cause = "budget: no model solves this task at this budget"
        elif cell.get("train_median", float("nan")) == cell.get("train_median") and cell["train_median"] < THRESHOLDS["solved"]:
            cause = (f"budget: not even fitted at the training lengths (scaled {common.fmt(cell['train_median'])})")
        else:
            cause = ("fitted at the training lengths but did not generalise: learnability (a construction exists; "
                     "training did not find it)")
        lines.append(f"- *prediction not reached* {cell_line(cell)}. Likely cause: {cause}.")
    if "min-layers" in data:
        for pair in min_layer_pairs(data):
            if pair["status"] == "flat":
                lines.append(f"- **against the prediction** {pair['line']} (no more layers at the longest length). "
                             f"Likely cause: only lengths {pair['lengths']} were tested; the theory predicts growth as "
                             "the length goes to infinity (Merrill et al. see it within 2..20 at their budget), so "
                             "this is a finding at these lengths, not against the asymptotic claim.")
    if "length-generalisation" in data:
        frame = data["length-generalisation"]
        comparison = fig_length_generalisation.published_comparison(fig_length_generalisation.scores(frame))
        for _, p in comparison[~comparison["agree"]].iterrows() if len(comparison) else []:
            runs = frame[(frame["task"] == p["task"]) & (frame["variant"] == p["variant"])]
            steps, dim = int(runs["steps"].max()), int(runs["dim"].max())
            causes = []
            if p["objective"] != "accept-final":
                causes.append(f"protocol: we score every position (objective {p['objective']}), they the final output")
            if steps < 20000 or dim < 128:
                causes.append(f"budget: {steps} steps at width {dim}, theirs 20,000 at 128")
            if not causes:
                causes.append("same protocol and budget: a real difference (or a model difference: Mamba is not "
                              "gooselab's diagonal SSM)")
            lines.append(f"- **against a published number** `{p['task']}` · {common.label(p['variant'])}: ours "
                         f"{common.fmt(p['ours'], 3)}, {p['theirs_model']} {p['theirs']:.3f}. Likely cause: "
                         + "; ".join(causes) + ".")
    return lines


def budget_limits(data):
    """Markdown bullets: what no model solves at this budget (a budget finding, not a theory one)."""
    lines = []
    c = prediction_cells(data)
    c = c[c["median"].notna()]
    for study in ("ladder", "length-generalisation", "knobs"):
        sub = c[c["study"] == study]
        if sub.empty:
            continue
        unsolved = [t for t, cells in sub.groupby("task") if not cells["solved"].any()]
        if unsolved:
            lines.append(f"- {study}: no model solves " + ", ".join(f"`{t}`" for t in sorted(unsolved)) + ".")
    if "min-layers" in data:
        cells = fig_min_layers.min_layer_cells(data["min-layers"])
        budget = sorted(fig_min_layers.budget_lengths(cells))
        if budget:
            tried = int(cells["tried"].max())
            lines.append(f"- min-layers: no model solves, with up to {tried} layers, " +
                         ", ".join(f"`{t}` at k={k}" for t, k in budget) + ".")
    return lines


def markdown(verdicts):
    rows = [[f"**{v.verdict}**", v.statement, v.source, v.reason] for v in verdicts]
    return common.md_table(["verdict", "claim", "source", "why"], rows)


def load_dirs(paths):
    data = {}
    for path in paths:
        frame = common.load_results(path)
        study = str(frame["study"].iloc[0])
        data[study] = frame
    return data


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    sys.stdout.write(markdown(evaluate(load_dirs(argv[1:]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
