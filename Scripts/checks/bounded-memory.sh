#!/usr/bin/env bash
# Peak memory of `gru predict` and `gru fit` on .npy inputs of 0.5 GB and 5 GB, the 5 GB runs
# under a virtual-memory limit of half the file (ulimit -v): the inputs are read a batch at a
# time, so the peak stays at the model and a few batches. Needs numpy and Keras (to write the
# model file) and GNU time; files go to ${WORK:-/tmp/gru-bounded-memory} (about 6 GB).
#   Scripts/checks/bounded-memory.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product gru
gru="$(swift build -c release --show-bin-path)/gru"
work="${WORK:-/tmp/gru-bounded-memory}"
mkdir -p "$work"
python3 - "$work" <<'PY'
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras
work = sys.argv[1]
model = keras.Sequential([keras.Input((100, 32)), keras.layers.GRU(16), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.save(os.path.join(work, "model.keras"))
for name, n in [("half", 40_000), ("five", 400_000)]:
    x = np.lib.format.open_memmap(os.path.join(work, name + ".x.npy"), mode="w+", dtype="float32", shape=(n, 100, 32))
    y = np.lib.format.open_memmap(os.path.join(work, name + ".y.npy"), mode="w+", dtype="float32", shape=(n, 1))
    rng = np.random.default_rng(0)
    for s in range(0, n, 10_000):
        e = min(n, s + 10_000)
        x[s:e] = rng.standard_normal((e - s, 100, 32), dtype="float32")
        y[s:e] = rng.standard_normal((e - s, 1), dtype="float32")
    x.flush(); y.flush()
PY
run() {
    local label="$1"; shift
    local peak
    peak=$( { /usr/bin/time -v "$@" >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident/ {print $2}')
    echo "$label: peak RSS $((peak / 1024)) MB"
}
cd "$work"
run "predict 0.5 GB" "$gru" predict model.keras half.x.npy -o half.p.npy --batch-size 256
run "fit 0.5 GB, 1 epoch" "$gru" fit model.keras half.x.npy half.y.npy --epochs 1 --batch-size 256 -o half.trained.keras
limit=$(( $(stat -c %s five.x.npy) / 2 / 1024 ))
( ulimit -v "$limit"
  run "predict 5 GB (ulimit -v $((limit / 1024)) MB)" "$gru" predict model.keras five.x.npy -o five.p.npy --batch-size 256
  run "fit 5 GB, 1 epoch, validation split 0.1 (ulimit -v $((limit / 1024)) MB)" "$gru" fit model.keras five.x.npy five.y.npy \
      --epochs 1 --batch-size 256 --validation-split 0.1 -o five.trained.keras )
