#!/usr/bin/env python3
"""`gru bench` against the peers over a grid of shapes, each framework in a process of its own,
in alternating order round after round; prints a Markdown table of medians (the range over the
rounds in brackets) and each mode's ratio best float32 peer / swift-gru (above 1: swift-gru is
faster), and swift-gru's bfloat16 against OpenVINO's where both ran.

    pip install -r Scripts/requirements/fixtures.txt onnx onnxruntime   (torch, openvino optional)
    swift build -c release --product gru
    python3 Scripts/benchmarks/bench-grid.py [--rounds 5] [--reps 7] [--shapes all|B,T,F,U;...]
        [--frameworks swift-gru,swift-gru-bf16,ort,tf,torch,openvino,openvino_f32,onednn]
        [--peers ../shared/tools] [--json out.jsonl]

Frameworks that are not installed print an error line and are left out of the table. Run it
on an otherwise idle machine: peers' idle thread pools slow a process beside them, which is why
every framework runs alone.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

# (batch, steps, features, units): batch 1 to 512, units and features 16 to 1024, steps up to
# 1000, the four rows of BENCHMARKS.md first; then shapes off the regular ones (batches of two
# and three, features far wider or narrower than the units, units not a multiple of 8).
GRID = [
    (1, 200, 64, 128), (32, 100, 64, 128), (64, 50, 256, 256), (64, 50, 512, 512),
    (256, 200, 128, 128), (128, 100, 256, 256), (256, 100, 64, 64), (512, 50, 16, 32),
    (16, 400, 128, 256), (8, 1000, 64, 64), (1, 500, 256, 256), (32, 50, 1024, 1024),
    (128, 20, 1024, 512), (4, 100, 16, 16),
    (1, 1000, 16, 16), (2, 300, 32, 64), (512, 100, 128, 16), (1, 100, 1024, 1024),
    (64, 200, 32, 256), (256, 30, 512, 128), (8, 50, 1024, 64), (16, 100, 64, 512),
    (3, 250, 40, 24),
]

PEER_RUNNER = r"""
import json, sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + "/peers")
fw, reps, shapes = sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
extra = fw in ("openvino", "openvino_f32", "onednn")
module = __import__("peer_bench_extra" if extra else "peer_bench")
for b, t, f, u in shapes:
    name = f"{b}x{t}x{f}x{u}"
    module.SHAPES[name] = (b, t, f, u)
    for mode in ("infer", "train"):
        sys.argv = ["peer", "--shapes", name, "--frameworks", fw, "--modes", mode, "--reps", str(reps)]
        module.main()
"""


def run_gru(binary, shapes, precision, reps):
    for b, t, f, u in shapes:
        for mode in ("inference", "training"):
            done = subprocess.run([binary, "bench", "--batch", str(b), "--steps", str(t), "--features", str(f), "--units", str(u),
                                   "--mode", mode, "--repeats", str(reps), "--json", "--precision", precision],
                                  capture_output=True, text=True)
            shape = f"{b}x{t}x{f}x{u}"
            fw = "swift-gru" if precision == "fp32" else "swift-gru-bf16"
            if done.returncode != 0:
                yield {"fw": fw, "shape": shape, "mode": mode[:5], "error": done.stderr.strip()[:200]}
                continue
            result = json.loads(done.stdout)
            seconds = result.get("median_seconds") or result.get("seconds") or result.get("median")
            yield {"fw": fw, "shape": shape, "mode": "infer" if mode == "inference" else "train", "sec": seconds}


def run_peer(peers, fw, shapes, reps):
    done = subprocess.run([sys.executable, "-c", PEER_RUNNER, peers, fw, str(reps), json.dumps(shapes)],
                          capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            entry["fw"] = fw
            yield entry
    if done.returncode != 0:
        yield {"fw": fw, "shape": "*", "mode": "*", "error": done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else "failed"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--shapes", default="all")
    ap.add_argument("--frameworks", default="swift-gru,swift-gru-bf16,ort,tf,torch,openvino,openvino_f32,onednn")
    ap.add_argument("--peers", default=os.path.join(ROOT, "..", "shared", "tools"))
    ap.add_argument("--gru", default=os.path.join(ROOT, ".build", "release", "gru"))
    ap.add_argument("--json")
    a = ap.parse_args()
    shapes = GRID if a.shapes == "all" else [tuple(int(v) for v in s.split(",")) for s in a.shapes.split(";")]
    frameworks = a.frameworks.split(",")
    results, errors = {}, {}
    log = open(a.json, "w") if a.json else None
    for round_ in range(a.rounds):
        order = frameworks[:]
        random.Random(round_).shuffle(order)  # alternate the order from round to round
        for fw in order:
            entries = (run_gru(a.gru, shapes, "bf16" if fw == "swift-gru-bf16" else "fp32", a.reps)
                       if fw.startswith("swift-gru") else run_peer(a.peers, fw, shapes, a.reps))
            for entry in entries:
                entry["round"] = round_
                if log:
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                if "error" in entry:
                    errors.setdefault(fw, entry["error"])
                elif entry.get("sec"):
                    results.setdefault((entry["shape"], entry["mode"], fw), []).append(entry["sec"])
        print(f"round {round_ + 1} of {a.rounds} done", file=sys.stderr)
    for fw, error in errors.items():
        print(f"<!-- {fw}: {error} -->")
    fp32_peers = [f for f in frameworks if not f.startswith("swift-gru") and f != "openvino"]
    print("| B, T, F, U | mode | swift-gru | best fp32 peer | ratio | swift-gru bf16 | OpenVINO bf16 | ratio |")
    print("|---|---|---|---|---|---|---|---|")

    def cell(times):
        if not times:
            return None, "-"
        med = statistics.median(times)
        return med, f"{med * 1e3:.2f} ms ({min(times) * 1e3:.2f}-{max(times) * 1e3:.2f})"

    for b, t, f, u in shapes:
        shape = f"{b}x{t}x{f}x{u}"
        for mode in ("infer", "train"):
            ours, ours_text = cell(results.get((shape, mode, "swift-gru"), []))
            peers = [(statistics.median(v), fw) for fw in fp32_peers if (v := results.get((shape, mode, fw)))]
            best = min(peers) if peers else None
            bf, bf_text = cell(results.get((shape, mode, "swift-gru-bf16"), []))
            ov, ov_text = cell(results.get((shape, mode, "openvino"), []))
            ratio = f"{best[0] / ours:.2f}x" if best and ours else "-"
            best_text = f"{best[1]} {best[0] * 1e3:.2f} ms" if best else "-"
            bf_ratio = f"{ov / bf:.2f}x" if ov and bf else "-"
            print(f"| {b}, {t}, {f}, {u} | {mode} | {ours_text} | {best_text} | {ratio} | {bf_text} | {ov_text} | {bf_ratio} |")


if __name__ == "__main__":
    main()
