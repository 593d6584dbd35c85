# analysis/verdicts.py: each claim's verdict on the fixture sweeps (designed to hit every
# verdict), and how a verdict moves when the cells behind it change.
import common
import verdicts
from verdicts import CONTRADICTED, SUPPORTED, UNDECIDED, UNTESTED


def by_claim(data):
    return {v.claim: v for v in verdicts.evaluate(data)}


def test_fixture_verdicts(frames):
    v = by_claim(frames)
    expected = {
        "tc0": SUPPORTED, "min-layers-grow": CONTRADICTED, "rnn-one-layer": SUPPORTED, "star-free": SUPPORTED,
        "parity-negative": SUPPORTED, "mod3-complex": SUPPORTED, "complex-depth": CONTRADICTED,
        "one-layer-involutions": CONTRADICTED, "two-layers-escape": SUPPORTED, "s5-one-layer": SUPPORTED,
        "released-no-reflection": SUPPORTED, "regular-4-layers": UNTESTED, "relaxed-uses-minus-1": SUPPORTED,
        "stable-above-minus-1": SUPPORTED, "below-minus-1-grows": SUPPORTED, "grazzi-table-3": UNDECIDED,
    }
    assert {k: v[k].verdict for k in expected} == expected
    assert [c.id for c in verdicts.CLAIMS] == list(v)
    for verdict in v.values():
        assert verdict.threshold and verdict.reason
        if verdict.verdict in (SUPPORTED, CONTRADICTED) and verdict.claim not in ("rnn-one-layer", "stable-above-minus-1"):
            assert verdict.cells, verdict.claim


def set_cell(frame, task, variant, value, layers=None):
    frame = frame.copy()
    mask = (frame["task"] == task) & (frame["variant"] == variant) & (frame["eval"] == "test")
    if layers is not None:
        mask &= frame["layers"] == layers
    frame.loc[mask, "scaled_acc"] = value
    return frame


def test_a_contradiction_goes_away_with_the_cell(frames):
    data = dict(frames)
    data["ladder"] = set_cell(frames["ladder"], "group:D5@generators", "dssm-complex", 0.2, layers=1)
    assert by_claim(data)["complex-depth"].verdict == SUPPORTED


def test_a_solved_impossible_cell_contradicts(frames):
    data = dict(frames)
    data["ladder"] = set_cell(frames["ladder"], "parity", "dssm", 0.97)
    v = by_claim(data)["parity-negative"]
    assert v.verdict == CONTRADICTED and any("parity" in line for line in v.cells)


def test_without_a_solved_positive_the_budget_decides_nothing(frames):
    data = {"ladder": set_cell(frames["ladder"], "parity", "dssm-signed", 0.3)}
    assert by_claim(data)["parity-negative"].verdict == UNDECIDED


def test_missing_studies_are_not_tested(frames):
    v = by_claim({"ladder": frames["ladder"]})
    for claim in ("min-layers-grow", "rnn-one-layer", "relaxed-uses-minus-1", "grazzi-table-3"):
        assert v[claim].verdict == UNTESTED
    assert by_claim({})["tc0"].verdict == UNTESTED


def test_published_numbers_decide_only_with_the_same_objective(frames):
    lg = frames["length-generalisation"].copy()
    lg["objective"] = "accept-final"
    v = by_claim({"length-generalisation": lg})["grazzi-table-3"]
    assert v.verdict == CONTRADICTED  # the designed mod-arith disagreement
    lg = set_cell(lg, "mod-arith", "dssm", 0.05)
    assert by_claim({"length-generalisation": lg})["grazzi-table-3"].verdict == SUPPORTED


def test_the_stable_rate_below_minus_one_is_a_contradiction(frames):
    knobs = frames["knobs"].copy()
    knobs.loc[knobs["variant"] == "rwkv7-a2-stable", "lambda_frac_below_m1"] = 0.002
    assert by_claim({"knobs": knobs})["stable-above-minus-1"].verdict == CONTRADICTED


def test_disagreements_name_a_likely_cause(frames):
    lines = verdicts.disagreements(frames)
    assert any("against the prediction" in l and "group:D5@generators" in l for l in lines)
    assert any("prediction not reached" in l and "budget" in l for l in lines)
    published = [l for l in lines if "against a published number" in l]
    assert published and "protocol" in published[0] and "budget" in published[0]
    assert all("Likely cause" in l for l in lines)


def test_thresholds_are_the_solved_threshold():
    assert verdicts.THRESHOLDS["solved"] == common.THRESHOLD == 0.9


def test_budget_limits_and_flat_minimum_layers(frames):
    limits = verdicts.budget_limits(frames)
    assert any(l.startswith("- ladder:") and "group:S5@generators" in l for l in limits)
    lines = verdicts.disagreements(frames)
    flat = [l for l in lines if "min-layers:" in l]
    assert len(flat) == 1 and "group:S5@transpositions" in flat[0] and "diag. SSM complex" in flat[0]
    statuses = {(p["task"], p["variant"]): p["status"] for p in verdicts.min_layer_pairs(frames)}
    assert statuses[("group:A5@generators", "transformer")] == "grows"
