#!/usr/bin/env python3
"""References for the published model files in Tests/KerasFilesTests/Fixtures/real: for each
entry of manifest.json, a deterministic input (batch 3), the float32 prediction of the Keras
that reads the file, and the prediction of the same model rebuilt in float64.

Keras 2 files are read by tf-keras; a Keras 2.0-2.1 GRU config has no reset_after key (the
variant of that time, reset_after=False), which tf-keras would read as True, so it is set
before the model is built. Keras 3 files are read by Keras 3.

Usage: python3 Scripts/make-real-model-fixtures.py   (packages: Scripts/requirements-tf-keras.txt)
"""
import json, os, subprocess, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "real")


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

        def set_variant(node):
            if isinstance(node, dict):
                if node.get("class_name") == "GRU":
                    node["config"].setdefault("reset_after", False)
                for value in node.values():
                    set_variant(value)
            elif isinstance(node, list):
                for value in node:
                    set_variant(value)
        set_variant(config)
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
