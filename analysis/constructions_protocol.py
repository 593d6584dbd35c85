#!/usr/bin/env python3
"""The exact constructions against the evaluation protocol, as a markdown table: per
construction, the random strings evaluated at each order of length (10^3, 10^4, 10^5) with their
sequence accuracy, whether the protocol is met (at least --strings strings at each of the three,
every one of them exactly right, fp32), the code versions and the wall seconds of the longest
evaluation. Reads the `gooselab eval --json` files that scripts/constructions' `exact` step
writes, <construction>-relaxed-<length>.json, and the `/usr/bin/time` line beside each
(<file>.json.time, or <file>.time in a copy such as paper/constructions-protocol/). Other files
(curves, bf16, the released rate) are not part of the protocol and are skipped.

usage: constructions_protocol.py EVAL_DIR [--out OUT_MD] [--strings 1000]
"""
import argparse
import glob
import json
import math
import os
import re
import sys

import common

ORDERS = (3, 4, 5)  # 10^3, 10^4, 10^5 (mod-arith's odd lengths 1001, ... count as their order)
NAME = re.compile(r"^(?P<construction>.+)-relaxed-\d+$")


def seconds_beside(path):
    """Wall seconds from the /usr/bin/time line next to an eval JSON, or None."""
    stem = path[: -len(".json")]
    for candidate in (path + ".time", stem + ".time"):
        if os.path.exists(candidate):
            with open(candidate) as f:
                first = f.read().split()
            try:
                return float(first[0])
            except (IndexError, ValueError):
                return None
    return None


def load(eval_dir):
    """{construction: {"task": spec, order: {"length", "count", "seq_acc", "token_acc", "code",
    "seconds"}}}; at one order the larger sample wins."""
    out = {}
    for path in sorted(glob.glob(os.path.join(eval_dir, "*.json"))):
        match = NAME.match(os.path.basename(path)[: -len(".json")])
        if not match:
            continue
        with open(path) as f:
            data = json.load(f)
        if data.get("precision", "fp32") != "fp32" or "lengths" not in data:
            continue
        entry = out.setdefault(match["construction"], {"task": data.get("task", "?")})
        for point in data["lengths"]:
            order = int(math.floor(math.log10(point["length"])))
            if order not in ORDERS:
                continue
            old = entry.get(order)
            if old is not None and old["count"] >= point["count"]:
                continue
            entry[order] = {
                "length": point["length"],
                "count": point["count"],
                "seq_acc": point["seq_acc"],
                "token_acc": point["token_acc"],
                "code": data.get("code_version", "?"),
                "seconds": seconds_beside(path),
            }
    return out


def cell(point):
    """'1.0 on 1000': sequence accuracy on that many strings, and the token accuracy below 1.
    Written as repr(), which never rounds 0.9999995 up to 1."""
    if point is None:
        return "not evaluated"
    acc = repr(float(point["seq_acc"]))
    if point["seq_acc"] < 1.0:
        acc += f" (token {float(point['token_acc'])!r})"
    return f"{acc} on {point['count']}"


def met(entry, strings):
    """'yes', or what is missing."""
    missing = []
    for order in ORDERS:
        point = entry.get(order)
        if point is None:
            missing.append(f"no 10^{order}")
        elif point["seq_acc"] < 1.0:
            missing.append(f"fails at 10^{order}")
        elif point["count"] < strings:
            missing.append(f"{point['count']} strings at 10^{order}")
    return "yes" if not missing else "no: " + ", ".join(missing)


def table(evals, strings):
    note = (
        f"Sequence accuracy on N random strings, fp32, CPU kernel; the protocol: at least {strings} "
        "strings at each of 10³, 10⁴ and 10⁵ symbols, sequence accuracy 1.0 at all three.\n\n"
    )
    header = ["construction", "task", "10³", "10⁴", "10⁵", "protocol met", "code",
              "wall s at the longest"]
    rows = []
    for name in sorted(evals):
        entry = evals[name]
        points = [entry.get(order) for order in ORDERS]
        codes = sorted({p["code"] for p in points if p})
        longest = next((p for p in reversed(points) if p), None)
        seconds = f"{longest['seconds']:.0f}" if longest and longest["seconds"] is not None else "-"
        rows.append([name, f"`{entry['task']}`", *(cell(p) for p in points), met(entry, strings),
                     ", ".join(codes), seconds])
    return note + common.md_table(header, rows)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("eval_dir")
    parser.add_argument("--out", help="write the markdown table here (default: print it)")
    parser.add_argument("--strings", type=int, default=1000, help="strings the protocol asks for")
    args = parser.parse_args(argv[1:])
    evals = load(args.eval_dir)
    if not evals:
        print(f"constructions_protocol: no <construction>-relaxed-<length>.json in {args.eval_dir}",
              file=sys.stderr)
        return 2
    text = table(evals, args.strings)
    if args.out:
        common.write_atomic(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
