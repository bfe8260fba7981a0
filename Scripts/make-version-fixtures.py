#!/usr/bin/env python3
"""Writes model files with the Keras version this script runs under, for the tests that
read files of older Keras versions (Tests/KerasFilesTests/Fixtures/versions).

Each model comes with `<name>.input.npy` and `<name>.expected.npy` (that Keras' float32
prediction). Four models: "stacked" (Sequential: GRU(5, return_sequences) -> GRU(4) ->
Dense(2)), "functional" (tokens -> Embedding(mask_zero) -> Bidirectional(GRU) ->
GRU(reset_after=False) -> Dense(2), inputs with trailing zero padding) and "convlstm"
(ConvLSTM2D(same, return_sequences) -> ConvLSTM2D -> Flatten -> Dense over 5x5 frames) and
"nested" (TimeDistributed over a Sequential frame encoder with BatchNormalization). Name
models on the command line to write only those (`... make-version-fixtures.py convlstm`).

- Keras 3 writes `keras-<version>-<model>.keras`. Keras 3.0 to 3.6 wrote the orthogonal
  initializer as "OrthogonalInitializer".
- Keras 2 (tf.keras of TensorFlow 2.12 to 2.15, or tf-keras with TF_USE_LEGACY_KERAS=1)
  writes `tf-keras-<version>-<model>.h5` (legacy HDF5) and `tf-keras-<version>-<model>.keras`.
  Their model.weights.h5 differ: Keras 2.12 and 2.13 group the layers under
  `_layer_checkpoint_dependencies/` and count each layer with weights twice in the names
  (`gru`, `gru_2`); 2.14 groups them there too but names them `gru`, `gru_1`; 2.15 groups
  them under `layers/` as Keras 3 does. Keras 2.12's model.save("x.keras") writes HDF5 (the
  .h5 bytes), so there the zip is asked for with save_format="keras_v3".

Run it in a virtual environment of its own per version (the requirement files beside this
script: keras35, keras30, tf-keras212, tf-keras213, tf-keras214, tf-keras215):

    python3 -m venv /tmp/keras35 && /tmp/keras35/bin/pip install -r Scripts/requirements-keras35.txt
    /tmp/keras35/bin/python Scripts/make-version-fixtures.py

    python3 -m venv /tmp/keras30 && /tmp/keras30/bin/pip install -r Scripts/requirements-keras30.txt
    /tmp/keras30/bin/python Scripts/make-version-fixtures.py

    python3 -m venv /tmp/tfkeras212 && /tmp/tfkeras212/bin/pip install -r Scripts/requirements-tf-keras212.txt
    /tmp/tfkeras212/bin/python Scripts/make-version-fixtures.py

and likewise for requirements-tf-keras213.txt, -214.txt and -215.txt.
Keras 3.0.5 fails to load its own functional file ("gru_cell expected 3 variables, but
received 0"); Keras 3.5 loads it and predicts its expected values.
With tf-keras (Scripts/requirements-tf-keras.txt) run it as
`TF_USE_LEGACY_KERAS=1 /tmp/<venv>/bin/python Scripts/make-version-fixtures.py`.
"""
import os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np

if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
    import tf_keras as keras
    VERSION = keras.__version__
else:
    import keras
    VERSION = keras.__version__
    if VERSION.startswith("2."):
        # TensorFlow 2.12 to 2.15: the `keras` package is Keras 2, the one behind tf.keras.
        import tensorflow as tf
        keras = tf.keras
KERAS2 = VERSION.startswith("2.")
PREFIX = f"tf-keras-{VERSION}" if KERAS2 else f"keras-{VERSION}"

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KerasFilesTests", "Fixtures", "versions")
os.makedirs(OUT, exist_ok=True)


def write(model, name, x, rng):
    for w in model.weights:
        # Variances (BatchNormalization's moving variance) stay positive.
        low = 0.5 if "variance" in getattr(w, "path", w.name) else -0.5
        w.assign(rng.uniform(low, low + 1.0, w.shape).astype("float32"))
    if x is None:
        x = rng.standard_normal((3, 6, 3)).astype("float32")
    np.save(os.path.join(OUT, f"{name}.input.npy"), x)
    np.save(os.path.join(OUT, f"{name}.expected.npy"), model.predict(x, verbose=0))
    if KERAS2:
        model.save(os.path.join(OUT, f"{name}.h5"))
    if KERAS2 and tuple(int(p) for p in VERSION.split(".")[:2]) < (2, 13):
        # Keras 2.12 writes HDF5 (the .h5 bytes) to a path ending in .keras unless asked for the zip.
        model.save(os.path.join(OUT, f"{name}.keras"), save_format="keras_v3")
    else:
        model.save(os.path.join(OUT, f"{name}.keras"))
    print("wrote", name)


# Models named on the command line only (all when none are).
ONLY = set(sys.argv[1:])


def wanted(model):
    return not ONLY or model in ONLY


stacked = keras.Sequential([keras.Input((6, 3)), keras.layers.GRU(5, return_sequences=True), keras.layers.GRU(4),
                            keras.layers.Dense(2)])
if wanted("stacked"):
    write(stacked, f"{PREFIX}-stacked", None, np.random.default_rng(5))

if wanted("functional"):
    tokens = keras.Input((7,), name="tokens")
    h = keras.layers.Embedding(20, 4, mask_zero=True)(tokens)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True))(h)
    h = keras.layers.GRU(3, reset_after=False)(h)
    functional = keras.Model(tokens, keras.layers.Dense(2)(h))
    rng = np.random.default_rng(6)
    ids = rng.integers(1, 20, (3, 7)).astype("float32")
    ids[1, 5:] = 0
    ids[2, 3:] = 0
    write(functional, f"{PREFIX}-functional", ids, rng)

if wanted("convlstm"):
    convlstm = keras.Sequential([
        keras.Input((4, 5, 5, 2)),
        keras.layers.ConvLSTM2D(3, (3, 3), padding="same", return_sequences=True),
        keras.layers.ConvLSTM2D(2, (2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ])
    write(convlstm, f"{PREFIX}-convlstm", np.random.default_rng(7).standard_normal((3, 4, 5, 5, 2)).astype("float32"),
          np.random.default_rng(8))

if wanted("nested"):
    frame = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2D(3, 2), keras.layers.BatchNormalization(),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten()], name="frame")
    nested = keras.Sequential([keras.Input((4, 5, 5, 2)), keras.layers.TimeDistributed(frame), keras.layers.GRU(3),
                               keras.layers.Dense(2)])
    rng = np.random.default_rng(9)
    write(nested, f"{PREFIX}-nested", rng.standard_normal((3, 4, 5, 5, 2)).astype("float32"), rng)
