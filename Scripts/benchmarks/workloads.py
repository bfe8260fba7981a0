#!/usr/bin/env python3
"""End-to-end workloads, as a user meets them: Keras predict and fit in-process, warmed up,
against `gru predict` and `gru fit` (the release CLI, process start and file I/O included) on
the same .keras and .npy files. Rounds alternate; medians and spreads as a Markdown table.

  text:    Embedding(20000, 128, mask_zero) -> Bidirectional(GRU 128) -> Dense, 4096 x 200 tokens, lengths 20-200
  series:  GRU 64 (sequences) -> GRU 32 -> Dense, 20000 x 48 x 8
  classic: 2 x GRU 96 reset_after = FALSE, softmax, 8192 x 100 x 32

Usage: python3 Scripts/benchmarks/workloads.py [ROUNDS] [SCALE]   (SCALE < 1 shrinks the sample counts;
packages: Scripts/requirements/fixtures.txt; build first: swift build -c release --product gru)
"""
import os, statistics, subprocess, sys, tempfile, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
from keras import layers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GRU = os.path.join(ROOT, ".build", "release", "gru")


def workloads(scale, rng, folder):
    n = lambda count: max(64, int(count * scale))
    tokens = np.zeros((n(4096), 200), dtype="float32")
    for row in tokens:
        length = rng.integers(20, 201)
        row[:length] = rng.integers(1, 20000, length)
    text = keras.Sequential([keras.Input((200,)), layers.Embedding(20000, 128, mask_zero=True),
                             layers.Bidirectional(layers.GRU(128)), layers.Dense(1, activation="sigmoid")])
    text.compile(optimizer="adam", loss="binary_crossentropy")
    series = keras.Sequential([keras.Input((48, 8)), layers.GRU(64, return_sequences=True), layers.GRU(32), layers.Dense(1)])
    series.compile(optimizer="adam", loss="mse")
    classic = keras.Sequential([keras.Input((100, 32)), layers.GRU(96, reset_after=False, return_sequences=True),
                                layers.GRU(96, reset_after=False), layers.Dense(10, activation="softmax")])
    classic.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    data = {
        "text": (text, tokens, (rng.random((len(tokens), 1)) > 0.5).astype("float32")),
        "series": (series, rng.standard_normal((n(20000), 48, 8)).astype("float32"), rng.standard_normal((n(20000), 1)).astype("float32")),
        "classic": (classic, rng.standard_normal((n(8192), 100, 32)).astype("float32"), rng.integers(0, 10, (n(8192), 1)).astype("float32")),
    }
    for name, (model, x, y) in data.items():
        model.save(os.path.join(folder, name + ".keras"))
        np.save(os.path.join(folder, name + ".x.npy"), x)
        np.save(os.path.join(folder, name + ".y.npy"), y)
    return data


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        data = workloads(scale, rng, folder)
        times = {}
        for name, (model, x, y) in data.items():
            path = os.path.join(folder, name)
            # Keras warmed up (graphs traced) before it is timed: its steady state.
            model.predict(x[:64], verbose=0)
            trained = keras.models.load_model(path + ".keras")
            trained.fit(x[:64], y[:64], batch_size=32, epochs=1, shuffle=False, verbose=0)
            for _ in range(rounds):
                for task in ("predict", "fit"):
                    start = time.perf_counter()
                    if task == "predict":
                        model.predict(x, batch_size=32, verbose=0)
                    else:
                        trained.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
                    times.setdefault((name, task, "keras"), []).append(time.perf_counter() - start)
                    start = time.perf_counter()
                    if task == "predict":
                        subprocess.run([GRU, "predict", path + ".keras", path + ".x.npy", "-o", path + ".p.npy"], check=True, stdout=subprocess.DEVNULL)
                    else:
                        subprocess.run([GRU, "fit", path + ".keras", path + ".x.npy", path + ".y.npy", "--epochs", "1", "--no-shuffle",
                                        "-o", path + ".trained.keras"], check=True, stdout=subprocess.DEVNULL)
                    times.setdefault((name, task, "gru"), []).append(time.perf_counter() - start)
        print(f"| workload | task | Keras {keras.__version__} (s) | gru (s) | Keras / gru |")
        print("|---|---|---|---|---|")
        for name in data:
            for task in ("predict", "fit"):
                k, g = times[(name, task, "keras")], times[(name, task, "gru")]
                spread = lambda v: f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"
                print(f"| {name} | {task} | {spread(k)} | {spread(g)} | {statistics.median(k) / statistics.median(g):.2f}x |")


if __name__ == "__main__":
    main()
