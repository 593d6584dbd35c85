#!/usr/bin/env python3
"""The theory's prediction for a (model variant, layers, task) cell, computed from the task's
algebra columns of results.csv by one cited rule table (RULES below); never typed per cell.
Exports RULES, facts(), predict(), predict_frame(); run it to print the rule table.

usage: theory.py [--markdown]
"""
import re
import sys
from dataclasses import dataclass
from typing import Callable, Optional

# The three answers. "yes": a construction at this depth is known, or (where the rule says
# "some depth") the model class reaches the task at a depth the theorem does not bound;
# "no": the model cannot follow the task at unbounded length with this many layers;
# "unknown": the cited results do not decide.
YES, NO, UNKNOWN = "yes", "no", "unknown"

CITATIONS = {
    "merrill24": "Merrill, Petty, Sabharwal 2024, The Illusion of State in State-Space Models "
                 "(arXiv 2404.08819); Barrington 1989",
    "sarrof24": "Sarrof, Veitsman, Hahn 2024, The Expressive Capacity of State Space Models: "
                "A Formal Language Perspective",
    "grazzi24-t1": "Grazzi et al. 2024, Unlocking State-Tracking in Linear RNNs Through Negative "
                   "Eigenvalues (arXiv 2411.12537), Thm. 1",
    "grazzi24-t2": "Grazzi et al. 2024 (arXiv 2411.12537), Thm. 2",
    "shakerinava26": "Shakerinava, Khavari, Ravanbakhsh, Chandar 2026, The Expressive Limits of "
                     "Diagonal SSMs for State-Tracking (arXiv 2603.01959)",
    "rwkv7-appd": "RWKV-7 paper (arXiv 2503.14456), App. D",
    "rwkv7-s4": "RWKV-7 paper (arXiv 2503.14456) §4; REFERENCE.md §1 (a in (0,1) gives "
                "lambda* > -0.455)",
    "ref-s3-inv": "REFERENCE.md §3, one layer, one token per symbol: only involutions",
}

# The eigenvalue class of each named variant (core/variants.cpp).
FAMILY = {
    "lstm": "nonlinear-rnn",
    "transformer": "transformer",
    "dssm": "diag-real-positive",
    "dssm-signed": "diag-real-signed",
    "dssm-complex": "diag-complex",
    "dssm-complex-unit": "diag-complex-unit",
    "rwkv7": "rwkv-away-from-minus-1",          # lambda* > -0.455
    "rwkv7-unclamped": "rwkv-approaches-minus-1",  # w -> 0, a -> 1: lambda* -> -1, never reached
    "rwkv7-a2-stable": "rwkv-approaches-minus-1",  # a = (1+w) sigmoid: lambda* > -1
    "rwkv7-a2": "rwkv-reaches-minus-1",            # w = 1, a = 2: the reflection I - 2 k k^T
    "rwkv7-a2-unclamped": "rwkv-reaches-minus-1",
}
RWKV = {"rwkv-away-from-minus-1", "rwkv-approaches-minus-1", "rwkv-reaches-minus-1"}
GROUP_KINDS = ["trivial", "elementary-abelian-2", "abelian", "solvable", "non-solvable"]


@dataclass
class Facts:
    """What the rules read: results.csv's algebra columns plus what the task spec says."""
    variant: str
    family: str
    layers: int
    task: str
    group_kind: str           # trivial < elementary-abelian-2 < abelian < solvable < non-solvable
    derived_length: int       # 0 trivial, 1 abelian, d solvable, -1 non-solvable
    period_le2: bool          # every input symbol's map has period <= 2 (inputs_period_le2)
    commutative: bool         # the letters' maps commute (task_commutative)
    group_task: bool          # a group word problem (spec group:...): every letter a permutation
    group_order: Optional[int]  # task_states for a group word problem (states = elements)
    reflections: bool         # each input is one reflection (see reflection_inputs)


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def reflection_inputs(task: str) -> bool:
    """True when every input symbol acts as a single reflection (one Householder factor, the
    RWKV-7 paper's swap) in a faithful orthogonal representation, read off the presentation in
    the spec: parity (x -> -x), S_n with transpositions (a swap of two coordinates of the
    n-point permutation matrix), D_n with reflections only (s<k>: reflections of the plane),
    and groups given by transpositions in cycle notation."""
    if task == "parity":
        return True
    m = re.fullmatch(r"group:(.*)@(.*)", task)
    if not m:
        return False
    group, inputs = m.group(1), m.group(2)
    if inputs == "transpositions" and re.fullmatch(r"S\d+", group):
        return True
    items = [x.strip() for x in re.split(r",(?![^()]*\))", inputs) if x.strip()]
    if re.fullmatch(r"D\d+", group) and items and all(re.fullmatch(r"s\d+", x) for x in items):
        return True
    if items and all(re.fullmatch(r"\(\d+,\d+\)", x) for x in items):
        return True
    return False


def facts(row) -> Facts:
    """Facts of one results.csv row (a dict or a pandas Series)."""
    variant = str(row["variant"])
    task = str(row["task"])
    group_task = task.startswith("group:")
    states = row.get("task_states") if hasattr(row, "get") else row["task_states"]
    return Facts(
        variant=variant,
        family=FAMILY.get(variant, "unknown"),
        layers=int(row["layers"]),
        task=task,
        group_kind=str(row["group_kind"]),
        derived_length=int(row["derived_length"]),
        period_le2=_truthy(row["inputs_period_le2"]),
        commutative=_truthy(row["task_commutative"]),
        group_task=group_task,
        group_order=int(states) if group_task and states == states else None,
        reflections=reflection_inputs(task),
    )


def _kind_at_least(f: Facts, kind: str) -> bool:
    return GROUP_KINDS.index(f.group_kind) >= GROUP_KINDS.index(kind)


def _power_of_two(n: Optional[int]) -> bool:
    return n is not None and n > 0 and n & (n - 1) == 0


@dataclass
class Rule:
    id: str
    models: str          # which variants, in words
    when: str            # the condition, in words
    prediction: str
    cite: str            # key of CITATIONS
    note: str
    applies: Callable[[Facts], bool]


# First matching rule wins. Each rule reads only Facts; its words say the same as its code.
RULES = [
    Rule("L1", "lstm", "any task", YES, "merrill24",
         "a nonlinear RNN simulates any DFA in one layer (the RNN row of Merrill et al.'s Fig. 3)",
         lambda f: f.family == "nonlinear-rnn"),
    Rule("T1", "transformer", "non-solvable group in the monoid", NO, "merrill24",
         "log-precision Transformers are in TC0; a non-solvable group's word problem is "
         "NC1-complete (conditional on TC0 != NC1)",
         lambda f: f.family == "transformer" and f.group_kind == "non-solvable"),
    Rule("T2", "transformer", "otherwise", UNKNOWN, "merrill24",
         "TC0 contains these languages; nothing is proven about length generalisation",
         lambda f: f.family == "transformer"),
    Rule("D1", "dssm (real, (0,1))", "aperiodic (star-free)", YES, "sarrof24",
         "non-negative diagonal SSMs recognise the star-free languages with length "
         "generalisation; the depth is not bounded by the theorem",
         lambda f: f.family == "diag-real-positive" and f.group_kind == "trivial"),
    Rule("D2", "dssm (real, (0,1))", "any group in the monoid", NO, "sarrof24",
         "star-free only; parity needs an eigenvalue outside [0,1] (also Grazzi et al. Thm. 1)",
         lambda f: f.family == "diag-real-positive"),
    Rule("S1", "dssm-signed (real, (-1,1))", "aperiodic or elementary abelian 2-groups", YES,
         "grazzi24-t1",
         "an eigenvalue -1 is a sign flip: parity and products of Z2 (with Sarrof et al. for "
         "the aperiodic part; depth not bounded)",
         lambda f: f.family == "diag-real-signed" and not _kind_at_least(f, "abelian")),
    Rule("S2", "dssm-signed", "1 layer, a group element of order >= 3", NO, "ref-s3-inv",
         "products of real diagonal maps are real diagonal; under a repeated word each "
         "coordinate follows y -> l*y + c, whose orbits have period <= 2",
         lambda f: f.family == "diag-real-signed" and f.layers == 1),
    Rule("S3", "dssm-signed", "a 2-group word problem (order a power of 2), >= 2 layers",
         UNKNOWN, "grazzi24-t2",
         "Thm. 2 needs counting modulo 3; a 2-group is a cascade of Z2 sign flips",
         lambda f: f.family == "diag-real-signed" and f.group_task and _power_of_two(f.group_order)),
    Rule("S4", "dssm-signed", "abelian or larger groups, >= 2 layers", NO, "grazzi24-t2",
         "real (triangular) transitions cannot count modulo 3 at any depth; assumes the "
         "monoid has an element of odd order >= 3, true of every group that is not a 2-group "
         "(not checked for non-group monoids)",
         lambda f: f.family == "diag-real-signed"),
    Rule("C1", "dssm-complex, dssm-complex-unit", "non-solvable group", NO, "shakerinava26",
         "k layers of input-dependent complex diagonal SSMs track exactly the groups with an "
         "abelian subnormal series of length k; non-solvable groups have none",
         lambda f: f.family.startswith("diag-complex") and f.group_kind == "non-solvable"),
    Rule("C2", "dssm-complex, dssm-complex-unit", "derived length > layers", NO, "shakerinava26",
         "derived length d needs d layers (for a monoid, applied to its maximal subgroups)",
         lambda f: f.family.startswith("diag-complex") and f.derived_length > f.layers),
    Rule("C3", "dssm-complex, dssm-complex-unit", "group word problem, or commutative letters; "
         "derived length <= layers", YES, "shakerinava26",
         "one abelian (rotation) layer per derived-series step; commuting letters are "
         "counters modulo (rotations) and thresholds, as diagonal maps commute",
         lambda f: f.family.startswith("diag-complex") and (f.group_task or f.commutative)),
    Rule("C4", "dssm-complex", "aperiodic (star-free)", YES, "sarrof24",
         "decays in (0,1) are the real special case (depth not bounded)",
         lambda f: f.family == "diag-complex" and f.group_kind == "trivial"),
    Rule("C5", "dssm-complex, dssm-complex-unit", "otherwise", UNKNOWN, "shakerinava26",
         "monoids with resets beside abelian groups, or no decay (unit circle)",
         lambda f: f.family.startswith("diag-complex")),
    Rule("R1", "every RWKV-7 variant", "1 layer, an input symbol of period >= 3", NO,
         "ref-s3-inv",
         "G = diag(w) - k^T(a*k) is similar to a symmetric matrix: real eigenvalues, so a "
         "repeated symbol gives orbits of period <= 2",
         lambda f: f.family in RWKV and f.layers == 1 and not f.period_le2),
    Rule("R2", "rwkv7 (released)", "a group reached by single letters (group word problem, or "
         "a commutative monoid with a group)", NO, "rwkv7-s4",
         "every eigenvalue of one token's transition lies in (-0.455, 1]: its powers converge, "
         "so a letter of period >= 2 is lost at unbounded length (Grazzi et al. Thm. 1's "
         "argument)",
         lambda f: f.family == "rwkv-away-from-minus-1" and f.group_kind != "trivial"
         and (f.group_task or f.commutative)),
    Rule("R3", "rwkv7-a2, rwkv7-a2-unclamped", ">= 4 layers", YES, "rwkv7-appd",
         "Thm. 3: every regular language in 4 layers (swaps and copies, w = 1, a up to 2)",
         lambda f: f.family == "rwkv-reaches-minus-1" and f.layers >= 4),
    Rule("R4", "rwkv7-a2, rwkv7-a2-unclamped", "every input one reflection (parity, S_n with "
         "transpositions, D_n with reflections)", YES, "rwkv7-appd",
         "a swap is the Householder reflection I - 2 k k^T (w = 1, a = 2); one per token and "
         "head: S5 in one layer",
         lambda f: f.family == "rwkv-reaches-minus-1" and f.reflections),
    Rule("R5", "every RWKV-7 variant", "otherwise", UNKNOWN, "ref-s3-inv",
         "not excluded; two layers escape the one-layer argument (a product of two "
         "reflections is a rotation); lambda* near but above -1 is not an exact reflection",
         lambda f: f.family in RWKV),
]


def predict_facts(f: Facts):
    """(prediction, rule) for facts; ("unknown", None) for a variant outside the table."""
    for rule in RULES:
        if rule.applies(f):
            return rule.prediction, rule
    return UNKNOWN, None


def predict(row):
    """(prediction, rule id) for one results.csv row."""
    prediction, rule = predict_facts(facts(row))
    return prediction, (rule.id if rule else "-")


def predict_frame(frame):
    """A copy of a results frame with `prediction` and `rule` columns."""
    out = frame.copy()
    pairs = [predict(row) for _, row in out.iterrows()]
    out["prediction"] = [p for p, _ in pairs]
    out["rule"] = [r for _, r in pairs]
    return out


def rule_table_markdown() -> str:
    lines = ["| rule | models | when | prediction | source | why |", "|---|---|---|---|---|---|"]
    for r in RULES:
        lines.append(f"| {r.id} | {r.models} | {r.when} | {r.prediction} | {CITATIONS[r.cite]} | {r.note} |")
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] != "--markdown"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    sys.stdout.write(rule_table_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
