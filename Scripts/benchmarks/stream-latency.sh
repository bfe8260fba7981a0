#!/usr/bin/env bash
# Per-step latency of a batch-1 stream: gru's StreamingSession (`gru predict --stream 1`)
# against ONNX Runtime running the `--streaming` export one step per call with its states fed
# back (what a deployment without a stateful runtime does). Alternating rounds, medians.
# Needs Python with keras, numpy and onnxruntime (Scripts/requirements/onnx.txt).
#   Scripts/benchmarks/stream-latency.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
swift build -c release --product gru >/dev/null
gru="$(swift build -c release --show-bin-path)/gru"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras
work = sys.argv[1]
rng = np.random.default_rng(0)
for name, units, features in [("small", 64, 32), ("medium", 256, 128)]:
    model = keras.Sequential([keras.Input((200, features)), keras.layers.GRU(units, return_sequences=True),
                              keras.layers.GRU(units), keras.layers.Dense(1)])
    model.save(os.path.join(work, name + ".keras"))
    np.save(os.path.join(work, name + ".x.npy"), rng.standard_normal((1, 200, features)).astype("float32"))
PY
for name in small medium; do
    "$gru" convert "$work/$name.keras" "$work/$name.onnx" --streaming >/dev/null
    for round in $(seq "$rounds"); do
        "$gru" predict "$work/$name.keras" "$work/$name.x.npy" --stream 1 | sed -n "s/^streamed .*median \([0-9.]*\) µs, p99 \([0-9.]*\).*/$name swift-gru median_us=\1 p99_us=\2/p"
        python3 - "$work/$name.onnx" "$work/$name.x.npy" "$name" <<'PY'
import sys, time, numpy as np, onnxruntime as ort
options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
x = np.load(sys.argv[2])
inputs = session.get_inputs()
states = {i.name: np.zeros((1, i.shape[1]), dtype="float32") for i in inputs[1:]}
outputs = [o.name for o in session.get_outputs()]
times = []
for t in range(x.shape[1]):
    start = time.perf_counter_ns()
    result = session.run(None, {inputs[0].name: x[:, t:t + 1], **states})
    times.append((time.perf_counter_ns() - start) / 1000)
    states = {n: result[outputs.index(n + "_out")] for n in states}
times.sort()
print(f"{sys.argv[3]} onnxruntime median_us={times[len(times) // 2]:.1f} p99_us={times[len(times) * 99 // 100]:.1f}")
PY
    done
done
