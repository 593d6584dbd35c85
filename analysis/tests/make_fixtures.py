#!/usr/bin/env python3
"""Writes the synthetic fixture sweeps the analysis tests read (fixtures/<study>/results.csv):
results.csv files with every column gooselab writes, the task algebra columns as
`gooselab tasks show` reports them (fixtures/task_facts.json), and accuracies designed to
exercise each path of the figures and verdicts (solved, unsolved, a contradiction, a
prediction not reached, a failed run, unsolved minimum-layer cells). Not measurements.

usage: make_fixtures.py   (rewrites analysis/tests/fixtures/*/results.csv; commit the result)
"""
import csv
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")

COLUMNS = ("study,size,run_id,status,variant,wave,task,objective,arch,layers,dim,head_size,rwkv_rate,"
           "rwkv_decay,rwkv_init,rwkv_lora_decay,rwkv_lora_a,rwkv_lora_value,rwkv_lora_gate,pos_encoding,"
           "max_len,dssm_eigen,dssm_state,dssm_expand,kernel,steps,batch_size,lr,weight_decay,beta1,beta2,"
           "adam_eps,warmup,min_lr_fraction,clip,max_loss,train_len,eval_lengths,train_size,seed,eval_every,"
           "eval_count,final_eval_count,eval_batch,target_acc,train_min_len,train_max_len,task_class,"
           "group_kind,derived_length,inputs_period_le2,inputs_involution_or_idempotent,task_states,"
           "task_commutative,eval,eval_min_len,eval_max_len,count,token_acc,seq_acc,scaled_acc,chance,"
           "last_token_acc,last_seq_acc,last_scaled_acc,val_seq_acc,selected_step,steps_done,stop_reason,"
           "num_parameters,state_floats,wall_seconds,tokens_per_second,code_version,error").split(",")
INSPECT = ["lambda_frac_neg", "lambda_frac_below_m09", "lambda_frac_below_m1", "lambda_min",
           "state_norm_train", "state_norm_long", "state_norm_ratio"]

VARIANT_FIELDS = {
    "rwkv7": dict(arch="rwkv7", rwkv_rate="released", rwkv_decay="clamped"),
    "rwkv7-a2": dict(arch="rwkv7", rwkv_rate="relaxed", rwkv_decay="clamped"),
    "rwkv7-a2-stable": dict(arch="rwkv7", rwkv_rate="stable", rwkv_decay="clamped"),
    "rwkv7-unclamped": dict(arch="rwkv7", rwkv_rate="released", rwkv_decay="unclamped"),
    "transformer": dict(arch="transformer"),
    "dssm": dict(arch="dssm", dssm_eigen="real"),
    "dssm-signed": dict(arch="dssm", dssm_eigen="signed"),
    "dssm-complex": dict(arch="dssm", dssm_eigen="complex"),
    "lstm": dict(arch="lstm"),
}


def noise(*key, spread=0.04):
    """A deterministic number in [-spread, spread] from the key."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    return (int.from_bytes(digest[:4], "big") / 2**32 * 2 - 1) * spread


def clip01(x):
    return max(0.0, min(1.0, x))


def base_row(study, size, task, variant, layers, seed, facts, budget, wave=0):
    row = {c: "" for c in COLUMNS}
    row.update(dict(study=study, size=size, status="done", variant=variant, wave=wave, task=task,
                    objective=budget.get("objective", "state"), arch="rwkv7", layers=layers,
                    dim=budget["dim"], head_size=budget["head_size"], rwkv_rate="released",
                    rwkv_decay="clamped", rwkv_init="official", rwkv_lora_decay=0, rwkv_lora_a=0,
                    rwkv_lora_value=0, rwkv_lora_gate=0, pos_encoding="rope", max_len=4096,
                    dssm_eigen="real", dssm_state=16, dssm_expand=2, kernel="auto",
                    steps=budget["steps"], batch_size=budget["batch_size"], lr=budget["lr"],
                    weight_decay=0.01, beta1=0.9, beta2=0.99, adam_eps=1e-08, warmup=30,
                    min_lr_fraction=0.1, clip=1.0, max_loss=1000.0, train_len=budget["train_len"],
                    eval_lengths=",".join(map(str, budget["eval_lengths"])),
                    train_size=budget.get("train_size", 0), seed=seed, eval_every=100, eval_count=128,
                    final_eval_count=256, eval_batch=250, target_acc=budget.get("target_acc", 0.0),
                    code_version="fixture"))
    lo, _, hi = str(budget["train_len"]).partition("..")
    row["train_min_len"], row["train_max_len"] = int(lo), int(hi or lo)
    row.update(VARIANT_FIELDS[variant])
    for key, value in facts[task].items():
        row[key] = str(value).lower() if isinstance(value, bool) else value
    row["run_id"] = hashlib.sha256(repr((study, task, variant, layers, seed, budget["train_len"])).encode()).hexdigest()[:16]
    row.update(dict(stop_reason="steps", steps_done=budget["steps"], selected_step=budget["steps"],
                    num_parameters=30000 + 1000 * layers, state_floats=320 * layers,
                    wall_seconds=round(5.0 * layers + 1 + noise(task, variant, layers, seed, "w", spread=1), 3),
                    tokens_per_second=9000, chance=0.1))
    return row


def eval_rows(row, curve):
    """The training-range row and one test row per (length, scaled accuracy)."""
    out = []
    for kind, length, scaled in curve:
        r = dict(row)
        r["eval"] = kind
        if kind == "train":
            r["eval_min_len"], r["eval_max_len"] = row["train_min_len"], row["train_max_len"]
        else:
            r["eval_min_len"] = r["eval_max_len"] = length
        scaled = round(clip01(scaled), 4)
        r.update(count=256, scaled_acc=scaled, token_acc=round(0.1 + 0.9 * scaled, 4),
                 seq_acc=round(scaled ** 4, 4), last_scaled_acc=scaled, last_token_acc=round(0.1 + 0.9 * scaled, 4),
                 last_seq_acc=round(scaled ** 4, 4), val_seq_acc=round(min(1.0, curve[0][2]) ** 4, 4))
        out.append(r)
    return out


def failed_row(row, error):
    r = dict(row)
    r.update(status="failed", error=error, stop_reason="", steps_done="", selected_step="", num_parameters="",
             state_floats="", wall_seconds="", tokens_per_second="", chance="")
    return r


def write(study, rows, extra=()):
    path = os.path.join(FIXTURES, study)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS + list(extra), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in COLUMNS + list(extra)})


def ladder(facts):
    import theory
    budget = dict(dim=64, head_size=16, steps=500, batch_size=32, lr=0.003, train_len="1..16",
                  eval_lengths=[32, 64], target_acc=1.0)
    tasks = ["tomita:4", "parity", "regex:b*(ab*ab*ab*)*@ab", "group:D5@s0,s1", "group:D5@generators",
             "group:S5@transpositions", "group:S5@generators"]
    variants = ["rwkv7", "rwkv7-a2", "transformer", "dssm", "dssm-signed", "dssm-complex", "lstm"]
    # Designed outcomes where the prediction alone does not decide, and the exceptions.
    level = {
        ("transformer", "tomita:4"): 0.97, ("transformer", "parity"): 0.2,
        ("transformer", "regex:b*(ab*ab*ab*)*@ab"): 0.3, ("transformer", "group:D5@s0,s1"): 0.25,
        ("transformer", "group:D5@generators"): 0.2, ("rwkv7", "tomita:4"): 0.95,
        ("rwkv7-a2", "tomita:4"): 0.98, ("rwkv7-a2", "regex:b*(ab*ab*ab*)*@ab"): 0.93,
        ("rwkv7-a2", "group:D5@generators"): 0.91, ("rwkv7-a2", "group:S5@generators"): 0.5,
        ("rwkv7", "group:D5@s0,s1"): 0.3,
        ("lstm", "group:S5@generators"): 0.35,  # predicted yes, not reached
    }
    rows = []
    for task in tasks:
        for variant in variants:
            for layers in (1, 2):
                for seed in (1, 2, 3):
                    row = base_row("ladder", "quick", task, variant, layers, seed, facts, budget)
                    prediction, _ = theory.predict(row)
                    target = level.get((variant, task), {theory.YES: 0.97, theory.NO: 0.15,
                                                         theory.UNKNOWN: 0.4}[prediction])
                    if variant == "dssm-complex" and task == "group:D5@generators" and layers == 1:
                        target = 0.93  # a designed contradiction: predicted no (derived length 2 > 1)
                    if variant in ("rwkv7-a2", "lstm") and layers == 2 and target < 0.9:
                        target = min(1.0, target + 0.2)
                    at64 = target + noise(task, variant, layers, seed)
                    curve = [("train", 0, min(1.0, at64 + 0.25)), ("test", 32, (at64 + min(1.0, at64 + 0.25)) / 2),
                             ("test", 64, at64)]
                    if (task, variant, layers, seed) == ("parity", "dssm", 2, 3):
                        rows.append(failed_row(row, "training diverged at step 212 (loss nan)"))
                        continue
                    rows.extend(eval_rows(row, curve))
    write("ladder", rows)


def min_layers(facts):
    budget = dict(dim=64, head_size=16, steps=300, batch_size=32, lr=0.003, train_len="4",
                  eval_lengths=[], target_acc=0.99)
    tasks = ["group:A5@generators", "group:Z60@1,7,11", "group:S5@transpositions"]
    variants = ["rwkv7-a2", "transformer", "dssm-complex", "lstm"]
    # Minimum layers per (variant, task) at lengths 4, 8, 16 (None: unsolved up to 3 layers).
    designed = {
        ("lstm", "group:A5@generators"): [1, 1, 1], ("lstm", "group:Z60@1,7,11"): [1, 1, 1],
        ("lstm", "group:S5@transpositions"): [1, 1, 1],
        ("rwkv7-a2", "group:A5@generators"): [1, 1, 2], ("rwkv7-a2", "group:Z60@1,7,11"): [1, 1, 1],
        ("rwkv7-a2", "group:S5@transpositions"): [1, 1, 1],
        ("transformer", "group:A5@generators"): [1, 2, None], ("transformer", "group:Z60@1,7,11"): [1, 1, 1],
        ("transformer", "group:S5@transpositions"): [1, 2, 3],
        ("dssm-complex", "group:A5@generators"): [2, 3, None], ("dssm-complex", "group:Z60@1,7,11"): [1, 1, 1],
        ("dssm-complex", "group:S5@transpositions"): [2, 2, 2],
    }
    rows = []
    for task in tasks:
        for variant in variants:
            for k_index, k in enumerate((4, 8, 16)):
                need = designed[(variant, task)][k_index]
                for wave, layers in enumerate((1, 2, 3)):
                    for seed in (1, 2, 3):
                        b = dict(budget, train_len=str(k))
                        row = base_row("min-layers", "quick", task, variant, layers, seed, facts, b, wave=wave)
                        ok = need is not None and layers >= need
                        # One seed of three misses where the cell is solved: a majority still solves.
                        value = (0.97 if ok else 0.3) + noise(task, variant, k, layers, seed)
                        if ok and seed == 3 and layers == need and k == 8:
                            value = 0.5
                        curve = [("train", 0, value)]
                        r = eval_rows(row, curve)
                        r[0]["seq_acc"] = r[0]["last_seq_acc"] = round(clip01(value), 4)
                        rows.extend(r)
                    if need is not None and layers >= need:
                        break  # the search stops at the first success
    write("min-layers", rows)


def length_generalisation(facts):
    budget = dict(dim=64, head_size=16, steps=250, batch_size=32, lr=0.003, train_len="3..40",
                  eval_lengths=[64, 128, 256], objective="state")
    tasks = ["parity", "mod-arith", "tomita:3"]
    variants = ["rwkv7-a2", "transformer", "dssm", "dssm-signed", "lstm"]
    level = {
        ("parity", "rwkv7-a2"): 0.98, ("parity", "transformer"): 0.05, ("parity", "dssm"): 0.02,
        ("parity", "dssm-signed"): 1.0, ("parity", "lstm"): 1.0,
        ("mod-arith", "rwkv7-a2"): 0.6, ("mod-arith", "transformer"): 0.04, ("mod-arith", "dssm"): 0.95,
        ("mod-arith", "dssm-signed"): 0.3, ("mod-arith", "lstm"): 0.9,
        ("tomita:3", "rwkv7-a2"): 0.9, ("tomita:3", "transformer"): 0.3, ("tomita:3", "dssm"): 0.2,
        ("tomita:3", "dssm-signed"): 0.8, ("tomita:3", "lstm"): 1.0,
    }
    rows = []
    for task in tasks:
        for variant in variants:
            for seed in (1, 2, 3):
                row = base_row("length-generalisation", "quick", task, variant, 2, seed, facts, budget)
                top = level[(task, variant)]
                curve = [("train", 0, min(1.0, top + 0.3))]
                for i, length in enumerate((64, 128, 256)):
                    curve.append(("test", length, top * (1 - 0.05 * i) + noise(task, variant, seed, length)))
                rows.extend(eval_rows(row, curve))
    write("length-generalisation", rows)


def knobs(facts):
    budget = dict(dim=64, head_size=16, steps=500, batch_size=32, lr=0.003, train_len="1..16",
                  eval_lengths=[32, 64, 128, 256], target_acc=1.0)
    tasks = ["parity", "group:S5@transpositions", "regex:b*(ab*ab*ab*)*@ab"]
    variants = ["rwkv7", "rwkv7-a2", "rwkv7-a2-stable", "rwkv7-unclamped"]
    level = {
        ("parity", "rwkv7"): 0.1, ("parity", "rwkv7-a2"): 1.0, ("parity", "rwkv7-a2-stable"): 0.95,
        ("parity", "rwkv7-unclamped"): 0.3,
        ("group:S5@transpositions", "rwkv7"): 0.1, ("group:S5@transpositions", "rwkv7-a2"): 0.96,
        ("group:S5@transpositions", "rwkv7-a2-stable"): 0.7, ("group:S5@transpositions", "rwkv7-unclamped"): 0.1,
        ("regex:b*(ab*ab*ab*)*@ab", "rwkv7"): 0.2, ("regex:b*(ab*ab*ab*)*@ab", "rwkv7-a2"): 0.3,
        ("regex:b*(ab*ab*ab*)*@ab", "rwkv7-a2-stable"): 0.25, ("regex:b*(ab*ab*ab*)*@ab", "rwkv7-unclamped"): 0.2,
    }
    spectrum = {  # lambda_frac_below_m09, lambda_frac_below_m1, state_norm_ratio
        "rwkv7": (0.0, 0.0, 1.3), "rwkv7-a2": (0.46, 0.03, 900.0), "rwkv7-a2-stable": (0.41, 0.0, 4.0),
        "rwkv7-unclamped": (0.02, 0.0, 1.1),
    }
    rows = []
    for task in tasks:
        for variant in variants:
            for layers in (1, 2):
                for seed in (1, 2, 3):
                    row = base_row("knobs", "quick", task, variant, layers, seed, facts, budget)
                    top = level[(task, variant)] + (0.1 if layers == 2 and level[(task, variant)] < 0.8 else 0)
                    curve = [("train", 0, min(1.0, top + 0.2))]
                    for i, length in enumerate((32, 64, 128, 256)):
                        decay = 0.0 if top > 0.9 and i < 2 else 0.08 * i
                        curve.append(("test", length, top - decay + noise(task, variant, layers, seed, length)))
                    below09, below1, ratio = spectrum[variant]
                    is_task_parity = task == "parity"
                    row.update(lambda_frac_neg=round(below09 + 0.1, 4),
                               lambda_frac_below_m09=round(below09 if is_task_parity else below09 / 3, 4),
                               lambda_frac_below_m1=below1, lambda_min=round(-0.4 - below09 - 2 * below1, 4),
                               state_norm_train=3.0, state_norm_long=round(3.0 * ratio, 3), state_norm_ratio=ratio)
                    rows.extend(eval_rows(row, curve))
    write("knobs", rows, extra=INSPECT)


def main():
    sys.path.insert(0, os.path.dirname(HERE))
    with open(os.path.join(FIXTURES, "task_facts.json")) as f:
        facts = json.load(f)
    ladder(facts)
    min_layers(facts)
    length_generalisation(facts)
    knobs(facts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
