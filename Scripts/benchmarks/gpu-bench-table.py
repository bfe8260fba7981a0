"""Markdown table of Scripts/benchmarks/gpu-bench.sh's JSON lines: medians over rounds, in ms, and
PyTorch / swift-gru ratios (above 1: swift-gru is faster).

Usage: python3 Scripts/benchmarks/gpu-bench-table.py gpu-bench.jsonl
"""
import collections
import json
import statistics
import sys

rows = collections.defaultdict(list)
for path in sys.argv[1:]:
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        key = (r["batch"], r["steps"], r["features"], r["units"], r["mode"])
        rows[key, r["framework"]].append(r["median_seconds"] * 1e3)

shapes = sorted({key for key, _ in rows}, key=lambda k: (k[4], k[0] * k[1] * k[3] * (k[2] + k[3])))
print("| B, T, F, U | mode | swift-gru ms | PyTorch fp32 ms | PyTorch TF32 ms | fp32 / swift | TF32 / swift |")
print("|---|---|---|---|---|---|---|")
for key in shapes:
    def median(name):
        values = rows.get((key, name))
        return statistics.median(values) if values else float("nan")
    swift, fp32, tf32 = median("swift-gru"), median("torch-cudnn-fp32"), median("torch-cudnn-tf32")
    b, t, f, u, mode = key
    print(f"| {b}, {t}, {f}, {u} | {mode} | {swift:.3f} | {fp32:.3f} | {tf32:.3f} | {fp32 / swift:.2f}x | {tf32 / swift:.2f}x |")
