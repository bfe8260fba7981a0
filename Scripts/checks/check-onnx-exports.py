#!/usr/bin/env python3
"""Every model file under the given folders exported to ONNX both ways and run in ONNX
Runtime against `gru predict` (whose numbers the tests hold to Keras'): the whole-sequence
export on the whole input, the streaming export stepped in chunks of 1 and 3 steps with its
states fed back. Inputs are small integers (valid token ids, and real values for the rest).

    pip install -r Scripts/requirements/onnx.txt
    swift build --product gru
    python3 Scripts/checks/check-onnx-exports.py [GRU_BINARY] [FOLDERS...]

Prints a line per file and export that is not `same`, and the counts; exits 1 when an export
that was written computes other numbers (NaN-flagged samples of masks ONNX cannot follow aside)
or is rejected by ONNX Runtime.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort


def files(paths):
    for path in paths:
        for root, _, names in os.walk(path):
            if "/fuzz" in root:
                continue
            for name in sorted(names):
                if name.endswith(".keras") or (name.endswith(".h5") and not name.endswith(".weights.h5")):
                    yield os.path.join(root, name)


def compare(ours, theirs):
    """The largest difference over the samples ONNX did not flag with NaN."""
    flat = ours.reshape(len(ours), -1)
    flagged = np.isnan(flat).all(axis=1)
    if np.isnan(flat[~flagged]).any():
        return float("inf")
    if not (~flagged).any():
        return 0.0
    return float(np.abs(flat[~flagged] - theirs.reshape(len(ours), -1)[~flagged]).max())


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/gru"
    folders = sys.argv[2:] or ["Tests/KerasFilesTests/Fixtures"]
    counts = {"same": 0, "refused": 0, "differs": 0, "rejected": 0}
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as work:
        for path in files(folders):
            for streaming in (False, True):
                onnx_path = os.path.join(work, "m.onnx")
                done = subprocess.run([binary, "convert", path, onnx_path] + (["--streaming"] if streaming else []),
                                      capture_output=True, text=True)
                label = f"{path} ({'streaming' if streaming else 'whole'})"
                if done.returncode != 0:
                    counts["refused"] += 1
                    continue
                try:
                    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
                except Exception as error:  # noqa: BLE001
                    counts["rejected"] += 1
                    print(f"REJECTED {label}: {str(error).splitlines()[0]}")
                    continue
                model_inputs = [i for i in session.get_inputs() if not ("_state" in i.name and streaming)]
                batch = model_inputs[0].shape[0] if isinstance(model_inputs[0].shape[0], int) else 4
                steps = 6
                arrays = []
                for i in model_inputs:
                    shape = [batch] + [d if isinstance(d, int) else steps for d in i.shape[1:]]
                    arrays.append(rng.integers(0, 3, size=shape).astype("float32"))
                paths = []
                for k, array in enumerate(arrays):
                    paths.append(os.path.join(work, f"x{k}.npy"))
                    np.save(paths[-1], array)
                expected_path = os.path.join(work, "y.npz")
                predicted = subprocess.run([binary, "predict", path, *paths, "-o", expected_path, "--device", "cpu"],
                                           capture_output=True, text=True)
                if predicted.returncode != 0:
                    counts["refused"] += 1
                    continue
                stored = np.load(expected_path)
                expected = [stored[k] for k in stored.files]
                try:
                    if not streaming:
                        outputs = session.run(None, {i.name: a for i, a in zip(model_inputs, arrays)})
                        error = max(compare(o, e) for o, e in zip(outputs, expected))
                    else:
                        error = 0.0
                        names = [o.name for o in session.get_outputs()]
                        state_inputs = [i for i in session.get_inputs() if i not in model_inputs]
                        for chunk in (1, 3):
                            states = {i.name: np.zeros((batch, i.shape[1]), dtype="float32") for i in state_inputs}
                            pieces = []
                            for t in range(0, steps, chunk):
                                feed = {i.name: a[:, t:t + chunk] for i, a in zip(model_inputs, arrays)}
                                result = session.run(None, {**feed, **states})
                                states = {n: result[names.index(n + "_out")] for n in states}
                                pieces.append(result[:len(expected)])
                            for k, e in enumerate(expected):
                                whole = (np.concatenate([p[k] for p in pieces], axis=1)
                                         if pieces[0][k].ndim >= 3 and e.ndim >= 3 and e.shape[1] == steps else pieces[-1][k])
                                error = max(error, compare(whole, e))
                except Exception as error_:  # noqa: BLE001
                    counts["rejected"] += 1
                    print(f"REJECTED {label}: {str(error_).splitlines()[0]}")
                    continue
                if error <= 1e-5:
                    counts["same"] += 1
                else:
                    counts["differs"] += 1
                    print(f"DIFFERS {label}: {error}")
    print(counts)
    sys.exit(1 if counts["differs"] or counts["rejected"] else 0)


if __name__ == "__main__":
    main()
