#!/usr/bin/env python3
"""References for the published model files in Tests/KerasFilesTests/Fixtures/real: for each
entry of manifest.json, a deterministic input (batch 3), the float32 prediction of the Keras
that reads the file, and the prediction of the same model rebuilt in float64.

Training references: the Keras that reads each file compiles it from the file (a tf.keras 2
`training_config`, a Keras 3 `compile_config`) and fits it 2 epochs (shuffle = FALSE) on
deterministic data; the history and the weights after it are stored (train_*), and the Swift
test must reach them. Dropout draws its masks from TensorFlow's generator, which no other
program reproduces, so the tf.keras 2 files are trained as copies (`train.h5`) whose Dropout
rates are set to 0, with nothing else changed (the original bytes, one attribute rewritten).
When the `gru` tool is built, `gru fit` trains each copy, writes it back as `.h5`, and the
Keras that reads the original loads that file and must predict what `gru predict` does.

Keras 2 files are read by tf-keras; a Keras 2.0-2.1 GRU config has no reset_after key (the
variant of that time, reset_after=False), which tf-keras would read as True, so it is set
before the model is built. Keras 3 files are read by Keras 3.

Usage: python3 Scripts/make-real-model-fixtures.py   (packages: Scripts/requirements-tf-keras.txt)
"""
import json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "real")
GRU_TOOL = os.environ.get("GRU_TOOL", os.path.join(ROOT, ".build", "debug", "gru"))


def layer_configs(node):
    """Every `{"class_name", "config"}` entry of a model config, nested ones too."""
    if isinstance(node, dict):
        if "class_name" in node and isinstance(node.get("config"), dict):
            yield node
        for value in node.values():
            yield from layer_configs(value)
    elif isinstance(node, list):
        for value in node:
            yield from layer_configs(value)


def reference(entry):
    """Runs in a process of its own: tf-keras and Keras 3 cannot share one."""
    os.environ.update(CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    if entry["reader"] == "tf_keras":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tf_keras as keras
    else:
        import keras
    import numpy as np
    folder = os.path.join(FIXTURES, entry["name"])
    path = os.path.join(folder, entry["file"])
    if entry.get("legacy_gru"):
        import h5py
        with h5py.File(path, "r") as f:
            config = json.loads(f.attrs["model_config"])
        for layer in layer_configs(config):
            if layer["class_name"] == "GRU":
                layer["config"].setdefault("reset_after", False)
        model = keras.models.model_from_json(json.dumps(config))
        model.load_weights(path)
    else:
        model = keras.models.load_model(path, compile=False)
    shape = [3] + [12 if s is None else int(s) for s in model.inputs[0].shape[1:]]
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    expected = model.predict(x, verbose=0)

    def to_float64(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "dtype" and (value == "float32" or isinstance(value, dict)):
                    node[key] = "float64"
                else:
                    to_float64(value)
        elif isinstance(node, list):
            for value in node:
                to_float64(value)
    config = model.get_config()
    to_float64(config)
    if entry["reader"] == "tf_keras":
        keras.backend.set_floatx("float64")
    else:
        keras.config.set_floatx("float64")
    model64 = model.__class__.from_config(config)
    model64.set_weights([w.astype("float64") for w in model.get_weights()])
    expected64 = model64.predict(x.astype("float64"), verbose=0)
    np.save(os.path.join(folder, "input.npy"), x)
    np.save(os.path.join(folder, "expected.npy"), expected.astype("float32"))
    np.save(os.path.join(folder, "expected_f64.npy"), expected64)
    print(entry["name"], keras.__version__, "float32 vs float64:", float(np.abs(expected - expected64).max()))
    if entry["reader"] == "tf_keras":
        keras.backend.set_floatx("float32")
    else:
        keras.config.set_floatx("float32")
    training_reference(entry, keras, np)


def training_copy(entry, folder):
    """The file to train: tf.keras 2 files as a copy without dropout (and, for Keras 2.0-2.1
    GRUs, with their reset_after = False written out, as the prediction references do)."""
    path = os.path.join(folder, entry["file"])
    if entry["reader"] != "tf_keras":
        return path
    import h5py
    copy = os.path.join(folder, "train.h5")
    shutil.copyfile(path, copy)
    with h5py.File(copy, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        for layer in layer_configs(config):
            if layer["class_name"] == "Dropout":
                layer["config"]["rate"] = 0.0
            if layer["class_name"] == "GRU" and entry.get("legacy_gru"):
                layer["config"].setdefault("reset_after", False)
        f.attrs["model_config"] = json.dumps(config)
    return copy


def training_reference(entry, keras, np):
    """Keras compiles the file as it says and fits it 2 epochs on deterministic data."""
    folder = os.path.join(FIXTURES, entry["name"])
    path = training_copy(entry, folder)
    model = keras.models.load_model(path, compile=True)
    rng = np.random.default_rng(5)
    shape = [6] + [12 if s is None else int(s) for s in model.inputs[0].shape[1:]]
    x = rng.standard_normal(shape).astype("float32")
    prediction = model.predict(x, verbose=0)
    loss = entry["loss"]
    if loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, prediction.shape[-1], size=prediction.shape[:-1]).astype("float32")
    elif loss == "binary_crossentropy":
        y = (rng.random(prediction.shape) > 0.5).astype("float32")
    else:
        y = rng.standard_normal(prediction.shape).astype("float32")
    history = model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    np.save(os.path.join(folder, "train_x.npy"), x)
    np.save(os.path.join(folder, "train_y.npy"), y)
    after = model.get_weights()
    np.savez(os.path.join(folder, "train_after.npz"), **{f"w{i:02d}": w for i, w in enumerate(after)})
    with open(os.path.join(folder, "train_history.json"), "w") as fh:
        json.dump({k: [float(v) for v in vs] for k, vs in history.history.items()}, fh, indent=1)
    print(entry["name"], keras.__version__, {k: [round(v, 5) for v in vs] for k, vs in history.history.items()})
    if os.path.exists(GRU_TOOL) and entry["reader"] == "tf_keras":
        check_written_back(keras, np, path, folder, after)


def check_written_back(keras, np, path, folder, expected):
    """gru fit on the copy, written back as .h5: Keras reads it, its weights are Keras' own
    fit's, and it predicts what gru predict does."""
    with tempfile.TemporaryDirectory() as tmp:
        trained = os.path.join(tmp, "trained.h5")
        subprocess.run([GRU_TOOL, "fit", path, os.path.join(folder, "train_x.npy"), os.path.join(folder, "train_y.npy"),
                        "--epochs", "2", "--batch-size", "3", "--no-shuffle", "-o", trained], check=True, stdout=subprocess.DEVNULL)
        predicted = os.path.join(tmp, "p.npy")
        subprocess.run([GRU_TOOL, "predict", trained, os.path.join(folder, "train_x.npy"), "-o", predicted],
                       check=True, stdout=subprocess.DEVNULL)
        model = keras.models.load_model(trained, compile=True)
        x = np.load(os.path.join(folder, "train_x.npy"))
        error = float(np.max(np.abs(model.predict(x, verbose=0) - np.load(predicted))))
        weights = max(float(np.max(np.abs(a - b))) for a, b in zip(model.get_weights(), expected))
        if not error <= 1e-5 or not weights <= 2e-4:
            sys.exit(f"{path}: gru fit's .h5 differs (prediction {error}, weights {weights})")
        print(f"  gru fit -> .h5 -> Keras: predictions agree ({error:.1e}), weights match Keras' fit ({weights:.1e})")


def main():
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        manifest = json.load(f)
    if len(sys.argv) > 1:
        reference(next(e for e in manifest["models"] if e["name"] == sys.argv[1]))
        return
    for entry in manifest["models"]:
        subprocess.run([sys.executable, __file__, entry["name"]], check=True)


if __name__ == "__main__":
    main()
