"""Config round trip: `gru convert in.keras out.keras`, then compare every layer's
get_config() of the two models as Keras 3 reads them, key by key.

    pip install -r Scripts/requirements/fixtures.txt
    swift build -c release --product gru
    python Scripts/checks/config-roundtrip.py [GRU_BINARY] [FILES_OR_FOLDERS...]

Prints one line per file (`same` or the keys that differ) and a count at the end; exits 1
when any file differs or fails to convert.
"""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402


def keras3_files(paths):
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in os.walk(path):
                for name in sorted(names):
                    if name.endswith(".keras"):
                        yield os.path.join(root, name)
        elif path.endswith(".keras"):
            yield path


def is_keras3(path):
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("metadata.json"))
    return meta.get("keras_version", "").startswith("3.")


def layers_of(model):
    """Every layer in order, those inside wrappers and cells too."""
    out = []

    def visit(layer, prefix):
        out.append((prefix + layer.name, layer))
        for attr in ("layer", "forward_layer", "backward_layer", "cell"):
            inner = getattr(layer, attr, None)
            if isinstance(inner, keras.layers.Layer):
                visit(inner, prefix + layer.name + "/")
        cells = getattr(getattr(layer, "cell", None), "cells", None)
        if cells:
            for cell in cells:
                visit(cell, prefix + layer.name + "/cells/")
        if isinstance(layer, keras.Model):
            for inner in layer.layers:
                visit(inner, prefix + layer.name + "/")

    for layer in model.layers:
        visit(layer, "")
    return out


def normalize(value):
    return json.loads(json.dumps(value, default=str))


def differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        diffs = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                diffs.append(f"{path}{key}: {a.get(key, '<absent>')!r} vs {b.get(key, '<absent>')!r}")
            else:
                diffs += differences(a[key], b[key], f"{path}{key}.")
        return diffs
    if isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-7 * max(1, abs(a)):
        return []
    return [] if a == b else [f"{path[:-1]}: {a!r} vs {b!r}"]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gru"
    paths = sys.argv[2:] or ["Tests/KerasFilesTests/Fixtures"]
    same = differ = failed = 0
    for path in keras3_files(paths):
        if not is_keras3(path):
            continue
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "out.keras")
            run = subprocess.run([binary, "convert", path, out], capture_output=True, text=True)
            if run.returncode != 0:
                failed += 1
                print(f"REFUSED {path}: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else run.returncode}")
                continue
            try:
                original = keras.saving.load_model(path, compile=False, safe_mode=False)
                written = keras.saving.load_model(out, compile=False, safe_mode=False)
            except Exception as error:  # noqa: BLE001
                failed += 1
                print(f"FAILED {path}: {type(error).__name__}: {str(error).splitlines()[0]}")
                continue
            a, b = layers_of(original), layers_of(written)
            diffs = []
            inputs = lambda model: [(str(t.dtype), tuple(t.shape)) for t in model.inputs]
            if inputs(original) != inputs(written):
                diffs.append(f"inputs: {inputs(original)} vs {inputs(written)}")
            if len(a) != len(b):
                diffs.append(f"{len(a)} layers vs {len(b)}")
            for (name_a, la), (name_b, lb) in zip(a, b):
                for d in differences(normalize(la.get_config()), normalize(lb.get_config())):
                    diffs.append(f"{name_a}: {d}")
            if diffs:
                differ += 1
                print(f"DIFFERS {path}")
                for d in diffs[:12]:
                    print(f"    {d}")
            else:
                same += 1
                print(f"same    {path}")
    print(f"{same} same, {differ} differ, {failed} refused or failed")
    sys.exit(1 if differ or failed else 0)


if __name__ == "__main__":
    main()
