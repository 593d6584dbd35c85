# analysis/gpu_check.py, which scripts/gpu-check runs on the GPU machine: the e2e.tsv row of a
# run, and the two device-agreement checks, on runs that agree and on each way they can fail
# (a disagreeing checkpoint, training runs whose medians disagree, a seed missing on one device,
# an evaluation that wrote an error instead of JSON), and the one seed that lands elsewhere,
# which must not fail the check.
import json
import os
import subprocess
import sys

import gpu_check

# variant -> {seed: (seq acc at the training length, at 64)}, as gpu-check's budget ends them
VARIANTS = {"rwkv7-a2": {1: (1.0, 0.996), 2: (1.0, 0.958), 3: (0.742, 0.002)},
            "lstm": {1: (0.0, 0.0)}}


def write_result(path, seq_train, seq_64, tokens):
    os.makedirs(path, exist_ok=True)
    result = {"tokens_per_second": tokens,
              "selected": {"test_train_lengths": {"seq_acc": seq_train},
                           "test": [{"length": 64, "seq_acc": seq_64}]}}
    with open(os.path.join(path, "result.json"), "w") as f:
        json.dump(result, f)
    return os.path.join(path, "result.json")


def write_eval(path, token_accs):
    with open(path, "w") as f:
        json.dump({"lengths": [{"length": n, "token_acc": a} for n, a in token_accs]}, f)


def make_e2e(tmp_path, cuda_shift=0.0, eval_shift=0.0, skip=(), cuda_seeds=None):
    """An e2e directory and its e2e.tsv as gpu-check writes them, the GPU side shifted (or its
    seeds' accuracies replaced: cuda_seeds = {variant: {seed: (train, at64)}})."""
    e2e = tmp_path / "e2e"
    e2e.mkdir()
    lines = ["\t".join(gpu_check.COLUMNS)]
    for variant, seeds in VARIANTS.items():
        for device, precision, shift in (("cuda", "fp32", cuda_shift), ("cpu", "fp32", 0.0),
                                         ("cuda", "bf16", 0.0)):
            for seed, (train, at64) in seeds.items():
                if (variant, device, precision, seed) in skip or (precision == "bf16" and seed > 1):
                    continue
                if device == "cuda" and cuda_seeds and seed in cuda_seeds.get(variant, {}):
                    train, at64 = cuda_seeds[variant][seed]
                result = write_result(str(e2e / f"{variant}-{device}-{precision}-s{seed}"),
                                      max(0.0, train - shift), max(0.0, at64 - shift), 1000.0)
                lines.append(gpu_check.row(result, variant, device, precision, seed))
        write_eval(str(e2e / f"{variant}-eval-cpu.json"), [(16, 0.9), (64, 0.8)])
        write_eval(str(e2e / f"{variant}-eval-cuda.json"), [(16, 0.9 - eval_shift), (64, 0.8)])
    tsv = tmp_path / "e2e.tsv"
    tsv.write_text("\n".join(lines) + "\n")
    return str(e2e), str(tsv)


def test_row_reads_result_json(tmp_path):
    result = write_result(str(tmp_path / "run"), 0.9996, 0.25, 61001.4)
    assert gpu_check.row(result, "rwkv7-a2", "cuda", "bf16", 2) == \
        "rwkv7-a2\tcuda\tbf16\t2\t1.000\t0.250\t61001"


def test_agreeing_devices_pass(tmp_path):
    lines, ok = gpu_check.check(*make_e2e(tmp_path, cuda_shift=0.05, eval_shift=0.005))
    assert ok
    assert "checkpoint on either device: agree" in lines
    assert "training on either device: agree" in lines
    assert ("rwkv7-a2 seq_acc_train, seeds 1,2,3: cuda 0.950 0.950 0.692 (median 0.950), "
            "cpu 1.000 1.000 0.742 (median 1.000)") in lines
    assert "lstm seq_acc_64, seeds 1: cuda 0.000 (median 0.000), cpu 0.000 (median 0.000)" in lines


def test_one_seed_that_lands_elsewhere_does_not_fail(tmp_path):
    # Seed 3 measured 0.122 under one set of GEMM kernels and 0.742 under another, same CPU.
    lines, ok = gpu_check.check(*make_e2e(tmp_path, cuda_seeds={"rwkv7-a2": {3: (0.122, 0.0)}}))
    assert ok, lines


def test_two_seeds_that_land_elsewhere_fail(tmp_path):
    lines, ok = gpu_check.check(*make_e2e(
        tmp_path, cuda_seeds={"rwkv7-a2": {2: (0.1, 0.0), 3: (0.1, 0.0)}}))
    assert not ok
    assert "training on either device: DISAGREE" in lines


def test_a_checkpoint_that_evaluates_differently_fails(tmp_path):
    lines, ok = gpu_check.check(*make_e2e(tmp_path, eval_shift=0.02))
    assert not ok
    assert "checkpoint on either device: DISAGREE" in lines
    assert "training on either device: agree" in lines


def test_a_training_run_that_ends_elsewhere_fails(tmp_path):
    lines, ok = gpu_check.check(*make_e2e(tmp_path, cuda_shift=0.2))
    assert not ok
    assert "checkpoint on either device: agree" in lines
    assert "training on either device: DISAGREE" in lines


def test_a_seed_missing_on_one_device_fails(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    lines, ok = gpu_check.check(*make_e2e(tmp_path / "a", skip={("lstm", "cuda", "fp32", 1)}))
    assert not ok
    assert "lstm: seeds trained on the GPU none, on the CPU 1" in lines
    lines, ok = gpu_check.check(*make_e2e(tmp_path / "b", skip={("rwkv7-a2", "cpu", "fp32", 2)}))
    assert not ok
    assert "rwkv7-a2: seeds trained on the GPU 1,2,3, on the CPU 1,3" in lines


def test_an_evaluation_that_failed_is_reported_not_raised(tmp_path):
    e2e, tsv = make_e2e(tmp_path)
    with open(os.path.join(e2e, "lstm-eval-cuda.json"), "w") as f:
        f.write("error: --device cuda: no CUDA device\n")
    lines, ok = gpu_check.check(e2e, tsv)
    assert not ok
    assert any(l.startswith("lstm: no evaluation to compare") for l in lines)


def test_nothing_to_compare_fails(tmp_path):
    (tmp_path / "e2e").mkdir()
    tsv = tmp_path / "e2e.tsv"
    tsv.write_text("\t".join(gpu_check.COLUMNS) + "\n")
    lines, ok = gpu_check.check(str(tmp_path / "e2e"), str(tsv))
    assert not ok
    assert "no checkpoint was evaluated on the CPU" in lines
    assert "no training run finished" in lines


def test_command_line_exit_codes(tmp_path):
    script = os.path.join(os.path.dirname(gpu_check.__file__), "gpu_check.py")
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    good = make_e2e(tmp_path / "good")
    bad = make_e2e(tmp_path / "bad", cuda_shift=0.5)
    assert subprocess.run([sys.executable, script, "check", *good]).returncode == 0
    assert subprocess.run([sys.executable, script, "check", *bad],
                          stdout=subprocess.DEVNULL).returncode == 1
    assert subprocess.run([sys.executable, script, "header"], capture_output=True,
                          text=True).stdout.split() == gpu_check.COLUMNS
    assert subprocess.run([sys.executable, script], stderr=subprocess.DEVNULL).returncode == 2


def test_reads_what_gooselab_writes(tmp_path, gooselab):
    # The keys row() and check() read are those of a real run's result.json and eval --json, so
    # a renamed field fails here, on the CPU, and not on the GPU machine.
    run = str(tmp_path / "rwkv7-a2-cpu-fp32")
    common = ["--task", "parity", "--layers", "1", "--dim", "16", "--head-size", "8", "--train-len",
              "8", "--eval-lengths", "16", "--steps", "4", "--batch-size", "8", "--eval-every", "2",
              "--eval-count", "8", "--final-eval-count", "8", "--progress", "off"]
    subprocess.run([gooselab, "train", *common, "--variant", "rwkv7-a2", "--device", "cpu",
                    "--out", run], check=True, stdout=subprocess.DEVNULL)
    fields = gpu_check.row(os.path.join(run, "result.json"), "rwkv7-a2", "cpu", "fp32",
                           1).split("\t")
    assert fields[:4] == ["rwkv7-a2", "cpu", "fp32", "1"] and float(fields[6]) > 0
    e2e = tmp_path / "e2e"
    e2e.mkdir()
    for device in ("cpu", "cuda"):  # the checkpoint evaluated twice on the CPU: the same numbers
        out = subprocess.run([gooselab, "eval", "--run", run, "--lengths", "8,16", "--count", "16",
                              "--device", "cpu", "--json"], check=True, capture_output=True, text=True)
        (e2e / f"rwkv7-a2-eval-{device}.json").write_text(out.stdout)
    tsv = tmp_path / "e2e.tsv"
    tsv.write_text("\n".join(["\t".join(gpu_check.COLUMNS), "\t".join(fields),
                              "\t".join(["rwkv7-a2", "cuda"] + fields[2:])]) + "\n")
    lines, ok = gpu_check.check(str(e2e), str(tsv))
    assert ok, lines
    assert "rwkv7-a2 length 16: token acc cpu" in "\n".join(lines)


def write_construction_eval(path, device, precision, accs):
    with open(path, "w") as f:
        json.dump({"device": device, "precision": precision,
                   "lengths": [{"length": n, "seq_acc": a, "count": 100} for n, a in accs]}, f)


def test_constructions_report_how_far_each_holds(tmp_path):
    write_construction_eval(tmp_path / "s5-cuda-fp32.json", "cuda", "fp32",
                            [(1000, 1.0), (10000, 1.0), (100000, 1.0)])
    write_construction_eval(tmp_path / "tomita3-cuda-bf16.json", "cuda", "bf16",
                            [(1000, 1.0), (10000, 0.4), (100000, 1.0)])
    write_construction_eval(tmp_path / "tomita3-cuda-fp32.json", "cuda", "fp32", [(1000, 0.9)])
    (tmp_path / "s5-cuda-bf16.json").write_text("error: --device cuda: no CUDA device\n")
    lines = gpu_check.constructions(str(tmp_path))
    assert lines[0].startswith("s5-cuda-bf16: no evaluation")
    assert lines[1] == ("s5-cuda-fp32 (cuda, fp32): 1000: 1.000 (100 strings), 10000: 1.000 "
                        "(100 strings), 100000: 1.000 (100 strings); holds to 100000")
    # held to 10^3 only: a later length at 1.0 does not extend it past the break
    assert lines[2].endswith("holds to 1000")
    assert lines[3].endswith("does not hold at 1000")
    assert gpu_check.constructions(str(tmp_path / "none")) == ["no construction was evaluated"]
