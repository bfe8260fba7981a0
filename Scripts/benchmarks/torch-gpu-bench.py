"""Times PyTorch's nn.GRU on cuDNN, as `gru bench --device gpu` times swift-gru.

Inference: one forward pass. Training: forward, then the gradients of sum(final state)
and of every weight. The data is on the GPU before timing; each run ends with a
synchronize. Prints one JSON line per shape, mode and TF32 setting.

Usage: python3 Scripts/benchmarks/torch-gpu-bench.py --shapes 64x50x256x256,... [--modes infer,train] [--reps 20]
Requirements: torch with CUDA (see Scripts/requirements/gpu.txt).
"""
import argparse
import json
import statistics
import time

import torch


def timeit(fn, reps, warm=3):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def bench(b, t, f, u, mode, tf32, reps):
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.manual_seed(0)
    gru = torch.nn.GRU(f, u, batch_first=True).cuda()
    x = torch.randn(b, t, f, device="cuda")
    if mode == "inference":
        gru.eval()

        def run():
            with torch.inference_mode():
                gru(x)
    else:
        def run():
            gru.zero_grad()
            _, h = gru(x)
            h.sum().backward()
    return timeit(run, reps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", required=True, help="BxTxFxU,...")
    parser.add_argument("--modes", default="inference,training")
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    for shape in args.shapes.split(","):
        b, t, f, u = (int(v) for v in shape.split("x"))
        for mode in args.modes.split(","):
            for tf32 in (False, True):
                times = sorted(bench(b, t, f, u, mode, tf32, args.reps))
                print(json.dumps({
                    "framework": "torch-cudnn-tf32" if tf32 else "torch-cudnn-fp32",
                    "device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "cudnn": torch.backends.cudnn.version(),
                    "batch": b, "steps": t, "features": f, "units": u, "mode": mode,
                    "median_seconds": statistics.median(times), "min_seconds": times[0],
                }), flush=True)


if __name__ == "__main__":
    main()
