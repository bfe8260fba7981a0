#!/usr/bin/env python3
"""Generates the model-file fixtures in Tests/KerasFilesTests/Fixtures from real Keras.

For each model: Keras 3 saves it as .keras and .weights.h5, tf-keras (tf.keras 2)
saves the same architecture and weights as a legacy .h5, and both record their
predictions on the same inputs (.npy, or .npz for several outputs). Then the Swift
tool converts every model to .keras (`gru convert`), Keras 3 loads that file and
must predict the same values: the round trip. Those Swift-written files are kept
as fixtures too, so the Swift tests read back what Swift wrote and Keras accepted.

Usage: swift build && python3 Scripts/make-file-fixtures.py
Packages: Scripts/requirements-fixtures.txt
"""
import json, os, subprocess, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import keras
import tf_keras

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "models")
GRU_TOOL = os.environ.get("GRU_TOOL", os.path.join(ROOT, ".build", "debug", "gru"))


def sequences(rng, n=6, t=5, f=3):
    return rng.standard_normal((n, t, f)).astype("float32")


def tokens(rng, n=6, t=7, vocab=20):
    x = rng.integers(1, vocab, size=(n, t)).astype("float32")
    for i in range(n):
        x[i, :i % 4] = 0  # left padding of different lengths
    return x


# Each builder takes a Keras module (keras 3 or tf_keras) and returns a model.
def seq_gru(K):
    return K.Sequential([K.Input((5, 3)), K.layers.GRU(8), K.layers.Dense(1)])

def seq_stacked(K):
    return K.Sequential([K.Input((5, 3)), K.layers.GRU(6, return_sequences=True),
                         K.layers.GRU(4, reset_after=False), K.layers.Dense(3, activation="softmax")])

def seq_embedding_mask(K):
    return K.Sequential([K.Input((7,)), K.layers.Embedding(20, 5, mask_zero=True), K.layers.GRU(6), K.layers.Dense(2)])

def seq_bidirectional(K):
    return K.Sequential([K.Input((7,)), K.layers.Embedding(20, 4, mask_zero=True),
                         K.layers.Bidirectional(K.layers.GRU(4, return_sequences=True)),
                         K.layers.TimeDistributed(K.layers.Dense(2))])

def seq_bidirectional_sum_dropout(K):
    return K.Sequential([K.Input((5, 3)), K.layers.Bidirectional(K.layers.GRU(3), merge_mode="sum"),
                         K.layers.Dropout(0.3), K.layers.Dense(4), K.layers.Activation("relu")])

def seq_masking_backwards(K):
    return K.Sequential([K.Input((5, 3)), K.layers.Masking(0.0), K.layers.GRU(5, go_backwards=True, return_sequences=True),
                         K.layers.GRU(3, activation="relu", recurrent_activation="hard_sigmoid")])

def seq_rnn_cells(K):
    return K.Sequential([K.Input((5, 3)), K.layers.RNN(K.layers.GRUCell(4), return_sequences=True),
                         K.layers.RNN([K.layers.GRUCell(5), K.layers.GRUCell(3, reset_after=False)]), K.layers.Dense(2)])

def seq_regularized(K):
    return K.Sequential([K.Input((5, 3)), K.layers.GRU(
        4, kernel_initializer=K.initializers.HeNormal(seed=1), recurrent_initializer=K.initializers.Orthogonal(gain=0.5, seed=2),
        bias_initializer=K.initializers.Constant(0.1), kernel_regularizer=K.regularizers.L2(0.01),
        recurrent_regularizer=K.regularizers.L1(0.001), bias_regularizer=K.regularizers.L1L2(l1=0.01, l2=0.02),
        activity_regularizer=K.regularizers.L2(0.001), kernel_constraint=K.constraints.MaxNorm(2.0),
        recurrent_constraint=K.constraints.UnitNorm(), bias_constraint=K.constraints.NonNeg(),
        dropout=0.1, recurrent_dropout=0.2, seed=3), K.layers.Dense(1, kernel_constraint=K.constraints.MinMaxNorm(0.0, 1.0))])

def fn_state_head(K):
    x = K.Input((5, 3), name="sequence")
    seq, h = K.layers.GRU(4, return_sequences=True, return_state=True, name="encoder")(x)
    head = K.layers.Dense(2, name="head")(h)
    per_step = K.layers.TimeDistributed(K.layers.Dense(1), name="per_step")(seq)
    return K.Model(x, [head, per_step])

def fn_encoder_decoder(K):
    source = K.Input((5, 3), name="source")
    target = K.Input((4, 2), name="target")
    _, state = K.layers.GRU(6, return_state=True, name="encoder")(source)
    decoded = K.layers.GRU(6, return_sequences=True, name="decoder")(target, initial_state=[state])
    out = K.layers.Dense(3, activation="softmax", name="probabilities")(decoded)
    return K.Model([source, target], out)

def fn_bidirectional_both(K):
    x = K.Input((5, 3), name="x")
    forward, backward = K.layers.Bidirectional(K.layers.GRU(3, return_sequences=True), merge_mode=None, name="both")(x)
    mul = K.layers.Bidirectional(K.layers.GRU(2, reset_after=False), merge_mode="mul", name="product")(forward)
    return K.Model(x, [mul, backward])

def seq_stateful(K):
    return K.Sequential([K.Input((4, 3), batch_size=2), K.layers.GRU(3, stateful=True, return_sequences=True), K.layers.GRU(2, stateful=True)])

def seq_activations(K):
    return K.Sequential([K.Input((5, 3)), K.layers.GRU(4, activation="softsign", recurrent_activation="sigmoid", use_bias=False),
                         K.layers.Dense(3, activation="elu")])

MODELS = [
    ("seq_gru", seq_gru, "seq"), ("seq_stacked", seq_stacked, "seq"), ("seq_embedding_mask", seq_embedding_mask, "tok"),
    ("seq_bidirectional", seq_bidirectional, "tok"), ("seq_bidirectional_sum_dropout", seq_bidirectional_sum_dropout, "seq"),
    ("seq_masking_backwards", seq_masking_backwards, "masked"), ("seq_rnn_cells", seq_rnn_cells, "seq"),
    ("seq_regularized", seq_regularized, "seq"), ("fn_state_head", fn_state_head, "seq"),
    ("fn_encoder_decoder", fn_encoder_decoder, "two"), ("fn_bidirectional_both", fn_bidirectional_both, "seq"),
    ("seq_stateful", seq_stateful, "stateful"), ("seq_activations", seq_activations, "seq"),
]


def inputs_for(kind, rng):
    if kind == "tok": return [tokens(rng)]
    if kind == "two": return [sequences(rng), rng.standard_normal((6, 4, 2)).astype("float32")]
    if kind == "stateful": return [sequences(rng, n=6, t=4)]
    x = sequences(rng)
    if kind == "masked":
        x[0, 3:] = 0.0
        x[2, :2] = 0.0
        x[4, 2] = 0.0
    return [x]


def as_list(y):
    return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]


def save_arrays(path_base, arrays, names):
    if len(arrays) == 1:
        np.save(path_base + ".npy", arrays[0])
        return os.path.basename(path_base) + ".npy"
    np.savez(path_base + ".npz", **{n: a for n, a in zip(names, arrays)})
    return os.path.basename(path_base) + ".npz"


def write_numpy_fixtures():
    """Arrays written by NumPy itself: every supported dtype, Fortran order, npz both ways."""
    out = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "numpy")
    os.makedirs(out, exist_ok=True)
    base = np.arange(24).reshape(2, 3, 4)
    arrays = {
        "float32": (base / 7).astype("<f4"), "float64": (base / 7).astype("<f8"),
        "int32": (base - 12).astype("<i4"), "int64": (base * 1000003 - 7).astype("<i8"),
        "bool": (base % 3 == 0), "scalar": np.array(2.5, dtype="<f4"), "empty": np.zeros((0, 3), dtype="<f4"),
    }
    for name, a in arrays.items():
        np.save(os.path.join(out, name + ".npy"), a)
    np.save(os.path.join(out, "fortran.npy"), np.asfortranarray((base / 7).astype("<f4")))
    np.savez(os.path.join(out, "stored.npz"), first=arrays["float32"], second=arrays["int64"])
    np.savez_compressed(os.path.join(out, "deflated.npz"), first=arrays["float32"], second=arrays["int64"])


def write_hdf5_fixtures():
    """HDF5 files for the reader: Keras' weights with optimizer state, and h5py's newest format."""
    import h5py, zipfile, io
    out = os.path.join(ROOT, "Tests", "HDF5Tests", "Fixtures")
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(7)
    model = seq_stacked(keras)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 5, 3), "float32"), np.zeros((4, 3), "float32"), epochs=1, verbose=0)
    buffer = io.BytesIO()
    model.save(os.path.join(out, "trained.keras"))
    with zipfile.ZipFile(os.path.join(out, "trained.keras")) as z:
        with open(os.path.join(out, "keras-trained.weights.h5"), "wb") as fh:
            fh.write(z.read("model.weights.h5"))
    os.remove(os.path.join(out, "trained.keras"))
    with h5py.File(os.path.join(out, "h5py-latest.h5"), "w", libver="latest") as f:
        f.attrs["title"] = "latest format"
        f.attrs["numbers"] = np.array([1, 2, 3], dtype="<i4")
        g = f.create_group("group/nested")
        g.create_dataset("floats", data=(np.arange(6).reshape(2, 3) / 4).astype("<f8"))
        g.create_dataset("small", data=np.array([7, 8], dtype="<i2"))
        f.create_dataset("names", data=np.array([b"alpha", b"beta"]))
        f.create_dataset("scalar", data=np.float32(1.5))


def main():
    if not os.path.exists(GRU_TOOL):
        sys.exit(f"build the Swift tool first (swift build); not found: {GRU_TOOL}")
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for index, (name, build, kind) in enumerate(MODELS):
        rng = np.random.default_rng(500 + index)
        keras.utils.set_random_seed(index)
        model = build(keras)
        weights = [(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in model.get_weights()]
        model.set_weights(weights)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        xs = inputs_for(kind, rng)
        batch = 2 if kind == "stateful" else 4
        base = os.path.join(OUT, name)
        model.save(base + ".keras")
        model.save_weights(base + ".weights.h5")
        x_files = [os.path.basename(base) + f".input{i}.npy" for i in range(len(xs))]
        for f, x in zip(x_files, xs):
            np.save(os.path.join(OUT, f), x)
        y = as_list(model.predict(xs if len(xs) > 1 else xs[0], batch_size=batch, verbose=0))
        output_names = list(getattr(model, "output_names", None) or [model.layers[-1].name])
        y_file = save_arrays(base + ".expected", y, output_names)
        entry = {"name": name, "inputs": x_files, "expected": y_file, "output_names": output_names,
                 "batch_size": batch, "keras": name + ".keras", "weights": name + ".weights.h5"}

        # tf.keras 2: same architecture and weights, saved as a legacy .h5 model.
        legacy = build(tf_keras)
        legacy.set_weights(weights)
        legacy.save(base + ".h5", save_format="h5")
        y2 = as_list(legacy.predict(xs if len(xs) > 1 else xs[0], batch_size=batch, verbose=0))
        entry["legacy"] = name + ".h5"
        entry["legacy_expected"] = save_arrays(base + ".legacy-expected", y2, output_names)

        # Round trip: Swift writes .keras, Keras 3 must load it and predict the same.
        swift_file = base + ".swift.keras"
        subprocess.run([GRU_TOOL, "convert", base + ".keras", swift_file], check=True, stdout=subprocess.DEVNULL)
        reloaded = keras.models.load_model(swift_file)
        y3 = as_list(reloaded.predict(xs if len(xs) > 1 else xs[0], batch_size=batch, verbose=0))
        error = max(float(np.max(np.abs(a - b))) for a, b in zip(y, y3))
        if error > 1e-5:
            sys.exit(f"{name}: Keras predicts differently from the Swift-written file (max abs error {error})")
        entry["swift_keras"] = name + ".swift.keras"
        entry["round_trip_error"] = error
        manifest.append(entry)
        print(f"{name}: ok (round trip max abs error {error:.2e})")
    write_numpy_fixtures()
    write_hdf5_fixtures()
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump({"keras_version": keras.__version__, "tf_keras_version": tf_keras.__version__, "models": manifest}, fh, indent=1)


if __name__ == "__main__":
    main()
