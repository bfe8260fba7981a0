#!/usr/bin/env python3
"""A Keras 2 model file with CuDNNGRU and CuDNNLSTM layers (Tests/KerasFilesTests/Fixtures/cudnn),
the way Keras 2.2 wrote models trained on GPUs: cuDNN's weight layout, one bias of both
halves. Current Keras cannot build those layers any more, so the file is written with h5py
from a GRU/LSTM model with random weights, each weight put in cuDNN's layout by the inverse
of Keras 2's own conversion (hdf5_format._convert_rnn_weights). The check that the file is
right is Keras' own: tf-keras loads its weights into the GRU/LSTM model (converting from
cuDNN's layout) and must predict the same as before.

Usage: python3 Scripts/make-cudnn-fixtures.py   (packages: Scripts/requirements-tf-keras.txt)
"""
import json, os
os.environ.update(TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
import h5py
import numpy as np
import tf_keras as keras

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "cudnn")
NAMES = ["cu_dnngru_1", "cu_dnnlstm_1", "cu_dnngru_2"]


def reference_model():
    return keras.Sequential([
        keras.layers.GRU(5, reset_after=True, return_sequences=True, name=NAMES[0], input_shape=(6, 3)),
        keras.layers.LSTM(3, return_sequences=True, go_backwards=True, name=NAMES[1]),
        keras.layers.GRU(4, reset_after=True, name=NAMES[2]),
        keras.layers.Dense(2, name="dense_1"),
    ])


def to_cudnn(weights, gates):
    """Keras' layout to cuDNN's: each gate's input kernel in column-major order, each
    recurrent kernel transposed; a GRU's two bias rows in one, an LSTM's bias split in two halves."""
    kernel, recurrent, bias = weights
    kernel = np.hstack([k.T.reshape(k.shape, order="C") for k in np.hsplit(kernel, gates)])
    recurrent = np.hstack([k.T for k in np.hsplit(recurrent, gates)])
    bias = bias.reshape(-1) if gates == 3 else np.tile(0.5 * bias, 2)
    return [kernel, recurrent, bias]


def layer_config(name, units, **flags):
    initializer = lambda c: {"class_name": c, "config": {"seed": None}}
    config = {"name": name, "trainable": True, "dtype": "float32", "units": units,
              "kernel_initializer": initializer("VarianceScaling"), "recurrent_initializer": initializer("Orthogonal"),
              "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
              "recurrent_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
              "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
              "return_sequences": False, "return_state": False, "stateful": False, "go_backwards": False}
    config.update(flags)
    return config


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(17)
    model = reference_model()
    for w in model.weights:
        w.assign(rng.uniform(-0.6, 0.6, w.shape).astype("float32"))
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    expected = model.predict(x, verbose=0)

    layers = [
        {"class_name": "CuDNNGRU", "config": layer_config(NAMES[0], 5, return_sequences=True, batch_input_shape=[None, 6, 3])},
        {"class_name": "CuDNNLSTM", "config": layer_config(NAMES[1], 3, return_sequences=True, go_backwards=True, unit_forget_bias=True)},
        {"class_name": "CuDNNGRU", "config": layer_config(NAMES[2], 4)},
        {"class_name": "Dense", "config": {"name": "dense_1", "trainable": True, "dtype": "float32", "units": 2, "activation": "linear", "use_bias": True,
                                           "kernel_initializer": {"class_name": "VarianceScaling", "config": {}},
                                           "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
                                           "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}},
    ]
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}}
    path = os.path.join(OUT, "cudnn_stack.h5")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.2.4"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [name.encode() for name in NAMES + ["dense_1"]]
        group.attrs["backend"] = "tensorflow"
        group.attrs["keras_version"] = "2.2.4"
        for layer in model.layers:
            weights = layer.get_weights()
            if layer.name in NAMES:
                weights = to_cudnn(weights, 3 if "gru" in layer.name else 4)
            names = [f"{layer.name}/{w}:0" for w in (["kernel", "recurrent_kernel", "bias"] if len(weights) == 3 else ["kernel", "bias"])]
            g = group.create_group(layer.name)
            g.attrs["weight_names"] = [n.encode() for n in names]
            for n, w in zip(names, weights):
                g.create_dataset(n, data=w)

    # Keras' own conversion reads the file back into the GRU/LSTM model.
    check = reference_model()
    check.load_weights(path)
    error = float(np.abs(check.predict(x, verbose=0) - expected).max())
    assert error < 1e-6, f"tf-keras converts the cuDNN weights with error {error}"
    np.save(os.path.join(OUT, "cudnn_stack.input.npy"), x)
    np.save(os.path.join(OUT, "cudnn_stack.expected.npy"), expected)
    print("cudnn_stack.h5: tf-keras reads it back with error", error)


if __name__ == "__main__":
    main()
