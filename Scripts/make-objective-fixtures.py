#!/usr/bin/env python3
"""Generates Tests/KerasFilesTests/Fixtures/objectives from real Keras: fits that depend on
what a model is compiled and fitted with beyond one loss, on what Keras' fit does with it.

- several outputs: a loss per output (a list, or by name with an output left out),
  loss_weights, metrics per output; the history logs `<output>_loss` and `<output>_<metric>`;
- LSTM and SimpleRNN regularizers (activity too) and constraints; Dot with normalize; MultiHeadAttention (causal, a separate key, no bias);
- the regularizers (activity too) and constraints (over several axes too) of Conv1D, SeparableConv1D,
  DepthwiseConv1D, Conv2D in TimeDistributed, BatchNormalization, LayerNormalization, PReLU and Embedding;
- every optimizer over an Embedding whose ids repeat in a batch (TensorFlow hands the table's gradient
  to the optimizer as one slice per lookup);
- frozen layers (trainable = FALSE): a GRU with a regularizer (its penalty leaves the loss)
  and a BatchNormalization (it normalizes with its moving statistics and keeps them);
- steps_per_epoch (epochs go on through the data, an epoch that runs out ends early) and
  validation_steps, validation data with sample weights.

Each case is saved compiled before training (`<name>.keras`), with its data; Keras fits it
with shuffle = FALSE and the manifest records the fit's arguments and history, and the weights
after it (`<name>.after.npz`). The Swift test runs the same fit and must agree.

Usage: python3 Scripts/make-objective-fixtures.py   (packages: Scripts/requirements-fixtures.txt)
"""
import json, os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import keras
from keras import constraints, layers, optimizers, regularizers

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KerasFilesTests", "Fixtures", "objectives")


def two_outputs():
    inputs = keras.Input((5, 3))
    hidden = layers.GRU(4, name="gru")(inputs)
    return keras.Model(inputs, [layers.Dense(2, name="out_a")(hidden), layers.Dense(1, activation="sigmoid", name="out_b")(hidden)])


def cosine_similarities():
    inputs = keras.Input((5, 3))
    h = layers.GRU(4, return_sequences=True)(inputs)
    g = layers.Conv1D(4, 2, padding="same")(inputs)
    similarities = layers.Dot(axes=2, normalize=True)([h, g])
    pooled = layers.Dot(axes=1, normalize=True)([h, g])
    return keras.Model(inputs, layers.Dense(2)(layers.Concatenate()([layers.Flatten()(similarities), layers.Flatten()(pooled)])))


def multi_head():
    inputs = keras.Input((5, 3))
    h = layers.GRU(4, return_sequences=True)(inputs)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=3)(h, h, use_causal_mask=True)
    crossed = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=2, output_shape=3, use_bias=False)(attended, inputs, h)
    return keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling1D()(layers.Concatenate()([attended, crossed]))))


def multi_head_regularized():
    inputs = keras.Input((5, 3))
    h = layers.GRU(4, return_sequences=True)(inputs)
    attended = layers.MultiHeadAttention(
        num_heads=2, key_dim=3, kernel_regularizer=regularizers.L2(0.05), bias_regularizer=regularizers.L1(0.02),
        activity_regularizer=regularizers.L2(0.01), kernel_constraint=constraints.MaxNorm(0.6),
        bias_constraint=constraints.NonNeg())(h, h)
    crossed = layers.MultiHeadAttention(
        num_heads=2, key_dim=2, activity_regularizer=regularizers.L1(0.01),
        kernel_constraint=constraints.UnitNorm(axis=[0, 1]))(attended, inputs, h)
    return keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling1D()(layers.Concatenate()([attended, crossed]))))


def operations_on_sequences():
    from keras import ops
    inputs = keras.Input((5, 3))
    h = layers.GRU(4, return_sequences=True)(inputs)
    pooled = ops.mean(h, axis=1) + 0.5 * ops.max(h, axis=1) - ops.min(h[:, ::-1], axis=[1])
    shaped = ops.sqrt(ops.square(h[:, -1]) + 1.0) / 2.0 + ops.tanh(ops.sum(h[..., 1:3], axis=2))[:, :4]
    return keras.Model(inputs, layers.Dense(2)(layers.Concatenate()([pooled, shaped, ops.divide(h[:, 0], 2.0 + ops.abs(h[:, 1]))])))


def joins_and_choices():
    from keras import ops
    inputs = keras.Input((5, 3))
    h = layers.GRU(4, return_sequences=True)(inputs)
    stacked = ops.stack([h[:, -1], ops.maximum(h[:, 0], 0.1), ops.minimum(h[:, 2], h[:, 3])], axis=1)
    chosen = ops.where(h > 0, h, 0.3 * h) + ops.where(ops.less_equal(h[:, :, :3], inputs), inputs, 0.5)[:, :, :1]
    gates = ops.cast(ops.cast(inputs * 3, "int32"), "float32") + ops.cast(ops.greater(inputs, 0.2), "float32")
    seq = ops.concatenate([chosen, gates, ops.cast(ops.cast(h, "float16"), "float32")], axis=-1)
    tail = layers.GRU(3)(seq)
    return keras.Model(inputs, layers.Dense(2)(layers.Concatenate()([tail, layers.Flatten()(stacked)])))


def video_autoencoder():
    td = layers.TimeDistributed
    return keras.Sequential([
        keras.Input((3, 8, 8, 1)),
        td(layers.Conv2D(3, (3, 3), strides=4, padding="same")), layers.LayerNormalization(),
        td(layers.Conv2D(2, (3, 3), strides=2, padding="same")), layers.LayerNormalization(),
        layers.ConvLSTM2D(2, (3, 3), padding="same", return_sequences=True), layers.LayerNormalization(),
        td(layers.Conv2DTranspose(2, (3, 3), strides=2, padding="same")), layers.LayerNormalization(),
        td(layers.Conv2DTranspose(3, (3, 3), strides=4, padding="same")),
        td(layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")),
    ])


def conv_lstm_frames():
    inputs = keras.Input((3, 5, 5, 2))
    h = layers.ConvLSTM2D(3, (3, 3), padding="same", return_sequences=True, recurrent_dropout=0.0)(inputs)
    h = layers.ConvLSTM2D(2, (2, 2), strides=(2, 2), go_backwards=True, kernel_regularizer=regularizers.L2(0.01))(h)
    return keras.Model(inputs, layers.Dense(2)(layers.Flatten()(h)))


def volumes():
    inputs = keras.Input((4, 4, 4, 2))
    v = layers.Conv3D(3, (2, 3, 3), strides=(1, 2, 1), padding="same", activation="tanh")(inputs)
    v = layers.MaxPooling3D((2, 1, 2), padding="same")(v)
    a = layers.AveragePooling3D(2, strides=1, padding="same")(v)
    joined = layers.Concatenate()([layers.GlobalAveragePooling3D()(a), layers.GlobalMaxPooling3D()(v)])
    return keras.Model(inputs, layers.Dense(2)(joined))


def nested_models():
    frame = keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(3, 2, activation="tanh"), layers.MaxPooling2D(),
                              layers.Flatten()], name="frame")
    # No bias before the BatchNormalization: its gradient would be zero up to rounding, which Adam amplifies.
    head = keras.Sequential([keras.Input((3,)), layers.Dense(4, use_bias=False, kernel_regularizer=regularizers.L2(0.02)),
                             layers.BatchNormalization(), layers.Dense(2)], name="head")
    inputs = keras.Input((3, 6, 6, 2))
    return keras.Model(inputs, head(layers.GRU(3)(layers.TimeDistributed(frame)(inputs))))


def cases(rng):
    x = rng.standard_normal((10, 5, 3)).astype("float32")
    y = rng.standard_normal((10, 2)).astype("float32")
    labels = (rng.random((10, 1)) > 0.5).astype("float32")
    xv = rng.standard_normal((6, 5, 3)).astype("float32")
    yv = rng.standard_normal((6, 2)).astype("float32")
    weights_v = rng.uniform(0.2, 2.0, size=6).astype("float32")
    frozen = keras.Sequential([
        keras.Input((5, 3)),
        layers.GRU(4, return_sequences=True, kernel_regularizer=regularizers.L2(0.05), trainable=False),
        layers.BatchNormalization(trainable=False),
        layers.GRU(3),
        layers.Dense(2, kernel_regularizer=regularizers.L2(0.01)),
    ])
    plain = lambda: keras.Sequential([keras.Input((5, 3)), layers.GRU(4), layers.Dense(2)])
    regularized = keras.Sequential([
        keras.Input((5, 3)),
        layers.LSTM(4, return_sequences=True, kernel_regularizer=regularizers.L2(0.05), recurrent_regularizer=regularizers.L1(0.02),
                    activity_regularizer=regularizers.L2(0.1), recurrent_constraint=constraints.MaxNorm(0.8)),
        layers.SimpleRNN(3, bias_regularizer=regularizers.L1L2(0.01, 0.03), kernel_constraint=constraints.NonNeg()),
        layers.Dense(2),
    ])
    conv_regularized = keras.Sequential([
        keras.Input((5, 3)),
        layers.Conv1D(4, 2, padding="same", kernel_regularizer=regularizers.L2(0.05), bias_regularizer=regularizers.L1(0.02),
                      activity_regularizer=regularizers.L2(0.01), kernel_constraint=constraints.MaxNorm(0.5),
                      bias_constraint=constraints.NonNeg()),
        layers.GRU(3),
        layers.Dense(2),
    ])
    separable_regularized = keras.Sequential([
        keras.Input((5, 3)),
        layers.SeparableConv1D(4, 2, padding="same", depth_multiplier=2, depthwise_regularizer=regularizers.L2(0.05),
                               pointwise_regularizer=regularizers.L1(0.02), bias_regularizer=regularizers.L2(0.03),
                               activity_regularizer=regularizers.L1(0.01), depthwise_constraint=constraints.MaxNorm(0.6, axis=[0, 1]),
                               pointwise_constraint=constraints.UnitNorm(axis=[0, 1])),
        layers.DepthwiseConv1D(2, padding="same", depthwise_regularizer=regularizers.L1L2(0.01, 0.02),
                               bias_regularizer=regularizers.L1(0.05), activity_regularizer=regularizers.L2(0.02),
                               depthwise_constraint=constraints.MinMaxNorm(0.2, 0.7, rate=0.5), bias_constraint=constraints.NonNeg()),
        layers.GRU(3),
        layers.Dense(2),
    ])
    normalization_regularized = keras.Sequential([
        keras.Input((5, 3)),
        layers.BatchNormalization(gamma_regularizer=regularizers.L2(0.05), beta_regularizer=regularizers.L1(0.02),
                                  gamma_constraint=constraints.MaxNorm(1.1), beta_constraint=constraints.NonNeg()),
        layers.GRU(4, return_sequences=True),
        layers.LayerNormalization(gamma_regularizer=regularizers.L1(0.03), beta_regularizer=regularizers.L2(0.04),
                                  gamma_constraint=constraints.UnitNorm(), beta_constraint=constraints.MaxNorm(0.3)),
        layers.PReLU(alpha_regularizer=regularizers.L2(0.05), alpha_constraint=constraints.NonNeg()),
        layers.Flatten(),
        layers.Dense(2),
    ])
    images = rng.standard_normal((10, 3, 4, 4, 2)).astype("float32")
    time_distributed_conv2d = keras.Sequential([
        keras.Input((3, 4, 4, 2)),
        layers.TimeDistributed(layers.Conv2D(3, 2, kernel_regularizer=regularizers.L2(0.05), bias_regularizer=regularizers.L1(0.02),
                                             kernel_constraint=constraints.MaxNorm(0.5, axis=[0, 1, 2]))),
        layers.TimeDistributed(layers.Flatten()),
        layers.GRU(3),
        layers.Dense(2),
    ])
    ids = rng.integers(1, 6, size=(10, 5)).astype("float32")
    ids[:, 3] = ids[:, 1]
    ids[:, 4] = 2
    embedded = lambda **options: keras.Sequential([
        keras.Input((5,)), layers.Embedding(7, 3, **options), layers.GRU(4), layers.Dense(2)])
    embedding_optimizers = [
        ("sgd", optimizers.SGD(0.1, momentum=0.5)), ("adam", optimizers.Adam(0.02)), ("adamw", optimizers.AdamW(0.02)),
        ("rmsprop", optimizers.RMSprop(0.01, momentum=0.3)), ("adagrad", optimizers.Adagrad(0.05)),
        ("nadam", optimizers.Nadam(0.02)), ("adamax", optimizers.Adamax(0.05)), ("adadelta", optimizers.Adadelta(1.0)),
        ("lion", optimizers.Lion(0.005)), ("ftrl", optimizers.Ftrl(0.05)),
        ("adam_clipnorm", optimizers.Adam(0.02, clipnorm=0.1)),         ("adadelta_global_clipnorm", optimizers.Adadelta(1.0, global_clipnorm=0.2)),
        ("adamax_weight_decay", optimizers.Adamax(0.05, weight_decay=0.1)),
    ]
    # From a generator of their own, so that the draws of the earlier cases stay as they were.
    extra = np.random.default_rng(2027)
    frames = extra.standard_normal((10, 3, 5, 5, 2)).astype("float32")
    volumes_x = extra.standard_normal((10, 4, 4, 4, 2)).astype("float32")
    nested_x = extra.standard_normal((10, 3, 6, 6, 2)).astype("float32")
    video = extra.standard_normal((10, 3, 8, 8, 1)).astype("float32")
    return [
        dict(name="outputs_list", model=two_outputs(), optimizer=optimizers.Adam(0.02),
             compile=dict(loss=["mse", "binary_crossentropy"], loss_weights=[1.0, 0.5], metrics=[["mae"], ["accuracy"]]),
             x=[x], y=[y, labels], fit=dict(batch_size=4, epochs=2), validation=([x], [y, labels], None)),
        dict(name="outputs_named_partial", model=two_outputs(), optimizer=optimizers.SGD(0.1, momentum=0.5),
             compile=dict(loss={"out_a": "huber", "out_b": None}, loss_weights={"out_a": 2.0, "out_b": 1.0},
                          metrics={"out_b": ["accuracy"]}),
             x=[x], y=[y, labels], fit=dict(batch_size=4, epochs=2), validation=None),
        dict(name="frozen_layers", model=frozen, optimizer=optimizers.Adam(0.02), compile=dict(loss="mse"),
             x=[x], y=[y], fit=dict(batch_size=4, epochs=2), validation=([x], [y], None)),
        dict(name="lstm_simple_rnn_regularized", model=regularized, optimizer=optimizers.Adam(0.02), compile=dict(loss="mse"),
             x=[x], y=[y], fit=dict(batch_size=4, epochs=2), validation=([x], [y], None)),
        dict(name="dot_normalize", model=cosine_similarities(), optimizer=optimizers.Adam(0.02), compile=dict(loss="mse"),
             x=[x], y=[y], fit=dict(batch_size=4, epochs=2), validation=None),
        dict(name="multi_head_attention", model=multi_head(), optimizer=optimizers.Adam(0.02), compile=dict(loss="mse"),
             x=[x], y=[y], fit=dict(batch_size=4, epochs=2), validation=None),
        dict(name="steps_per_epoch", model=plain(), optimizer=optimizers.SGD(0.05, momentum=0.9), compile=dict(loss="mse"),
             x=[x], y=[y], fit=dict(batch_size=2, epochs=4, steps_per_epoch=2, validation_steps=2),
             validation=([xv], [yv], None)),
        dict(name="validation_sample_weight", model=plain(), optimizer=optimizers.RMSprop(0.01),
             compile=dict(loss="mse", metrics=["mae"], weighted_metrics=["mse"]),
             x=[x], y=[y], fit=dict(batch_size=4, epochs=2), validation=([xv], [yv], weights_v)),
        dict(name="conv1d_regularized", model=conv_regularized, optimizer=optimizers.Adam(0.02), compile=dict(loss="mse"),
             x=[x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="separable_depthwise_regularized", model=separable_regularized, optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="normalization_prelu_regularized", model=normalization_regularized, optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="time_distributed_conv2d_regularized", model=time_distributed_conv2d, optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[images], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="embedding_activity_regularized",
             model=embedded(activity_regularizer=regularizers.L2(0.05), embeddings_constraint=constraints.MaxNorm(0.8, axis=1)),
             optimizer=optimizers.Adam(0.02), compile=dict(loss="mse"), x=[ids], y=[y], fit=dict(batch_size=4, epochs=3),
             validation=None),
    ] + [
        dict(name=f"embedding_{label}", model=embedded(), optimizer=optimizer, compile=dict(loss="mse"),
             x=[ids], y=[y], fit=dict(batch_size=4, epochs=3), validation=None)
        for label, optimizer in embedding_optimizers
    ] + [
        dict(name="multi_head_attention_regularized", model=multi_head_regularized(), optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="operations_on_sequences", model=operations_on_sequences(), optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="conv_lstm_frames", model=conv_lstm_frames(), optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[frames], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="volumes", model=volumes(), optimizer=optimizers.SGD(0.1, momentum=0.5),
             compile=dict(loss="mse"), x=[volumes_x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="nested_models", model=nested_models(), optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[nested_x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="joins_and_choices", model=joins_and_choices(), optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[x], y=[y], fit=dict(batch_size=4, epochs=3), validation=None),
        dict(name="video_autoencoder", model=video_autoencoder(), optimizer=optimizers.Adam(0.02),
             compile=dict(loss="mse"), x=[video], y=[1 / (1 + np.exp(-video))], fit=dict(batch_size=4, epochs=3), validation=None),
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2026)
    manifest = []
    for index, case in enumerate(cases(rng)):
        name, model = case["name"], case["model"]
        keras.utils.set_random_seed(index)
        weights = [(rng.standard_normal(w.shape) * 0.4).astype("float32") for w in model.get_weights()]
        weights = [np.abs(w) + 0.5 if "variance" in v.path else w for w, v in zip(weights, model.weights)]
        model.set_weights(weights)
        model.compile(optimizer=case["optimizer"], **case["compile"])
        model.save(os.path.join(OUT, name + ".keras"))
        arrays = {f"x{i}": a for i, a in enumerate(case["x"])} | {f"y{i}": a for i, a in enumerate(case["y"])}
        validation = case["validation"]
        if validation is not None:
            arrays |= {f"vx{i}": a for i, a in enumerate(validation[0])} | {f"vy{i}": a for i, a in enumerate(validation[1])}
            if validation[2] is not None:
                arrays["vw"] = validation[2]
        np.savez(os.path.join(OUT, name + ".data.npz"), **arrays)
        unpack = lambda arrays: arrays if len(arrays) > 1 else arrays[0]
        keras_validation = None if validation is None else (
            (unpack(validation[0]), unpack(validation[1])) + ((validation[2],) if validation[2] is not None else ()))
        history = model.fit(unpack(case["x"]), unpack(case["y"]), shuffle=False, verbose=0,
                            validation_data=keras_validation, **case["fit"])
        after = model.get_weights()
        np.savez(os.path.join(OUT, name + ".after.npz"), **{f"w{i:02d}": w for i, w in enumerate(after)})
        unchanged = [i for i, (a, b) in enumerate(zip(after, weights)) if np.array_equal(a, b)]
        manifest.append({"name": name, "fit": case["fit"], "inputs": len(case["x"]), "outputs": len(case["y"]),
                         "validated": validation is not None, "unchanged_weights": unchanged,
                         "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}})
        print(f"{name}: {sorted(history.history)}; weights left unchanged: {unchanged}")
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump({"keras_version": keras.__version__, "cases": manifest}, fh, indent=1)


if __name__ == "__main__":
    main()
