#!/usr/bin/env bash
# Runs on a machine with an NVIDIA GPU and PyTorch: checks that the GPU path gives the CPU's
# numbers (`gru gpu-check`), then times swift-gru's cuDNN GRU against PyTorch's side by side,
# alternating, for the benchmark shapes and large ones. Writes gpu-check.txt and
# gpu-bench.jsonl to the output folder.
#
# Usage: Scripts/benchmarks/gpu-bench.sh <gru binary> <output folder> [rounds]
# The binary is built where Swift is: swift build -c release --static-swift-stdlib --product gru
set -uo pipefail
gru=$1
out=$2
rounds=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/device.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())" | tee -a "$out/device.txt"
if ! "$gru" gpu-check > "$out/gpu-check.txt" 2>&1; then
    cat "$out/gpu-check.txt"
    # The libraries were not found by the binary's own search: name PyTorch's.
    GRU_CUDA_LIBRARY_PATH=$(python3 -c "import glob, os, nvidia; print(':'.join(sorted(glob.glob(os.path.join(list(nvidia.__path__)[0], '*', 'lib')))))")
    export GRU_CUDA_LIBRARY_PATH
    echo "retrying with GRU_CUDA_LIBRARY_PATH=$GRU_CUDA_LIBRARY_PATH"
    "$gru" gpu-check > "$out/gpu-check.txt" 2>&1
fi
cat "$out/gpu-check.txt"
shapes="1x200x64x128 32x100x64x128 64x50x256x256 64x50x512x512 64x100x512x512 64x1000x512x512 64x100x1024x1024 64x100x2048x2048 64x1000x2048x2048"
# Rounds alternate between the two: swift-gru over every shape, then PyTorch over every shape.
for round in $(seq "$rounds"); do
    for shape in $shapes; do
        IFS=x read -r b t f u <<< "$shape"
        for mode in inference training; do
            "$gru" bench --device gpu --batch "$b" --steps "$t" --features "$f" --units "$u" --mode "$mode" --repeats 20 --json \
                | sed "s/^{/{\"framework\": \"swift-gru\", \"round\": $round, /" >> "$out/gpu-bench.jsonl"
        done
    done
    python3 "$here/torch-gpu-bench.py" --shapes "$(echo $shapes | tr ' ' ',')" --reps 20 \
        | sed "s/^{/{\"round\": $round, /" >> "$out/gpu-bench.jsonl"
done
python3 "$here/gpu-bench-table.py" "$out/gpu-bench.jsonl" | tee "$out/gpu-bench.md"
# End to end: the demo's training (adding problem) with the GRU on the GPU and on the CPU.
for device in gpu cpu; do
    ( cd "$(mktemp -d)" && /usr/bin/time -f "$device demo: %e s" env GRU_DEVICE=$device "$gru" demo 2>&1 | tail -3 ) | tee -a "$out/demo.txt"
done
