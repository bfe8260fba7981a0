#!/usr/bin/env python3
"""Turns the JSON lines of Scripts/bench-side-by-side.sh into the Markdown table of
BENCHMARKS.md: medians in milliseconds and, per row, the best peer's time divided
by swift-gru's (above 1: swift-gru is faster).

Usage: Scripts/bench-side-by-side.sh > run.jsonl; python3 Scripts/benchmarks-table.py run.jsonl
"""
import json, sys

SHAPES = {"stream": "1,200,64,128", "small": "32,100,64,128", "medium": "64,50,256,256", "large": "64,50,512,512"}
PEERS = {"ort": "ONNX Runtime", "tf": "TF Keras", "torch": "PyTorch"}
FLOPS = {name: 6 * int(u) * (int(f) + int(u)) * int(b) * int(t) for name, (b, t, f, u) in
         ((n, s.split(",")) for n, s in SHAPES.items())}
PEAK = 230.0  # GFLOP/s, two cores of 115 measured with an FMA loop on this machine

ours, peers = {}, {}
for line in open(sys.argv[1]):
    record = json.loads(line)
    if record["fw"] == "swift-gru":
        result = record["result"]
        ours[(record["shape"], "infer" if result["mode"] == "inference" else "train")] = result["median_seconds"]
    elif "sec" in record:
        peers.setdefault((record["shape"], record["mode"]), {})[record["fw"]] = record["sec"]

print("| shape | B,T,F,U | mode | swift-gru | " + " | ".join(PEERS.values()) + " | best peer / swift-gru | swift-gru GFLOP/s (% of peak) |")
print("|---|---|---|---|" + "---|" * len(PEERS) + "---|---|")
for shape, dims in SHAPES.items():
    for mode in ("infer", "train"):
        mine = ours.get((shape, mode))
        theirs = peers.get((shape, mode), {})
        if mine is None:
            continue
        cells = [f"{theirs[p] * 1e3:.2f} ms" if p in theirs else "-" for p in PEERS]
        best = min(theirs.values()) if theirs else None
        ratio = f"**{best / mine:.2f}x**" if best else "-"
        gflops = FLOPS[shape] * (3 if mode == "train" else 1) / mine / 1e9
        label = "inference" if mode == "infer" else "training"
        print(f"| {shape} | {dims} | {label} | {mine * 1e3:.2f} ms | " + " | ".join(cells)
              + f" | {ratio} | {gflops:.0f} ({100 * gflops / PEAK:.0f}%) |")
