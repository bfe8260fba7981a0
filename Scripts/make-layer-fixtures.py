#!/usr/bin/env python3
"""Generates fixtures for the layers real GRU models are built with, beyond the GRU itself, and the LSTM and SimpleRNN
(Tests/KerasFilesTests/Fixtures/layers): models saved by Keras 3 with random weights (and
random moving statistics), their inputs and Keras' predictions. Then the Swift tool
converts each model (`gru convert`) and Keras 3 must load that file and predict the same.

Usage: swift build && python3 Scripts/make-layer-fixtures.py
Packages: Scripts/requirements-fixtures.txt
"""
import json, os, subprocess
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import keras

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "layers")
GRU_TOOL = os.environ.get("GRU_TOOL", os.path.join(ROOT, ".build", "debug", "gru"))


def activations_between_grus():
    """Stacked GRUs with LeakyReLU, BatchNormalization and a capped ReLU between them."""
    return keras.Sequential([
        keras.Input((6, 3)),
        keras.layers.GRU(5, return_sequences=True),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.BatchNormalization(epsilon=0.01),
        keras.layers.GRU(4),
        keras.layers.ReLU(max_value=0.6, threshold=0.1, negative_slope=0.05),
        keras.layers.Dense(2),
    ], name="activations_between_grus")


def lstm_masked_bidirectional():
    """LSTMs as users stack them: embedded tokens with padding, a sequence LSTM, a
    Bidirectional LSTM, one read backwards, an RNN over an LSTMCell."""
    return keras.Sequential([
        keras.Input((7,)),
        keras.layers.Embedding(20, 4, mask_zero=True),
        keras.layers.LSTM(5, return_sequences=True),
        keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
        keras.layers.LSTM(4, return_sequences=True, go_backwards=True),
        keras.layers.RNN(keras.layers.LSTMCell(2, unit_forget_bias=False)),
        keras.layers.Dense(2),
    ], name="lstm_masked_bidirectional")


def simple_rnn_stack():
    """SimpleRNNs: relu and tanh, one read backwards, an RNN over a stack of cells."""
    return keras.Sequential([
        keras.Input((6, 3)),
        keras.layers.Masking(0.0),
        keras.layers.SimpleRNN(5, activation="relu", return_sequences=True),
        keras.layers.SimpleRNN(4, return_sequences=True, go_backwards=True),
        keras.layers.RNN([keras.layers.SimpleRNNCell(3), keras.layers.LSTMCell(2)]),
        keras.layers.Dense(2),
    ], name="simple_rnn_stack")


def padded_sequences(rng):
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    x[1, 4:] = 0
    x[2, 1:] = 0
    return x


def tokens(rng):
    x = rng.integers(1, 20, size=(4, 7)).astype("float32")
    x[1, 4:] = 0  # right padding
    x[3, 2:] = 0
    return x


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(21)
    manifest = []
    for build, inputs in ((activations_between_grus, None), (lstm_masked_bidirectional, tokens),
                          (simple_rnn_stack, padded_sequences)):
        model = build()
        for w in model.weights:
            low = 0.5 if "variance" in w.path else -0.5
            w.assign(rng.uniform(low, low + 1.0, w.shape).astype("float32"))
        name = model.name
        x = inputs(rng) if inputs else rng.standard_normal((4, 6, 3)).astype("float32")
        expected = model.predict(x, verbose=0)
        model.save(os.path.join(OUT, f"{name}.keras"))
        np.save(os.path.join(OUT, f"{name}.input.npy"), x)
        np.save(os.path.join(OUT, f"{name}.expected.npy"), expected)
        swift = os.path.join(OUT, f"{name}.swift.keras")
        subprocess.run([GRU_TOOL, "convert", os.path.join(OUT, f"{name}.keras"), swift], check=True)
        error = float(np.max(np.abs(keras.models.load_model(swift).predict(x, verbose=0) - expected)))
        assert error < 1e-5, f"{name}: Keras reads Swift's file with error {error}"
        manifest.append({"name": name, "round_trip_error": error})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "models": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
