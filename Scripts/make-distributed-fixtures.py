#!/usr/bin/env python3
"""Fixtures of the data-parallel training tests (Tests/KerasFilesTests/Fixtures/distributed):
two small compiled models and their data. The tests train them with `gru fit` in one process
and under `mpirun -np 2` and `-np 3` (`--distributed`) and compare; Keras only writes the files.

  adam.keras: Embedding(mask_zero) -> Bidirectional(GRU) -> Dense(sigmoid), Adam, binary
              crossentropy + mae; tokens right-padded (masks)
  sgd.keras:  GRU(return_sequences) -> GRU(reset_after = FALSE) -> Dense, SGD with momentum, mse
  dropout.keras: GRU(dropout, recurrent_dropout) -> Dropout -> GaussianNoise -> Dense, RMSprop,
              seeded layers (every process draws the masks one process would)
  stateful.keras: a stateful GRU on batches of 16 (each process keeps its rows' states), Adam

Usage: python3 Scripts/make-distributed-fixtures.py   (packages: Scripts/requirements-fixtures.txt)
"""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
from keras import layers

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KerasFilesTests", "Fixtures", "distributed")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(1)
    n, t = 70, 12
    tokens = np.zeros((n, t), dtype="float32")
    for row in tokens:
        length = rng.integers(3, t + 1)
        row[:length] = rng.integers(1, 50, length)
    labels = (rng.random((n, 1)) > 0.5).astype("float32")
    adam = keras.Sequential([keras.Input((t,)), layers.Embedding(50, 8, mask_zero=True),
                             layers.Bidirectional(layers.GRU(6)), layers.Dense(1, activation="sigmoid")])
    adam.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["mae"])
    adam.save(os.path.join(OUT, "adam.keras"))
    np.save(os.path.join(OUT, "adam.x.npy"), tokens)
    np.save(os.path.join(OUT, "adam.y.npy"), labels)

    series = rng.standard_normal((n, 10, 3)).astype("float32")
    targets = rng.standard_normal((n, 2)).astype("float32")
    sgd = keras.Sequential([keras.Input((10, 3)), layers.GRU(8, return_sequences=True), layers.GRU(5, reset_after=False),
                            layers.Dense(2)])
    sgd.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    sgd.save(os.path.join(OUT, "sgd.keras"))
    np.save(os.path.join(OUT, "sgd.x.npy"), series)
    np.save(os.path.join(OUT, "sgd.y.npy"), targets)

    dropout = keras.Sequential([keras.Input((10, 3)), layers.GRU(7, dropout=0.2, recurrent_dropout=0.1, seed=3),
                                layers.Dropout(0.3, seed=4), layers.GaussianNoise(0.1, seed=5), layers.Dense(2)])
    dropout.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="mse")
    dropout.save(os.path.join(OUT, "dropout.keras"))

    stateful = keras.Sequential([keras.Input(batch_shape=(16, 10, 3)), layers.GRU(6, stateful=True), layers.Dense(2)])
    stateful.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    stateful.save(os.path.join(OUT, "stateful.keras"))
    np.save(os.path.join(OUT, "stateful.x.npy"), rng.standard_normal((64, 10, 3)).astype("float32"))
    np.save(os.path.join(OUT, "stateful.y.npy"), rng.standard_normal((64, 2)).astype("float32"))


if __name__ == "__main__":
    main()
