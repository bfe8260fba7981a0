#!/usr/bin/env python3
"""bfloat16 against Keras: the largest difference from Keras' float32 GRU (last output) of
`gru predict --precision bf16` and of OpenVINO's CPU plugin in its default precision (bfloat16
on a CPU with AVX512_BF16), on the same weights and inputs, for the benchmark shapes.

Weights as Keras draws them (glorot kernel, orthogonal recurrent kernel) with a random bias;
inputs standard normal. Also prints swift-gru's float32 difference, for scale.

Usage: python3 Scripts/checks/bf16-error.py [path/to/peers]   (default ../shared/tools/peers;
packages: Scripts/requirements/fixtures.txt and openvino==2026.4.1; build first:
swift build -c release --product gru)
"""
import os, subprocess, sys, tempfile
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GRU = os.path.join(ROOT, ".build", "release", "gru")
PEERS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "tools", "peers")
sys.path.insert(0, PEERS)
from ov_gru import keras_to_ov, build_model, compile_model  # noqa: E402

SHAPES = {"stream": (1, 200, 64, 128), "small": (32, 100, 64, 128), "medium": (64, 50, 256, 256), "large": (64, 50, 512, 512)}


def main():
    print("| shape | B,T,F,U | swift-gru bf16 | OpenVINO bf16 | swift-gru fp32 |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, (b, t, f, u) in SHAPES.items():
            rng = np.random.default_rng(0)
            keras.utils.set_random_seed(0)
            model = keras.Sequential([keras.Input((t, f)), keras.layers.GRU(u)])
            kernel, recurrent, _ = model.layers[0].get_weights()
            bias = (rng.standard_normal((2, 3 * u)) * 0.5).astype("float32")
            model.layers[0].set_weights([kernel, recurrent, bias])
            x = rng.standard_normal((b, t, f)).astype("float32")
            expected = model.predict(x, verbose=0)
            path = os.path.join(folder, name)
            model.save(path + ".keras")
            np.save(path + ".x.npy", x)
            errors = {}
            for precision in ("bf16", "fp32"):
                subprocess.run([GRU, "predict", path + ".keras", path + ".x.npy", "-o", path + ".out.npy", "--precision", precision],
                               check=True, capture_output=True)
                errors[precision] = np.abs(np.load(path + ".out.npy") - expected).max()
            compiled = compile_model(build_model(b, t, f, u, *keras_to_ov(kernel, recurrent, bias)))
            ov = compiled.create_infer_request().infer([x])[compiled.output(0)]
            errors["ov"] = np.abs(ov - expected).max()
            print(f"| {name} | {b},{t},{f},{u} | {errors['bf16']:.1e} | {errors['ov']:.1e} | {errors['fp32']:.1e} |")


if __name__ == "__main__":
    main()
