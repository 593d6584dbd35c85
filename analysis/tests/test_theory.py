# analysis/theory.py: the rule table gives the predictions the theory makes for known cells,
# knows every named variant of core/variants.cpp, and cites a source for every rule.
import os
import re

import pytest

import theory
from conftest import ROOT


def row(variant, layers, task, kind, derived, period_le2, commutative=False, states=10):
    return {"variant": variant, "layers": layers, "task": task, "group_kind": kind, "derived_length": derived,
            "inputs_period_le2": period_le2, "task_commutative": commutative, "task_states": states}


S5T = ("group:S5@transpositions", "non-solvable", -1, True)
S5G = ("group:S5@generators", "non-solvable", -1, False)
D5R = ("group:D5@s0,s1", "solvable", 2, True)
D5G = ("group:D5@generators", "solvable", 2, False)
PARITY = ("parity", "elementary-abelian-2", 1, True)
Z3 = ("regex:b*(ab*ab*ab*)*@ab", "abelian", 1, False)
STARFREE = ("tomita:4", "trivial", 0, True)


@pytest.mark.parametrize("variant,layers,task,expected,rule", [
    ("lstm", 1, S5G, "yes", "L1"),
    ("transformer", 2, S5T, "no", "T1"),
    ("transformer", 2, PARITY, "unknown", "T2"),
    ("dssm", 1, STARFREE, "yes", "D1"),
    ("dssm", 2, PARITY, "no", "D2"),
    ("dssm-signed", 1, PARITY, "yes", "S1"),
    ("dssm-signed", 1, Z3, "no", "S2"),
    ("dssm-signed", 2, Z3, "no", "S4"),
    ("dssm-complex", 1, S5T, "no", "C1"),
    ("dssm-complex", 1, D5G, "no", "C2"),
    ("dssm-complex", 2, D5G, "yes", "C3"),
    ("dssm-complex", 1, Z3, "yes", "C3"),
    ("dssm-complex-unit", 1, STARFREE, "unknown", "C5"),
    ("rwkv7-a2", 1, S5G, "no", "R1"),
    ("rwkv7-a2", 1, S5T, "yes", "R4"),
    ("rwkv7-a2", 1, D5R, "yes", "R4"),
    ("rwkv7-a2", 2, S5G, "unknown", "R5"),
    ("rwkv7-a2", 4, S5G, "yes", "R3"),
    ("rwkv7", 1, S5T, "no", "R2"),
    ("rwkv7", 2, PARITY, "no", "R2"),
    ("rwkv7-a2-stable", 1, PARITY, "unknown", "R5"),
    ("rwkv7-a2-stable", 1, Z3, "no", "R1"),
    ("rwkv7-unclamped", 4, S5T, "unknown", "R5"),
])
def test_predictions(variant, layers, task, expected, rule):
    spec, kind, derived, period = task
    commutative = spec in ("parity", "regex:b*(ab*ab*ab*)*@ab")
    assert theory.predict(row(variant, layers, spec, kind, derived, period, commutative)) == (expected, rule)


def test_released_rwkv7_on_a_group_reached_only_through_words_is_unknown():
    # tomita:3: a Z2 in its monoid, but no letter of period 2 and the letters do not commute.
    assert theory.predict(row("rwkv7", 2, "tomita:3", "elementary-abelian-2", 1, True, False, 5))[0] == "unknown"


def test_a_two_group_leaves_signed_diagonal_undecided_beyond_one_layer():
    assert theory.predict(row("dssm-signed", 3, "group:D4@generators", "solvable", 2, False, False, 8)) == ("unknown", "S3")
    assert theory.predict(row("dssm-signed", 1, "group:D4@generators", "solvable", 2, False, False, 8)) == ("no", "S2")


@pytest.mark.parametrize("task,expected", [
    ("parity", True), ("group:S5@transpositions", True), ("group:S4@transpositions", True),
    ("group:D5@s0,s1", True), ("group:D5@s0,r1", False), ("group:D5@generators", False),
    ("group:(1,2),(2,3)@(1,2),(2,3)", True), ("group:A5@(1,2)(3,4),(1,3)(2,4)", False),
    ("group:S5", False), ("tomita:5", False), ("regex:(ab)*", False),
])
def test_reflection_inputs_read_off_the_presentation(task, expected):
    assert theory.reflection_inputs(task) is expected


def test_every_named_variant_has_an_eigenvalue_class():
    with open(os.path.join(ROOT, "core", "variants.cpp")) as f:
        names = re.findall(r'^\s*\{"([a-z0-9-]+)",', f.read(), re.M)
    assert len(names) >= 11
    assert sorted(names) == sorted(theory.FAMILY)


def test_every_rule_is_cited_and_rule_ids_are_unique():
    ids = [r.id for r in theory.RULES]
    assert len(ids) == len(set(ids))
    for rule in theory.RULES:
        assert rule.cite in theory.CITATIONS and rule.prediction in ("yes", "no", "unknown")
    table = theory.rule_table_markdown()
    for rule in theory.RULES:
        assert f"| {rule.id} |" in table
    assert "2603.01959" in table and "2411.12537" in table and "2404.08819" in table


def test_more_layers_never_take_a_yes_away():
    tasks = [S5T, S5G, D5R, D5G, PARITY, Z3, STARFREE]
    for variant in theory.FAMILY:
        for spec, kind, derived, period in tasks:
            answers = [theory.predict(row(variant, layers, spec, kind, derived, period))[0] for layers in (1, 2, 3, 4, 6)]
            seen_yes = False
            for answer in answers:
                assert not (seen_yes and answer == "no"), (variant, spec, answers)
                seen_yes = seen_yes or answer == "yes"
