#!/usr/bin/env python3
"""Generates the merge-layer fixtures in Tests/KerasFilesTests/Fixtures/merge from real Keras.

Two functional models whose GRU branches meet in a merge layer (Add of two final
states; Concatenate of two sequences, one read backwards), saved as .keras by Keras 3 with random weights, with
their inputs and Keras' predictions (.npy), and the gradients Keras computes for
sum(output) with respect to every weight (.npz, in model.weights order), so the Swift
tests check the merge layers forwards and backwards. Then the Swift tool converts each
model (`gru convert`) and Keras 3 must load that file and predict the same values.

Usage: swift build && python3 Scripts/make-merge-fixtures.py
Packages: Scripts/requirements-fixtures.txt
"""
import json, os, subprocess
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import keras
import tensorflow as tf

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "merge")
GRU_TOOL = os.environ.get("GRU_TOOL", os.path.join(ROOT, ".build", "debug", "gru"))


def add_model():
    a, b = keras.Input((5, 3), name="a"), keras.Input((5, 3), name="b")
    left = keras.layers.GRU(4, name="left")(a)
    right = keras.layers.GRU(4, reset_after=False, name="right")(b)
    merged = keras.layers.Add(name="add")([left, right])
    return keras.Model([a, b], keras.layers.Dense(2, name="head")(merged), name="add_model")


def concatenate_model():
    a, b = keras.Input((6, 3), name="a"), keras.Input((6, 2), name="b")
    # No mask here: Keras 3 writes the mask's computation into the file as operations
    # (NotEqual, Any, LogicalOr, ...) when masked sequences meet a merge layer.
    left = keras.layers.GRU(4, return_sequences=True, name="left")(a)
    right = keras.layers.GRU(3, return_sequences=True, go_backwards=True, name="right")(b)
    joined = keras.layers.Concatenate(name="join")([left, right])
    out = keras.layers.GRU(2, name="top")(joined)
    return keras.Model([a, b], out, name="concatenate_model")


def masked_concatenate_model():
    """Masked sequences meeting a merge layer: Keras 3 writes the mask's computation into
    config.json as operations (NotEqual, Any, ExpandDims, LogicalOr, OnesLike, ...)."""
    a, b = keras.Input((6, 3), name="a"), keras.Input((6, 2), name="b")
    masked = keras.layers.Masking(0.0, name="masking")(a)
    left = keras.layers.GRU(4, return_sequences=True, name="left")(masked)
    right = keras.layers.GRU(3, return_sequences=True, name="right")(b)
    joined = keras.layers.Concatenate(name="join")([left, right])
    summed = keras.layers.Add(name="sum")([keras.layers.Dense(7, name="project")(joined), joined])
    out = keras.layers.GRU(2, name="top")(summed)
    return keras.Model([a, b], out, name="masked_concatenate_model")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    manifest = []
    for build in (add_model, concatenate_model, masked_concatenate_model):
        keras.utils.set_random_seed(3)
        model = build()
        for w in model.weights:
            w.assign(rng.uniform(-0.5, 0.5, w.shape).astype("float32"))
        name = model.name
        inputs = [rng.standard_normal((4,) + tuple(i.shape[1:])).astype("float32") for i in model.inputs]
        if name == "masked_concatenate_model":
            inputs[0][1, 4:] = 0.0  # right padding that the Masking layer masks
            inputs[0][3, 2:] = 0.0
        expected = model.predict(inputs, verbose=0)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(inputs))
        grads = tape.gradient(loss, model.trainable_weights)
        model.save(os.path.join(OUT, f"{name}.keras"))
        for k, x in enumerate(inputs):
            np.save(os.path.join(OUT, f"{name}.input{k}.npy"), x)
        np.save(os.path.join(OUT, f"{name}.expected.npy"), expected)
        np.savez(os.path.join(OUT, f"{name}.gradients.npz"), **{f"g{k:02d}": g.numpy() for k, g in enumerate(grads)})
        # Round trip: the Swift tool writes the model, Keras reads it back.
        swift = os.path.join(OUT, f"{name}.swift.keras")
        subprocess.run([GRU_TOOL, "convert", os.path.join(OUT, f"{name}.keras"), swift], check=True)
        again = keras.models.load_model(swift).predict(inputs, verbose=0)
        error = float(np.max(np.abs(again - expected)))
        assert error < 1e-5, f"{name}: Keras reads Swift's file with error {error}"
        manifest.append({"name": name, "inputs": len(inputs), "weights": [w.path for w in model.trainable_weights],
                         "round_trip_error": error})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "models": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
