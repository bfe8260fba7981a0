#!/usr/bin/env python3
"""Generates the golden fixtures in Tests/SwiftGRUTests/Fixtures from real Keras 3.

Every case builds a Keras layer or model with random weights, runs it on random
inputs (masks, initial states, several calls for stateful layers) and stores
the configuration, the weights, the inputs and Keras' outputs as JSON. The Swift
tests rebuild the same layer from the configuration, load the weights and
compare (max abs error <= 1e-5); they never need Python.

Usage: python3 Scripts/make-fixtures.py   (packages: Scripts/requirements-fixtures.txt)
"""
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import keras
from keras import layers

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "SwiftGRUTests", "Fixtures")


def arr(a):
    a = np.asarray(a)
    if a.dtype != bool and not np.all(np.isfinite(a)):
        raise SystemExit("a fixture value is not finite: pick smaller weights for this case")
    if a.dtype == bool:
        return {"shape": list(a.shape), "data": [bool(v) for v in a.reshape(-1)]}
    return {"shape": list(a.shape), "data": [float(v) for v in a.astype(np.float32).reshape(-1)]}


def outs(y):
    """Keras' outputs in order, nested state lists (stacked cells) flattened."""
    if isinstance(y, (list, tuple)):
        return [a for t in y for a in outs(t)]
    return [arr(np.asarray(y))]


def randomize(model_or_layer, rng, scale=0.5):
    ws = [(rng.standard_normal(w.shape) * scale).astype("float32") for w in model_or_layer.get_weights()]
    model_or_layer.set_weights(ws)
    return ws


MASKS = {
    "right": lambda b, t: np.array([[i < t - (r % 3) for i in range(t)] for r in range(b)]),
    "left": lambda b, t: np.array([[i >= (r % 3) for i in range(t)] for r in range(b)]),
    "holes": lambda b, t: np.array([[(i * 7 + r * 3) % 4 != 1 for i in range(t)] for r in range(b)]),
    "full_row": lambda b, t: np.array([[r != 1 and (i % 3 != 2) for i in range(t)] for r in range(b)]),
}

ACTIVATION_PAIRS = [
    ("tanh", "sigmoid"), ("relu", "hard_sigmoid"), ("linear", "tanh"), ("elu", "softsign"),
    ("selu", "softplus"), ("gelu", "sigmoid"), ("silu", "hard_sigmoid"), ("softsign", "relu6"),
    ("leaky_relu", "sparse_sigmoid"), ("celu", "log_sigmoid"), ("mish", "hard_silu"),
    ("squareplus", "sigmoid"), ("sparse_plus", "sigmoid"), ("hard_tanh", "sigmoid"),
    ("tanh_shrink", "sigmoid"), ("soft_shrink", "sigmoid"), ("hard_shrink", "sigmoid"),
    ("exponential", "sigmoid"), ("relu6", "tanh"), ("softmax", "softmax"),
    ("log_softmax", "sigmoid"), ("sparsemax", "sparsemax"), ("swish", "hard_swish"), ("softplus", "exponential"),
]

cases = []


def gru_case(name, seed, b=3, t=5, f=4, units=3, mask=None, initial_state=False, calls=1,
             time_major=False, reset_between=False, scale=0.5, **args):
    rng = np.random.default_rng(seed)
    layer = layers.GRU(units, **args)
    layer.build((b, t, f))
    weights = randomize(layer, rng, scale)
    case_calls = []
    for c in range(calls):
        if reset_between and c == calls - 1:
            layer.reset_states()
        x = rng.standard_normal((b, t, f)).astype("float32")
        kw = {}
        m = None
        if mask is not None:
            m = MASKS[mask](b, t)
            kw["mask"] = m
        h0 = None
        if initial_state:
            h0 = rng.standard_normal((b, units)).astype("float32")
            kw["initial_state"] = [h0]
        y = layer(x, **kw)
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        ys = [np.asarray(v) for v in ys]
        if time_major:
            x = np.swapaxes(x, 0, 1)
            if args.get("return_sequences"):
                ys[0] = np.swapaxes(ys[0], 0, 1)
        case_calls.append({
            "inputs": arr(x), "mask": arr(m) if m is not None else None,
            "initial_state": [arr(h0)] if h0 is not None else None,
            "reset_before": bool(reset_between and c == calls - 1),
            "outputs": [arr(v) for v in ys]})
    config = dict(args)
    config["units"] = units
    if time_major:
        config["time_major"] = True
    cases.append({"name": name, "kind": "gru", "config": config,
                  "weights": [arr(w) for w in weights], "calls": case_calls})


# The GRU layer, argument by argument.
for ra in (True, False):
    for ub in (True, False):
        for rs in (False, True):
            gru_case(f"gru_reset_after_{ra}_bias_{ub}_seq_{rs}", 1, reset_after=ra, use_bias=ub, return_sequences=rs)
for i, (act, rec) in enumerate(ACTIVATION_PAIRS):
    # Gates that are not bounded by 1 make the state grow; small weights keep the values
    # in a range where 1e-5 is a meaningful absolute tolerance.
    unbounded = rec in ("relu6", "hard_silu", "hard_swish", "exponential", "softplus", "log_sigmoid")
    gru_case(f"gru_activation_{act}_{rec}", 100 + i, activation=act, recurrent_activation=rec,
             return_sequences=True, reset_after=(i % 2 == 0), scale=0.15 if unbounded else 0.5)
gru_case("gru_go_backwards", 2, go_backwards=True, return_sequences=True)
gru_case("gru_go_backwards_last", 3, go_backwards=True, reset_after=False)
for mi, mask in enumerate(MASKS):
    for rs in (False, True):
        for zo in (False, True):
            for gb in (False, True):
                gru_case(f"gru_mask_{mask}_seq_{rs}_zero_{zo}_back_{gb}", 10 + mi, mask=mask,
                         return_sequences=rs, zero_output_for_mask=zo, go_backwards=gb,
                         return_state=True, reset_after=(mi % 2 == 0))
gru_case("gru_initial_state", 4, initial_state=True, return_sequences=True, return_state=True)
gru_case("gru_initial_state_mask", 5, initial_state=True, mask="left", return_state=True)
gru_case("gru_return_state", 6, return_state=True)
gru_case("gru_return_state_seq", 7, return_state=True, return_sequences=True, reset_after=False)
gru_case("gru_stateful", 8, stateful=True, calls=2, return_sequences=True)
gru_case("gru_stateful_reset", 9, stateful=True, calls=3, reset_between=True, return_state=True)
gru_case("gru_stateful_mask", 21, stateful=True, calls=2, mask="holes")
gru_case("gru_unroll", 22, unroll=True, return_sequences=True, mask="holes")
gru_case("gru_time_major", 23, time_major=True, return_sequences=True, return_state=True)
gru_case("gru_time_major_last", 24, time_major=True, mask="right", reset_after=False)
gru_case("gru_wide", 25, b=4, t=7, f=9, units=6, return_sequences=True)
gru_case("gru_single_step", 26, b=2, t=1, f=3, units=5, return_state=True)

# Bidirectional in every merge mode, with and without a mask.
for mi, mode in enumerate(["concat", "sum", "mul", "ave", None]):
    for rs in (True, False):
        for mask in (None, "holes"):
            rng = np.random.default_rng(200 + mi)
            b, t, f, u = 3, 5, 4, 3
            layer = layers.Bidirectional(layers.GRU(u, return_sequences=rs, return_state=(mode is None),
                                                    reset_after=(mi % 2 == 0)), merge_mode=mode)
            layer.build((b, t, f))
            weights = randomize(layer, rng)
            x = rng.standard_normal((b, t, f)).astype("float32")
            m = MASKS[mask](b, t) if mask else None
            y = layer(x, mask=m) if m is not None else layer(x)
            cases.append({"name": f"bidirectional_{mode}_seq_{rs}_mask_{mask}", "kind": "bidirectional",
                          "config": {"merge_mode": mode, "layer": {"units": u, "return_sequences": rs,
                                                                   "return_state": mode is None,
                                                                   "reset_after": mi % 2 == 0}},
                          "weights": [arr(w) for w in weights],
                          "calls": [{"inputs": arr(x), "mask": arr(m) if m is not None else None,
                                     "initial_state": None, "reset_before": False, "outputs": outs(y)}]})

# Generic RNN layer over GRU cells, and stacked cells.
for name, cells, extra in [
    ("rnn_gru_cell", [dict(units=3)], dict(return_sequences=True)),
    ("rnn_gru_cell_mask", [dict(units=3, reset_after=False)], dict(return_sequences=False, return_state=True)),
    ("stacked_cells", [dict(units=4), dict(units=3, reset_after=False)], dict(return_sequences=True, return_state=True)),
    ("stacked_cells_mask_backwards", [dict(units=3), dict(units=2), dict(units=3, activation="relu")],
     dict(return_state=True, go_backwards=True)),
]:
    rng = np.random.default_rng(sum(map(ord, name)))
    b, t, f = 3, 5, 4
    kcells = [layers.GRUCell(**c) for c in cells]
    layer = layers.RNN(layers.StackedRNNCells(kcells) if len(kcells) > 1 else kcells[0], **extra)
    layer.build((b, t, f))
    weights = randomize(layer, rng)
    x = rng.standard_normal((b, t, f)).astype("float32")
    m = MASKS["left"](b, t) if "mask" in name else None
    y = layer(x, mask=m) if m is not None else layer(x)
    cases.append({"name": name, "kind": "rnn", "config": dict(extra, cells=cells),
                  "weights": [arr(w) for w in weights],
                  "calls": [{"inputs": arr(x), "mask": arr(m) if m is not None else None,
                             "initial_state": None, "reset_before": False, "outputs": outs(y)}]})

# Sequential models: mask sources feeding a GRU, and the usual heads.
def sequential_case(name, seed, layer_specs, x):
    rng = np.random.default_rng(seed)
    built = []
    for spec in layer_specs:
        kind, args = spec["type"], {k: v for k, v in spec.items() if k != "type"}
        if kind == "embedding": built.append(layers.Embedding(**args))
        elif kind == "masking": built.append(layers.Masking(**args))
        elif kind == "gru": built.append(layers.GRU(**args))
        elif kind == "dense": built.append(layers.Dense(**args))
        elif kind == "time_distributed_dense": built.append(layers.TimeDistributed(layers.Dense(**args)))
        elif kind == "bidirectional_gru": built.append(layers.Bidirectional(layers.GRU(**args)))
    model = keras.Sequential([keras.Input(shape=x.shape[1:])] + built)
    weights = randomize(model, rng)
    y = model(x)
    cases.append({"name": name, "kind": "sequential", "config": {"input_shape": list(x.shape[1:]), "layers": layer_specs},
                  "weights": [arr(w) for w in weights],
                  "calls": [{"inputs": arr(x), "mask": None, "initial_state": None, "reset_before": False,
                             "outputs": outs(y)}]})

tokens = np.array([[0, 0, 3, 5, 2, 7], [4, 1, 0, 0, 0, 0], [2, 0, 6, 0, 9, 1], [0, 0, 0, 0, 0, 0]], dtype="float32")
sequential_case("embedding_mask_zero_gru", 300, [
    {"type": "embedding", "input_dim": 10, "output_dim": 4, "mask_zero": True},
    {"type": "gru", "units": 3}], tokens)
sequential_case("embedding_mask_zero_gru_seq_dense", 301, [
    {"type": "embedding", "input_dim": 10, "output_dim": 4, "mask_zero": True},
    {"type": "gru", "units": 5, "return_sequences": True},
    {"type": "gru", "units": 3, "reset_after": False},
    {"type": "dense", "units": 2, "activation": "softmax"}], tokens)
sequential_case("embedding_bidirectional_time_distributed", 302, [
    {"type": "embedding", "input_dim": 10, "output_dim": 4, "mask_zero": True},
    {"type": "bidirectional_gru", "units": 3, "return_sequences": True},
    {"type": "time_distributed_dense", "units": 2, "activation": "tanh"}], tokens)
xs = np.random.default_rng(303).standard_normal((3, 6, 4)).astype("float32")
xs[0, 4:] = 0.0
xs[1, :2] = 0.0
xs[2, 3] = 0.0
sequential_case("masking_gru_dense", 303, [
    {"type": "masking", "mask_value": 0.0},
    {"type": "gru", "units": 4, "return_sequences": True},
    {"type": "dense", "units": 2, "activation": "relu"}], xs)

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "keras-layers.json"), "w") as fh:
    json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(), "cases": cases}, fh)
print(f"wrote {len(cases)} cases with Keras {keras.__version__}")
