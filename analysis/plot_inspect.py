#!/usr/bin/python3
"""The figure of `gooselab inspect`: one row of panels for one run, read from its inspect.json.

Panels: accuracy versus length; the architecture's spectrum (RWKV-7: the special eigenvalue
λ* per layer; diagonal SSM: eigenvalue modulus and angle; LSTM: forget gates; Transformer:
attention entropy versus length); the state norm versus position (recurrent models).
Usage: plot_inspect.py INSPECT.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Okabe–Ito: distinguishable for colour-blind readers and in grey print (with markers).
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def step_histogram(ax, hist, label, colour):
    edges, counts = hist["edges"], hist["counts"]
    total = max(1, sum(counts))
    ax.stairs([c / total for c in counts], edges, label=label, color=colour, linewidth=1.5)


def accuracy_panel(ax, report):
    points = report["accuracy"]
    lengths = [p["length"] for p in points]
    ax.plot(lengths, [p["seq_acc"] for p in points], marker="o", color=COLOURS[0], label="sequence")
    ax.plot(lengths, [p["token_acc"] for p in points], marker="s", color=COLOURS[1], label="token")
    ax.plot(lengths, [p["chance"] for p in points], linestyle=":", color="grey", label="chance (token)")
    ax.set_xscale("log", base=2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("length")
    ax.set_ylabel("accuracy")
    ax.set_title("accuracy (trained at %s)" % report["train_len"])
    ax.legend(fontsize=7)


def spectrum_panel(ax, report):
    if "rwkv7" in report:
        for i, layer in enumerate(report["rwkv7"]["layers"]):
            step_histogram(ax, layer["histogram"], "layer %d" % layer["layer"], COLOURS[i % len(COLOURS)])
        for x, style in ((-1.0, "-"), (-0.9, "--"), (0.0, ":")):
            ax.axvline(x, color="grey", linestyle=style, linewidth=0.8)
        ax.set_xlabel("special eigenvalue λ* of the transition")
        ax.set_title("RWKV-7 λ* over tokens (lines: −1, −0.9, 0)")
    elif "dssm" in report:
        for i, layer in enumerate(report["dssm"]["layers"]):
            if "eigenvalue" in layer:
                step_histogram(ax, layer["eigenvalue"]["histogram"], "λ, layer %d" % layer["layer"], COLOURS[i % len(COLOURS)])
                ax.set_xlabel("eigenvalue λ")
            else:
                step_histogram(ax, layer["modulus"]["histogram"], "|λ|, layer %d" % layer["layer"], COLOURS[i % len(COLOURS)])
                ax.set_xlabel("eigenvalue modulus |λ|")
        ax.set_title("diagonal SSM (%s) eigenvalues" % report["dssm"]["eigen"])
    elif "lstm" in report:
        for i, layer in enumerate(report["lstm"]["layers"]):
            step_histogram(ax, layer["forget"]["histogram"], "layer %d" % layer["layer"], COLOURS[i % len(COLOURS)])
        ax.set_xlabel("forget gate")
        ax.set_title("LSTM forget gates")
    else:
        points = report["transformer"]["lengths"]
        lengths = [p["length"] for p in points]
        for layer in range(len(points[0]["normalized_entropy"])):
            ax.plot(lengths, [p["normalized_entropy"][layer] for p in points], marker=MARKERS[layer % len(MARKERS)],
                    color=COLOURS[layer % len(COLOURS)], label="layer %d" % layer)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("length")
        ax.set_ylabel("entropy / log(t)")
        ax.set_title("Transformer attention entropy")
        return
    ax.set_ylabel("fraction")
    ax.legend(fontsize=7)


def state_panel(ax, report):
    curve = report["state_norm"]
    for i, norms in enumerate(curve["layers"]):
        ax.plot(curve["t"], norms, color=COLOURS[i % len(COLOURS)], marker=MARKERS[i % len(MARKERS)], markevery=12,
                markersize=4, label="layer %d" % i)
    train = int(str(report["train_len"]).split("..")[-1])
    ax.axvline(train + 1, color="grey", linestyle="--", linewidth=0.8, label="training length")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("position t")
    ax.set_ylabel("norm")
    ax.set_title(curve["what"])
    ax.legend(fontsize=7)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plot_inspect.py INSPECT.json OUT.png")
    with open(argv[1]) as f:
        report = json.load(f)
    panels = 3 if "state_norm" in report else 2
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 3.4))
    accuracy_panel(axes[0], report)
    spectrum_panel(axes[1], report)
    if panels == 3:
        state_panel(axes[2], report)
    fig.suptitle("%s on %s (%s, step %d)" % (report["variant"] or report["arch"], report["task"],
                                            report["checkpoint"].split("/")[-1], report["step"]), fontsize=9)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=130)


if __name__ == "__main__":
    main(sys.argv)
