#!/usr/bin/env python3
"""Writes a model file with the Keras version this script runs under, for the tests that
read files of older Keras versions (Tests/KerasFilesTests/Fixtures/versions).

Keras 3.0 to 3.6 wrote the orthogonal initializer as "OrthogonalInitializer"; this file
is one of them. Run it in a virtual environment of its own:

    python3 -m venv /tmp/keras35 && /tmp/keras35/bin/pip install -r Scripts/requirements-keras35.txt
    /tmp/keras35/bin/python Scripts/make-version-fixtures.py
"""
import os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KerasFilesTests", "Fixtures", "versions")
os.makedirs(OUT, exist_ok=True)
name = f"keras-{keras.__version__}-stacked"
rng = np.random.default_rng(5)
model = keras.Sequential([keras.Input((6, 3)), keras.layers.GRU(5, return_sequences=True), keras.layers.GRU(4),
                          keras.layers.Dense(2)])
for w in model.weights:
    w.assign(rng.uniform(-0.5, 0.5, w.shape).astype("float32"))
x = rng.standard_normal((3, 6, 3)).astype("float32")
np.save(os.path.join(OUT, f"{name}.input.npy"), x)
np.save(os.path.join(OUT, f"{name}.expected.npy"), model.predict(x, verbose=0))
model.save(os.path.join(OUT, f"{name}.keras"))
print("wrote", name)
