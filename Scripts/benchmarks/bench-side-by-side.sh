#!/usr/bin/env bash
# Runs `gru bench` and the peers' peer_bench.py one after the other on the same
# machine, every shape and mode of BENCHMARKS.md, and prints one JSON line per run;
# then OpenVINO (bf16 default and f32) and oneDNN from peers/peer_bench_extra.py beside
# peer_bench.py, when it is there.
# Usage: Scripts/benchmarks/bench-side-by-side.sh [path/to/peer_bench.py] [python]
# The peers need: pip install numpy onnx onnxruntime tensorflow-cpu keras (torch optional);
# the extra peers openvino==2026.4.1 and oneDNN's benchmark built by peers/build_onednn_bench.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEER=${1:-../shared/tools/peer_bench.py}
PYTHON=${2:-python3}
swift build -c release --product gru >&2
sleep 15  # let the machine settle after the build
GRU=.build/release/gru
shapes=("stream 1 200 64 128" "small 32 100 64 128" "medium 64 50 256 256" "large 64 50 512 512")
for entry in "${shapes[@]}"; do
    set -- $entry
    for mode in inference training; do
        echo "{\"fw\": \"swift-gru\", \"shape\": \"$1\", \"result\": $($GRU bench --batch $2 --steps $3 --features $4 --units $5 --mode $mode --repeats 21 --json --precision fp32)}"
        echo "{\"fw\": \"swift-gru-bf16\", \"shape\": \"$1\", \"result\": $($GRU bench --batch $2 --steps $3 --features $4 --units $5 --mode $mode --repeats 21 --json --precision bf16)}"
    done
done
"$PYTHON" "$PEER" --frameworks ort,tf,torch --reps 7
EXTRA="$(dirname "$PEER")/peers/peer_bench_extra.py"
if [ -f "$EXTRA" ]; then
    OMP_NUM_THREADS=$(nproc) "$PYTHON" "$EXTRA" --frameworks openvino,openvino_f32,onednn --modes infer,train --reps 7
fi
