"""Published numbers printed beside ours (typed from the papers, as REFERENCE.md §4 quotes them;
never our results). Exports GRAZZI_TABLE3, GRAZZI_SHARED."""

# Grazzi et al. 2024 (arXiv 2411.12537), Table 3: scaled accuracy, best of 3 seeds, trained on
# lengths 3..40, tested on 40..256, 2 layers, width 128, 20k steps, batch 256, lr 1e-3; the
# final output is scored. Tasks: parity, modular arithmetic without brackets (their "with
# brackets" has no gooselab task).
GRAZZI_TABLE3 = {
    "Transformer": {"parity": 0.022, "mod-arith": 0.031},
    "Mamba (0,1)": {"parity": 0.000, "mod-arith": 0.095},
    "Mamba (-1,1)": {"parity": 1.000, "mod-arith": 0.241},
    "DeltaNet (0,1)": {"parity": 0.017, "mod-arith": 0.314},
    "DeltaNet (-1,1)": {"parity": 1.000, "mod-arith": 0.971},
}

# Their models that gooselab has: a gooselab variant -> their row. (DeltaNet is a
# generalised-delta-rule relative of RWKV-7, not the same model: context only.)
GRAZZI_SHARED = {"transformer": "Transformer", "dssm": "Mamba (0,1)", "dssm-signed": "Mamba (-1,1)"}
GRAZZI_CONTEXT = {"rwkv7": "DeltaNet (0,1)", "rwkv7-a2": "DeltaNet (-1,1)"}
