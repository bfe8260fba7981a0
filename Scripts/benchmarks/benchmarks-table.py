#!/usr/bin/env python3
"""Turns the JSON lines of Scripts/benchmarks/bench-side-by-side.sh into the Markdown table of
BENCHMARKS.md: medians in milliseconds and, per row, the best float32 peer's time divided
by swift-gru's (above 1: swift-gru is faster). Given several runs, each cell is the
median over the runs and the per-run column lists every run's ratio. OpenVINO's default
(bfloat16 on this CPU) has a column of its own, outside the float32 comparison; a second
table sets swift-gru's bfloat16 mode against it (and against swift-gru's float32 training).

Usage: Scripts/benchmarks/bench-side-by-side.sh > run1.jsonl; ...; python3 Scripts/benchmarks/benchmarks-table.py run1.jsonl [run2.jsonl ...]
"""
import json, statistics, sys

SHAPES = {"stream": "1,200,64,128", "small": "32,100,64,128", "medium": "64,50,256,256", "large": "64,50,512,512"}
PEERS = {"ort": "ONNX Runtime", "tf": "TF Keras", "torch": "PyTorch", "openvino_f32": "OpenVINO f32", "onednn": "oneDNN 3.2"}
REDUCED = {"openvino": "OpenVINO bf16"}
FLOPS = {name: 6 * int(u) * (int(f) + int(u)) * int(b) * int(t) for name, (b, t, f, u) in
         ((n, s.split(",")) for n, s in SHAPES.items())}
PEAK = 230.0  # GFLOP/s, two cores of 115 measured with an FMA loop on this machine

runs, reduced_runs = [], []
for path in sys.argv[1:]:
    ours, reduced_ours, peers = {}, {}, {}
    for line in open(path):
        record = json.loads(line)
        if record["fw"] in ("swift-gru", "swift-gru-bf16"):
            result = record["result"]
            key = (record["shape"], "infer" if result["mode"] == "inference" else "train")
            (ours if record["fw"] == "swift-gru" else reduced_ours)[key] = result["median_seconds"]
        elif "sec" in record:
            peers.setdefault((record["shape"], record["mode"]), {})[record["fw"]] = record["sec"]
    runs.append((ours, peers))
    reduced_runs.append(reduced_ours)


def median(values):
    return statistics.median(values) if values else None


def ratio(run, key):
    ours, peers = run
    theirs = {p: value for p, value in peers.get(key, {}).items() if p in PEERS}
    return min(theirs.values()) / ours[key] if theirs and key in ours else None

print("| shape | B,T,F,U | mode | swift-gru | " + " | ".join(PEERS.values()) + " | best fp32 peer / swift-gru | per run | swift-gru GFLOP/s (% of peak) | "
      + " | ".join(REDUCED.values()) + " |")
print("|---|---|---|---|" + "---|" * len(PEERS) + "---|---|---|" + "---|" * len(REDUCED))
for shape, dims in SHAPES.items():
    for mode in ("infer", "train"):
        key = (shape, mode)
        mine = median([run[0][key] for run in runs if key in run[0]])
        if mine is None:
            continue
        cells, best = [], None
        for p in PEERS:
            value = median([run[1][key][p] for run in runs if p in run[1].get(key, {})])
            cells.append(f"{value * 1e3:.2f} ms" if value else "-")
            if value and (best is None or value < best):
                best = value
        overall = f"**{best / mine:.2f}x**" if best else "-"
        each = ", ".join(f"{r:.2f}" for r in (ratio(run, key) for run in runs) if r)
        gflops = FLOPS[shape] * (3 if mode == "train" else 1) / mine / 1e9
        label = "inference" if mode == "infer" else "training"
        reduced = [median([run[1][key][p] for run in runs if p in run[1].get(key, {})]) for p in REDUCED]
        print(f"| {shape} | {dims} | {label} | {mine * 1e3:.2f} ms | " + " | ".join(cells)
              + f" | {overall} | {each or '-'} | {gflops:.0f} ({100 * gflops / PEAK:.0f}%) | "
              + " | ".join(f"{value * 1e3:.2f} ms ({value / mine:.2f}x)" if value else "-" for value in reduced) + " |")

if any(reduced_runs):
    print()
    print("| shape | mode | swift-gru bf16 | OpenVINO bf16 | OpenVINO bf16 / swift-gru bf16 | swift-gru fp32 / bf16 | swift-gru bf16 GFLOP/s (% of bf16 peak) |")
    print("|---|---|---|---|---|---|---|")
    for shape in SHAPES:
        for mode in ("infer", "train"):
            key = (shape, mode)
            mine = median([run[key] for run in reduced_runs if key in run])
            if mine is None:
                continue
            fp32 = median([run[0][key] for run in runs if key in run[0]])
            ov = median([run[1][key]["openvino"] for run in runs if "openvino" in run[1].get(key, {})])
            gflops = FLOPS[shape] * (3 if mode == "train" else 1) / mine / 1e9
            label = "inference" if mode == "infer" else "training"
            print(f"| {shape} | {label} | {mine * 1e3:.2f} ms | " + (f"{ov * 1e3:.2f} ms | **{ov / mine:.2f}x**" if ov else "- | -")
                  + f" | {fp32 / mine:.2f}x | {gflops:.0f} ({100 * gflops / (2 * PEAK):.0f}%) |")
