#!/usr/bin/env python3
"""ONNX export fixtures (Tests/KerasFilesTests/Fixtures/onnx): Keras models with random
weights (<name>.keras), exported by `gru convert <name>.keras <name>.onnx` (the tool must be
built), run by ONNX Runtime on right-padded inputs: its outputs must equal Keras' within
1e-5, and a sample whose mask has a hole (which ONNX's sequence_lens cannot say) must come out
NaN. The Swift test exports the .keras files again and checks the bytes and the graph.

Usage: python3 Scripts/make-onnx-fixtures.py   (packages: Scripts/requirements-onnx.txt)
"""
import json, os, subprocess, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
from keras import layers
import onnxruntime as ort

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "onnx")
GRU_TOOL = os.environ.get("GRU_TOOL", os.path.join(ROOT, ".build", "debug", "gru"))


def cases(rng):
    tokens = rng.integers(1, 20, size=(4, 7)).astype("float32")
    for i, n in enumerate([7, 5, 2, 4]):
        tokens[i, n:] = 0
    holes = tokens.copy()
    holes[3, 1] = 0  # a hole: Keras skips the step, sequence_lens cannot say it
    text = keras.Sequential([
        keras.Input((7,)), layers.Embedding(20, 8, mask_zero=True),
        layers.Bidirectional(layers.GRU(6, return_sequences=True)), layers.GRU(5), layers.Dense(3, activation="softmax")])
    series = keras.Sequential([
        keras.Input((7, 4)), layers.GRU(5, reset_after=False, return_sequences=True, go_backwards=True),
        layers.TimeDistributed(layers.Dense(4, activation="relu")), layers.LayerNormalization(), layers.GRU(3), layers.Dense(1)])
    values = rng.standard_normal((4, 6, 3)).astype("float32")
    for i, n in enumerate([6, 4, 3, 1]):
        values[i, n:] = 0
    masked = keras.Sequential([
        keras.Input((6, 3)), layers.Masking(0.0), layers.LSTM(4, return_sequences=True),
        layers.Bidirectional(layers.SimpleRNN(3), merge_mode="ave"), layers.BatchNormalization(), layers.Dense(2)])
    convolutional = keras.Sequential([
        keras.Input((12, 4)), layers.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu"),
        layers.Conv1D(5, 3, strides=2, padding="same"), layers.DepthwiseConv1D(2, depth_multiplier=2, padding="same"),
        layers.SeparableConv1D(4, 3, depth_multiplier=2, padding="same", dilation_rate=2, activation="tanh"),
        layers.GRU(4, return_sequences=True), layers.Permute((2, 1)),
        layers.Permute((2, 1)), layers.GlobalAveragePooling1D(), layers.RepeatVector(3), layers.GRU(3), layers.Dense(2)])
    shaped = keras.Sequential([
        keras.Input((10, 3)), layers.ZeroPadding1D((1, 2)), layers.MaxPooling1D(2), layers.UpSampling1D(2),
        layers.Cropping1D((1, 2)), layers.AveragePooling1D(3, strides=2, padding="same"), layers.Dense(4),
        layers.ELU(alpha=0.7), layers.PReLU(), layers.GRU(3, return_sequences=True), layers.Softmax()])
    attended_tokens = keras.Input((7,))
    hidden = layers.GRU(6, return_sequences=True, zero_output_for_mask=True)(layers.Embedding(20, 6, mask_zero=True)(attended_tokens))
    dotted = layers.Attention(use_scale=True)([hidden, hidden], use_causal_mask=True)
    added = layers.AdditiveAttention()([dotted, hidden])
    concatenated = layers.Attention(score_mode="concat")([hidden, added, hidden])
    # Keras' MultiHeadAttention takes the masks off its input tensors: its inputs feed nothing else.
    own = layers.GRU(5, return_sequences=True, zero_output_for_mask=True)(layers.Embedding(20, 4, mask_zero=True)(attended_tokens))
    heads = layers.MultiHeadAttention(num_heads=2, key_dim=3)(own, own, use_causal_mask=True)
    crossed = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=5, use_bias=False)(heads, heads, heads)
    attention = keras.Model(attended_tokens, layers.Dense(2)(layers.GRU(4)(layers.Concatenate()([added, concatenated, crossed]))))
    images = keras.Input((8, 8, 3))
    features = layers.MaxPooling2D(2)(layers.Conv2D(4, 3, padding="same", activation="relu")(images))
    features = layers.AveragePooling2D(2, strides=1, padding="same")(layers.Conv2D(6, 2, dilation_rate=2)(features))
    rows = layers.Reshape((2, 12))(features)
    sequence = layers.GRU(5, return_sequences=True)(rows)
    similarities = layers.Dot(axes=2, normalize=True)([sequence, sequence])
    pooled = layers.GlobalAveragePooling2D()(features)
    image_model = keras.Model(images, layers.Dense(2)(layers.Concatenate()([pooled, layers.Flatten()(similarities), layers.GlobalMaxPooling1D()(sequence)])))
    masked_tokens = keras.Input((7,))
    masked_pool = keras.Model(masked_tokens, layers.Dense(2)(layers.GlobalAveragePooling1D()(
        layers.GRU(4, return_sequences=True, zero_output_for_mask=True)(layers.Embedding(20, 3, mask_zero=True)(masked_tokens)))))
    # Keras 2's hard_sigmoid in both directions: ONNX Runtime reads each direction's parameters.
    hard = keras.Sequential([
        keras.Input((6, 3)),
        layers.Bidirectional(layers.GRU(4, reset_after=False, recurrent_activation="hard_sigmoid", return_sequences=True)),
        layers.GRU(3, activation="relu", recurrent_activation="hard_sigmoid"), layers.Dense(2)])
    # A CRNN: convolutions on each frame, flattened per frame, then a GRU.
    crnn = keras.Sequential([
        keras.Input((4, 8, 8, 2)), layers.TimeDistributed(layers.Conv2D(3, 3, activation="relu")),
        layers.TimeDistributed(layers.MaxPooling2D(2)), layers.TimeDistributed(layers.Flatten()),
        layers.GRU(5), layers.Dense(2)])
    # Layers of several outputs: every output its own ONNX name.
    series_in = keras.Input((5, 3))
    forward, backward = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode=None)(series_in)
    stacked_out, state_a, state_b = layers.RNN(layers.StackedRNNCells([layers.GRUCell(3), layers.GRUCell(2)]), return_state=True)(series_in)
    multiple = keras.Model(series_in, [forward, backward, stacked_out, state_a, state_b])
    # Causal cross-attention: fewer query steps than value steps.
    cross_in = keras.Input((6, 3))
    cross_h = layers.GRU(4, return_sequences=True)(cross_in)
    cross_q = layers.Cropping1D((0, 2))(cross_h)
    crossed_causal = layers.MultiHeadAttention(num_heads=2, key_dim=3)(cross_q, cross_h, use_causal_mask=True)
    cross = keras.Model(cross_in, layers.Dense(2)(layers.GlobalAveragePooling1D()(crossed_causal)))
    return [("attention_layers", attention, tokens, None),
            ("images_dot_pooling", image_model, rng.standard_normal((3, 8, 8, 3)).astype("float32"), None),
            ("masked_average_pooling", masked_pool, tokens, None),
            ("convolutional_pooling", convolutional, rng.standard_normal((4, 12, 4)).astype("float32"), None),
            ("shapes_and_activations", shaped, rng.standard_normal((4, 10, 3)).astype("float32"), None),
            ("text_bidirectional", text, tokens, holes), ("series_variants", series, rng.standard_normal((4, 7, 4)).astype("float32"), None),
            ("masked_lstm_simple_rnn", masked, values, None),
            ("bidirectional_hard_sigmoid", hard, rng.standard_normal((3, 6, 3)).astype("float32"), None),
            ("crnn_time_distributed", crnn, rng.standard_normal((2, 4, 8, 8, 2)).astype("float32"), None),
            ("multiple_outputs", multiple, rng.standard_normal((3, 5, 3)).astype("float32"), None),
            ("causal_cross_attention", cross, rng.standard_normal((3, 6, 3)).astype("float32"), None)]


def streaming_case(rng):
    """`gru convert --streaming`: ONNX Runtime run one step at a time, the states fed back,
    gives Keras' whole-sequence output."""
    name = "streaming_gru_lstm"
    model = keras.Sequential([keras.Input((9, 3)), layers.GRU(6, return_sequences=True), layers.LSTM(4), layers.Dense(2)])
    model.set_weights([(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in model.get_weights()])
    keras_path, onnx_path = os.path.join(OUT, name + ".keras"), os.path.join(OUT, name + ".onnx")
    model.save(keras_path)
    subprocess.run([GRU_TOOL, "convert", keras_path, onnx_path, "--streaming"], check=True, stdout=subprocess.DEVNULL)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    x = rng.standard_normal((2, 9, 3)).astype("float32")
    names = [i.name for i in session.get_inputs()]
    states = {n: np.zeros((2, i.shape[1]), dtype="float32") for n, i in zip(names, session.get_inputs()) if n != names[0]}
    outputs = [o.name for o in session.get_outputs()]
    for t in range(9):
        result = session.run(None, {names[0]: x[:, t:t + 1], **states})
        states = {n: result[outputs.index(n + "_out")] for n in states}
    error = float(np.abs(result[0] - model.predict(x, verbose=0)).max())
    if not error <= 1e-5:
        sys.exit(f"{name}: ONNX Runtime stepping differs from Keras by {error}")
    print(f"{name}: ONNX Runtime one step at a time vs Keras whole sequence {error:.1e}")
    return {"name": name, "ort_steps_vs_keras": error, "state_inputs": names[1:]}


def streaming_masked_case(rng):
    """A masked model stepped in ONNX Runtime: one step at a time, every sample equals Keras'
    whole sequence (a padded step keeps the states, a hole included); three steps at a time,
    the samples whose padding ONNX cannot say in a chunk are NaN, their states too, and the
    others equal Keras."""
    name = "streaming_masked"
    model = keras.Sequential([
        keras.Input((9,)), layers.Embedding(12, 3, mask_zero=True), layers.GRU(5, return_sequences=True, zero_output_for_mask=True),
        layers.LSTM(4), layers.Dense(2)])
    model.set_weights([(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in model.get_weights()])
    keras_path, onnx_path = os.path.join(OUT, name + ".keras"), os.path.join(OUT, name + ".onnx")
    model.save(keras_path)
    subprocess.run([GRU_TOOL, "convert", keras_path, onnx_path, "--streaming"], check=True, stdout=subprocess.DEVNULL)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    tokens = rng.integers(1, 12, size=(4, 9)).astype("float32")
    tokens[0, 6:] = 0            # right padding
    tokens[1, 4] = 0             # a hole
    tokens[2, :2] = 0            # leading padding
    tokens[3, 3:6] = 0           # a whole chunk of three padded
    expected = model.predict(tokens, verbose=0)
    names = [i.name for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]
    result = {}
    for chunk in (1, 3):
        states = {n: np.zeros((4, i.shape[1]), dtype="float32") for n, i in zip(names, session.get_inputs()) if n != names[0]}
        for t in range(0, 9, chunk):
            got = session.run(None, {names[0]: tokens[:, t:t + chunk], **states})
            states = {n: got[outputs.index(n + "_out")] for n in states}
        flagged = np.isnan(got[0]).all(axis=1)
        if np.isnan(got[0][~flagged]).any():
            sys.exit(f"{name}: NaN in a sample that is not flagged")
        # In chunks of three the hole (sample 1) and the leading padding (sample 2) are not right-padding.
        want = [False, False, False, False] if chunk == 1 else [False, True, True, False]
        if list(flagged) != want:
            sys.exit(f"{name}: chunks of {chunk} flag samples {list(flagged)}, expected {want}")
        error = float(np.abs(got[0][~flagged] - expected[~flagged]).max())
        if not error <= 1e-5:
            sys.exit(f"{name}: chunks of {chunk} differ from Keras by {error}")
        result[f"chunks_of_{chunk}"] = {"error": error, "flagged": [bool(f) for f in flagged]}
        print(f"{name}: chunks of {chunk} vs Keras {error:.1e}, flagged {list(flagged)}")
    return {"name": name, **result}


def existing_models():
    """Every fixture model and published model, exported and run in ONNX Runtime on its
    stored input against the Keras output stored beside it (not committed again: a summary)."""
    fixtures = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures")
    runs = []
    with open(os.path.join(fixtures, "models", "manifest.json")) as fh:
        for entry in json.load(fh)["models"]:
            runs.append((entry["name"], os.path.join(fixtures, "models", entry["keras"]),
                         [os.path.join(fixtures, "models", i) for i in entry["inputs"]], [os.path.join(fixtures, "models", entry["expected"])]))
    with open(os.path.join(fixtures, "real", "manifest.json")) as fh:
        for entry in json.load(fh)["models"]:
            folder = os.path.join(fixtures, "real", entry["name"])
            runs.append((entry["name"], os.path.join(folder, entry["file"]), [os.path.join(folder, "input.npy")], [os.path.join(folder, "expected.npy")]))
    results, refused = {}, {}
    for name, path, inputs, expected in runs:
        onnx_path = os.path.join(OUT, "scratch.onnx")
        done = subprocess.run([GRU_TOOL, "convert", path, onnx_path], capture_output=True, text=True)
        if done.returncode != 0:
            refused[name] = done.stderr.strip().splitlines()[-1]
            continue
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        feeds = {i.name: np.load(p) for i, p in zip(session.get_inputs(), inputs)}
        outputs = session.run(None, feeds)
        stored = np.load(expected[0], allow_pickle=False)
        keras_outputs = [stored[k] for k in stored.files] if hasattr(stored, "files") else [stored]
        error, flagged_count = 0.0, 0
        for ours, theirs in zip(outputs, keras_outputs):
            if ours.shape != theirs.shape:
                sys.exit(f"{name}: ONNX Runtime gives shape {ours.shape}, Keras {theirs.shape}")
            # Samples whose mask is not right-padding come out NaN by design; the others must agree.
            flat = ours.reshape(len(ours), -1)
            flagged = np.isnan(flat).all(axis=1)
            if np.isnan(flat[~flagged]).any():
                sys.exit(f"{name}: NaN in a sample that is not flagged")
            if (~flagged).any():
                error = max(error, float(np.abs(flat[~flagged] - theirs.reshape(len(flat), -1)[~flagged]).max()))
            flagged_count = max(flagged_count, int(flagged.sum()))
        if not error <= 1e-5:
            sys.exit(f"{name}: ONNX Runtime differs from Keras by {error}")
        results[name] = {"error": error, "samples": int(len(outputs[0])), "flagged_masks": flagged_count}
    os.remove(os.path.join(OUT, "scratch.onnx"))
    worst = max(r["error"] for r in results.values())
    flagged = {n: r["flagged_masks"] for n, r in results.items() if r["flagged_masks"]}
    print(f"{len(results)} fixture and published models: ONNX Runtime vs Keras at most {worst:.1e}; NaN-flagged samples {flagged}; refused: {refused}")
    return {"name": "fixture_and_published_models", "ort_vs_keras": results, "refused": refused}


def main():
    if not os.path.exists(GRU_TOOL):
        sys.exit(f"build the gru tool first ({GRU_TOOL})")
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    manifest = []
    for name, model, x, holes in cases(rng):
        weights = [(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in model.get_weights()]
        weights = [np.abs(w) + 0.5 if "variance" in v.path else w for w, v in zip(weights, model.weights)]
        model.set_weights(weights)
        keras_path, onnx_path = os.path.join(OUT, name + ".keras"), os.path.join(OUT, name + ".onnx")
        model.save(keras_path)
        subprocess.run([GRU_TOOL, "convert", keras_path, onnx_path], check=True, stdout=subprocess.DEVNULL)
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: x}
        ours = session.run(None, feed)
        theirs = model.predict(x, verbose=0)
        theirs = theirs if isinstance(theirs, list) else [theirs]
        if len(set(o.name for o in session.get_outputs())) != len(theirs):
            sys.exit(f"{name}: {len(session.get_outputs())} ONNX outputs for {len(theirs)} Keras outputs")
        error = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))
        if not error <= 1e-5:
            sys.exit(f"{name}: ONNX Runtime differs from Keras by {error}")
        entry = {"name": name, "ort_vs_keras": error, "onnxruntime": ort.__version__}
        if holes is not None:
            flagged = session.run(None, {session.get_inputs()[0].name: holes})[0]
            rows = [bool(np.isnan(row).all()) for row in flagged]
            if rows != [False, False, False, True]:
                sys.exit(f"{name}: the sample with a hole should be NaN, got {rows}")
            entry["nan_rows_with_holes"] = rows
        np.save(os.path.join(OUT, name + ".x.npy"), x)
        np.save(os.path.join(OUT, name + ".y.npy"), theirs[0].astype("float32"))
        manifest.append(entry)
        print(f"{name}: ONNX Runtime vs Keras {error:.1e}")
    manifest.append(streaming_case(rng))
    manifest.append(streaming_masked_case(rng))
    manifest.append(existing_models())
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump({"keras_version": keras.__version__, "cases": manifest}, fh, indent=1)


if __name__ == "__main__":
    main()
