#!/usr/bin/env python3
"""Variable-length text against its unpadded twin: what skipping the padded steps buys.

The text workload's model (Embedding(20000, 128, mask_zero) -> Bidirectional(GRU 128) ->
Dense), 4096 sequences of 200 tokens right-padded with zeros (lengths uniform in 20-200,
mean about 110), against the same model on the same number of sequences with no padding
(every sequence 200 tokens, the cost of computing every step). `gru fit` (one epoch, batch
32, no shuffling) and `gru predict`, as a user runs them, in alternating rounds; medians
with their range, and the unpadded time over the padded one.

Usage: python3 Scripts/benchmarks/masked-text.py [ROUNDS] [SAMPLES]
(packages: Scripts/requirements/fixtures.txt; build first: swift build -c release --product gru)
"""
import os, statistics, subprocess, sys, tempfile, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
from keras import layers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GRU = os.path.join(ROOT, ".build", "release", "gru")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    rng = np.random.default_rng(0)
    padded = np.zeros((samples, 200), dtype="float32")
    for row in padded:
        length = rng.integers(20, 201)
        row[:length] = rng.integers(1, 20000, length)
    unpadded = rng.integers(1, 20000, (samples, 200)).astype("float32")
    y = (rng.random((samples, 1)) > 0.5).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((200,)), layers.Embedding(20000, 128, mask_zero=True),
                              layers.Bidirectional(layers.GRU(128)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    mean = float((padded != 0).sum(axis=1).mean())
    with tempfile.TemporaryDirectory() as folder:
        path = lambda name: os.path.join(folder, name)
        model.save(path("text.keras"))
        np.save(path("y.npy"), y)
        for name, x in (("padded", padded), ("unpadded", unpadded)):
            np.save(path(name + ".npy"), x)
        commands = {
            "fit": lambda name: [GRU, "fit", path("text.keras"), path(name + ".npy"), path("y.npy"), "--epochs", "1",
                                 "--batch-size", "32", "--no-shuffle", "-o", path(name + ".trained.keras")],
            "predict": lambda name: [GRU, "predict", path("text.keras"), path(name + ".npy"), "-o", path(name + ".p.npy")],
        }
        times = {}
        for r in range(rounds):
            for task, command in commands.items():
                # Alternate which goes first, so that drift in the machine's speed falls on both.
                for name in (("padded", "unpadded") if r % 2 == 0 else ("unpadded", "padded")):
                    start = time.perf_counter()
                    subprocess.run(command(name), check=True, stdout=subprocess.DEVNULL)
                    times.setdefault((task, name), []).append(time.perf_counter() - start)
        print(f"{samples} sequences of 200 steps, padded mean length {mean:.1f}; {rounds} alternating rounds, whole command")
        print("| task | padded, masked (s) | unpadded (s) | unpadded / padded |")
        print("|---|---|---|---|")
        spread = lambda v: f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"
        for task in commands:
            p, u = times[(task, "padded")], times[(task, "unpadded")]
            print(f"| {task} | {spread(p)} | {spread(u)} | {statistics.median(u) / statistics.median(p):.2f}x |")


if __name__ == "__main__":
    main()
