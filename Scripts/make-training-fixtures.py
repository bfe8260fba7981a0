#!/usr/bin/env python3
"""Generates the training fixtures in Tests/KerasFilesTests/Fixtures/training from real Keras.

Each case: a compiled Keras 3 model with random weights is saved before training
(`before.keras`, its compile_config holds the optimizer and the loss), then Keras
fits it for 2 epochs with shuffle=False on fixed data; the weights after training
(get_weights order) and the per-epoch losses are stored. The Swift tests train the
same file on the same data and must reach the same weights within 2e-4.

Usage: python3 Scripts/make-training-fixtures.py   (packages: Scripts/requirements-fixtures.txt)
"""
import json, os, subprocess, sys, tempfile
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import keras
from keras import layers, optimizers, regularizers, constraints

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "training")
GRU_TOOL = os.environ.get("GRU_TOOL", os.path.join(ROOT, ".build", "debug", "gru"))


def seq_model(*body, shape=(5, 3), batch_size=None):
    return keras.Sequential([keras.Input(shape, batch_size=batch_size)] + list(body))


def cases(rng):
    x = rng.standard_normal((10, 5, 3)).astype("float32")
    tokens = rng.integers(1, 12, size=(10, 6)).astype("float32")
    for i in range(10):
        tokens[i, :i % 3] = 0
    masked = x.copy()
    masked[1, 3:] = 0
    masked[4, :2] = 0
    onehot = np.eye(3, dtype="float32")[rng.integers(0, 3, size=10)]
    labels = rng.integers(0, 3, size=(10,)).astype("float32")
    binary = (rng.random((10, 1)) > 0.5).astype("float32")
    yield ("sgd_mse", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.SGD(0.05), "mse", [x], [rng.standard_normal((10, 2)).astype("float32")], 4)
    yield ("sgd_nesterov_mae", seq_model(layers.GRU(4, reset_after=False), layers.Dense(1)),
           optimizers.SGD(0.05, momentum=0.9, nesterov=True), "mae", [x], [rng.standard_normal((10, 1)).astype("float32")], 4)
    yield ("adam_binary_crossentropy", seq_model(layers.GRU(5), layers.Dense(1, activation="sigmoid")),
           optimizers.Adam(0.01), "binary_crossentropy", [x], [binary], 3)
    yield ("adamw_categorical_crossentropy", seq_model(layers.GRU(4, return_sequences=True), layers.GRU(3), layers.Dense(3, activation="softmax")),
           optimizers.AdamW(0.01, weight_decay=0.05), "categorical_crossentropy", [x], [onehot], 4)
    yield ("rmsprop_sparse_categorical", seq_model(layers.GRU(4), layers.Dense(3, activation="softmax")),
           optimizers.RMSprop(0.005, momentum=0.5, centered=True), "sparse_categorical_crossentropy", [x], [labels], 5)
    yield ("adagrad_regularized_constrained", seq_model(
        layers.GRU(4, kernel_regularizer=regularizers.L2(0.01), recurrent_regularizer=regularizers.L1(0.005),
                   bias_regularizer=regularizers.L1L2(0.01, 0.02), activity_regularizer=regularizers.L2(0.01),
                   kernel_constraint=constraints.MaxNorm(0.8), recurrent_constraint=constraints.UnitNorm(),
                   bias_constraint=constraints.NonNeg(), return_sequences=True),
        layers.GRU(3, kernel_constraint=constraints.MinMaxNorm(0.2, 0.9, rate=0.5)),
        layers.Dense(2, kernel_regularizer=regularizers.L1(0.01), activity_regularizer=regularizers.L1L2(0.01, 0.01))),
        optimizers.Adagrad(0.05), "mse", [x], [rng.standard_normal((10, 2)).astype("float32")], 4)
    yield ("adam_clipnorm_embedding_mask", keras.Sequential([keras.Input((6,)), layers.Embedding(12, 4, mask_zero=True),
                                                              layers.GRU(4, return_sequences=True), layers.TimeDistributed(layers.Dense(2))]),
           optimizers.Adam(0.02, clipnorm=0.5), "mse", [tokens], [rng.standard_normal((10, 6, 2)).astype("float32")], 4)
    yield ("rmsprop_clipvalue_bidirectional_masking", seq_model(layers.Masking(0.0), layers.Bidirectional(layers.GRU(3, return_sequences=True)),
                                                                 layers.Bidirectional(layers.GRU(2), merge_mode="ave"), layers.Dense(1)),
           optimizers.RMSprop(0.01, clipvalue=0.05), "mse", [masked], [rng.standard_normal((10, 1)).astype("float32")], 4)
    yield ("sgd_global_clipnorm_stacked_backwards", seq_model(layers.RNN([layers.GRUCell(4), layers.GRUCell(3, reset_after=False)], go_backwards=True),
                                                               layers.Dense(2, activation="tanh")),
           optimizers.SGD(0.1, global_clipnorm=0.3), "mse", [x], [rng.standard_normal((10, 2)).astype("float32")], 4)
    yield ("adam_amsgrad_logits", seq_model(layers.GRU(4, activation="relu", recurrent_activation="hard_sigmoid"), layers.Dense(1)),
           optimizers.Adam(0.01, amsgrad=True), keras.losses.BinaryCrossentropy(from_logits=True), [x], [binary], 4)
    source = keras.Input((5, 3), name="source")
    target = keras.Input((4, 2), name="target")
    _, state = layers.GRU(4, return_state=True)(source)
    decoded = layers.GRU(4, return_sequences=True)(target, initial_state=[state])
    probs = layers.Dense(3, activation="softmax")(decoded)
    yield ("adam_encoder_decoder", keras.Model([source, target], probs), optimizers.Adam(0.01), "sparse_categorical_crossentropy",
           [x, rng.standard_normal((10, 4, 2)).astype("float32")], [rng.integers(0, 3, size=(10, 4)).astype("float32")], 4)
    yield ("sgd_stateful", seq_model(layers.GRU(3, stateful=True), layers.Dense(1), batch_size=2),
           optimizers.SGD(0.05), "mse", [x], [rng.standard_normal((10, 1)).astype("float32")], 2)
    # Learning-rate schedules: 3 steps an epoch, 2 epochs, so each changes the rate on the way.
    schedules = optimizers.schedules
    regression = [rng.standard_normal((10, 2)).astype("float32")]
    yield ("sgd_exponential_decay_staircase", seq_model(layers.GRU(4), layers.Dense(2)),
           optimizers.SGD(schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True), momentum=0.5),
           "mse", [x], regression, 4)
    yield ("adam_cosine_warmup", seq_model(layers.GRU(4), layers.Dense(2)),
           optimizers.Adam(schedules.CosineDecay(0.001, decay_steps=4, alpha=0.1, warmup_target=0.02, warmup_steps=2)),
           "mse", [x], regression, 4)
    yield ("rmsprop_piecewise", seq_model(layers.GRU(4), layers.Dense(2)),
           optimizers.RMSprop(schedules.PiecewiseConstantDecay([1, 3], [0.01, 0.005, 0.001])), "mse", [x], regression, 4)
    yield ("adagrad_inverse_time", seq_model(layers.GRU(4), layers.Dense(2)),
           optimizers.Adagrad(schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)), "mse", [x], regression, 4)
    yield ("sgd_polynomial_cycle", seq_model(layers.GRU(4), layers.Dense(2)),
           optimizers.SGD(schedules.PolynomialDecay(0.1, decay_steps=2, end_learning_rate=0.01, power=2.0, cycle=True)),
           "mse", [x], regression, 4)
    # The other optimizers Keras users pick.
    yield ("nadam", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.Nadam(0.01), "mse", [x], regression, 4)
    yield ("adamax", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.Adamax(0.02, beta_1=0.8), "mse", [x], regression, 4)
    yield ("adadelta", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.Adadelta(1.0, rho=0.9), "mse", [x], regression, 4)
    yield ("lion", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.Lion(0.003, beta_1=0.8), "mse", [x], regression, 4)
    yield ("ftrl", seq_model(layers.GRU(4), layers.Dense(2)),
           optimizers.Ftrl(0.05, l1_regularization_strength=0.001, l2_regularization_strength=0.01,
                           l2_shrinkage_regularization_strength=0.005, beta=0.1), "mse", [x], regression, 4)
    # Models with the layers around a GRU: convolutions, pooling, normalization, activations, shape layers.
    series = rng.standard_normal((10, 12, 3)).astype("float32")
    frames = rng.standard_normal((10, 4, 6, 5, 1)).astype("float32")
    yield ("adam_conv_pool_layernorm", seq_model(
        layers.Conv1D(4, 3, padding="same", activation="tanh"), layers.MaxPooling1D(2), layers.LayerNormalization(),
        layers.GRU(4, return_sequences=True), layers.GlobalAveragePooling1D(), layers.Dense(2), shape=(12, 3)),
        optimizers.Adam(0.01), "mse", [series], regression, 4)
    yield ("sgd_crnn", keras.Sequential([
        keras.Input((4, 6, 5, 1)), layers.TimeDistributed(layers.Conv2D(2, (3, 3), padding="same", activation="tanh")),
        layers.TimeDistributed(layers.AveragePooling2D((2, 2))), layers.TimeDistributed(layers.Flatten()),
        layers.GRU(3), layers.Dense(2)]), optimizers.SGD(0.05, momentum=0.5), "mse", [frames], regression, 4)
    yield ("rmsprop_separable_prelu_shapes", seq_model(
        layers.SeparableConv1D(4, 3, depth_multiplier=2, padding="valid"), layers.PReLU(shared_axes=[1]),
        layers.DepthwiseConv1D(2, strides=2), layers.ELU(0.5), layers.UpSampling1D(2), layers.Cropping1D((1, 1)),
        layers.ZeroPadding1D(1), layers.Permute((2, 1)), layers.Softmax(axis=1), layers.Permute((2, 1)),
        layers.GRU(3, return_sequences=True), layers.Conv1D(2, 2, dilation_rate=2, activation="sigmoid"),
        layers.GlobalMaxPooling1D(), layers.RepeatVector(2), layers.Flatten(), layers.Reshape((2, 2)), layers.Flatten(),
        layers.Dense(2), shape=(12, 3)),
        optimizers.RMSprop(0.01), "mse", [series], regression, 4)
    yield ("adam_batchnorm", seq_model(
        layers.Conv1D(4, 3, activation="tanh"), layers.BatchNormalization(momentum=0.8), layers.GRU(4),
        layers.BatchNormalization(center=False), layers.Dense(2), shape=(12, 3)), optimizers.Adam(0.01), "mse", [series], regression, 4)
    yield ("sgd_masked_batchnorm", keras.Sequential([
        keras.Input((6,)), layers.Embedding(12, 4, mask_zero=True), layers.GRU(4, return_sequences=True),
        layers.BatchNormalization(epsilon=0.01), layers.GRU(3), layers.Dense(2)]),
        optimizers.SGD(0.1, momentum=0.5), "mse", [tokens], regression, 4)
    # The other losses Keras users pick, and label smoothing.
    losses = keras.losses
    counts = rng.poisson(1.5, size=(10, 2)).astype("float32")
    distributions = rng.dirichlet(np.ones(3), size=10).astype("float32")
    yield ("adam_huber", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.Adam(0.01), losses.Huber(), [x], regression, 4)
    yield ("sgd_log_cosh", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.SGD(0.1), "log_cosh", [x], regression, 4)
    yield ("rmsprop_kl_divergence", seq_model(layers.GRU(4), layers.Dense(3, activation="softmax")), optimizers.RMSprop(0.01),
           losses.KLDivergence(), [x], [distributions], 4)
    yield ("adam_poisson", seq_model(layers.GRU(4), layers.Dense(2, activation="softplus")), optimizers.Adam(0.01), "poisson",
           [x], [counts], 4)
    yield ("sgd_cosine_similarity", seq_model(layers.GRU(4), layers.Dense(3)), optimizers.SGD(0.1), losses.CosineSimilarity(),
           [x], [rng.standard_normal((10, 3)).astype("float32")], 4)
    yield ("adam_binary_label_smoothing", seq_model(layers.GRU(4), layers.Dense(1, activation="sigmoid")), optimizers.Adam(0.01),
           losses.BinaryCrossentropy(label_smoothing=0.1), [x], [binary], 4)
    yield ("adam_categorical_logits_label_smoothing", seq_model(layers.GRU(4), layers.Dense(3)), optimizers.Adam(0.01),
           losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), [x], [onehot], 4)
    # LSTM and SimpleRNN layers and cells, masked, backwards, bidirectional, stacked.
    yield ("adam_lstm_masked_bidirectional", keras.Sequential([
        keras.Input((6,)), layers.Embedding(12, 4, mask_zero=True), layers.LSTM(4, return_sequences=True, go_backwards=True),
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)), layers.SimpleRNN(3), layers.Dense(2)]),
        optimizers.Adam(0.01), "mse", [tokens], regression, 4)
    yield ("rmsprop_rnn_stacked_cells", seq_model(
        layers.RNN([layers.SimpleRNNCell(4, activation="relu"), layers.LSTMCell(3, unit_forget_bias=False)], return_sequences=True),
        layers.LSTM(2), layers.Dense(2)), optimizers.RMSprop(0.01), "mse", [x], regression, 4)
    embedded_tokens = keras.Input((6,))
    h = layers.GRU(4, return_sequences=True)(layers.Embedding(12, 4, mask_zero=True)(embedded_tokens))
    attended = layers.Attention(use_scale=True)([h, h], use_causal_mask=True)
    added = layers.AdditiveAttention()([attended, h])
    pooled = layers.GlobalAveragePooling1D()(layers.Concatenate()([added, keras.layers.Attention(score_mode="concat")([h, added, h])]))
    scored = layers.Dot(axes=2)([h, added])
    yield ("adam_attention", keras.Model(embedded_tokens, layers.Dense(2)(layers.Concatenate()([pooled, layers.Flatten()(scored)]))),
           optimizers.Adam(0.01), "mse", [tokens], regression, 4)
    yield ("adamw_cosine_restarts", seq_model(layers.GRU(4), layers.Dense(2)),
           optimizers.AdamW(schedules.CosineDecayRestarts(0.02, first_decay_steps=2, t_mul=1.5, m_mul=0.8, alpha=0.05), weight_decay=0.1),
           "mse", [x], regression, 4)


# The metrics each case is compiled with (by name and as objects, as users write them); every
# case is also validated on its own training data, so the history holds val_ metrics too.
METRICS = {
    "sgd_mse": lambda: ["mae", "mse", keras.metrics.RootMeanSquaredError(), "mape"],
    "sgd_nesterov_mae": lambda: ["mse", keras.metrics.MeanSquaredLogarithmicError()],
    "adam_binary_crossentropy": lambda: ["accuracy", "binary_crossentropy", keras.metrics.AUC(),
                                         keras.metrics.Precision(), keras.metrics.Recall(thresholds=0.4)],
    "adamw_categorical_crossentropy": lambda: ["accuracy", "categorical_crossentropy",
                                               keras.metrics.TopKCategoricalAccuracy(k=2, name="top2")],
    "rmsprop_sparse_categorical": lambda: ["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2),
                                           "sparse_categorical_crossentropy"],
    "adam_clipnorm_embedding_mask": lambda: ["mae"],
    "adam_amsgrad_logits": lambda: ["accuracy", keras.metrics.BinaryAccuracy(threshold=0.2)],
    "adam_encoder_decoder": lambda: ["accuracy"],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(1234)
    manifest = []
    for index, (name, model, optimizer, loss, xs, ys, batch) in enumerate(cases(rng)):
        keras.utils.set_random_seed(index)
        weights = [(rng.standard_normal(w.shape) * 0.4).astype("float32") for w in model.get_weights()]
        # A BatchNormalization's moving variance must stay positive.
        weights = [np.abs(w) + 0.5 if "variance" in v.path else w for w, v in zip(weights, model.weights)]
        model.set_weights(weights)
        model.compile(optimizer=optimizer, loss=loss, metrics=METRICS.get(name, lambda: [])())
        model.save(os.path.join(OUT, name + ".keras"))
        for i, x in enumerate(xs):
            np.save(os.path.join(OUT, f"{name}.x{i}.npy"), x)
        for i, y in enumerate(ys):
            np.save(os.path.join(OUT, f"{name}.y{i}.npy"), y)
        inputs = xs if len(xs) > 1 else xs[0]
        # A stateful model's validation would run its state on; it trains without.
        validation = None if name == "sgd_stateful" else (inputs, ys[0])
        history = model.fit(inputs, ys[0], epochs=2, batch_size=batch, shuffle=False, verbose=0, validation_data=validation)
        after = model.get_weights()
        np.savez(os.path.join(OUT, name + ".after.npz"), **{f"w{i:02d}": w for i, w in enumerate(after)})
        change = max(float(np.max(np.abs(a - b))) for a, b in zip(after, weights))
        manifest.append({"name": name, "inputs": len(xs), "batch_size": batch, "epochs": 2,
                         "loss": [float(v) for v in history.history["loss"]], "largest_weight_change": change,
                         "validated": validation is not None,
                         "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}})
        print(f"{name}: loss {history.history['loss']}, largest weight change {change:.3f}")
    resumes = resume_cases(np.random.default_rng(99))
    callbacks = callback_cases(np.random.default_rng(7))
    weighted = weighted_cases(np.random.default_rng(8))
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump({"keras_version": keras.__version__, "cases": manifest, "resumes": resumes, "callbacks": callbacks,
                   "weighted": weighted}, fh, indent=1)
    check_swift_fit(manifest)


def resume_cases(rng):
    """Keras trains one epoch and saves (optimizer state included); the Swift test continues
    one epoch from that file and must reach Keras' weights after two. Then `gru fit`
    continues from the file, and Keras, reading gru fit's file, continues a third epoch."""
    x = rng.standard_normal((10, 5, 3)).astype("float32")
    y = rng.standard_normal((10, 2)).astype("float32")
    schedule = optimizers.schedules.ExponentialDecay(0.02, decay_steps=2, decay_rate=0.7)
    cases = [("resume_adam_amsgrad", optimizers.Adam(0.01, amsgrad=True)),
             ("resume_rmsprop_centered", optimizers.RMSprop(0.01, momentum=0.5, centered=True)),
             ("resume_sgd_momentum", optimizers.SGD(0.05, momentum=0.9)),
             ("resume_nadam", optimizers.Nadam(0.01)),
             ("resume_ftrl", optimizers.Ftrl(0.05, l1_regularization_strength=0.001)),
             ("resume_adam_schedule", optimizers.Adam(schedule))]
    entries = []
    for name, optimizer in cases:
        model = seq_model(layers.GRU(4), layers.Dense(2))
        model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype("float32") for w in model.get_weights()])
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        model.save(os.path.join(OUT, name + ".epoch1.keras"))
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        np.savez(os.path.join(OUT, name + ".epoch2.npz"), **{f"w{i:02d}": w for i, w in enumerate(model.get_weights())})
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        third = model.get_weights()
        np.save(os.path.join(OUT, name + ".x0.npy"), x)
        np.save(os.path.join(OUT, name + ".y0.npy"), y)
        entries.append({"name": name, "batch_size": 4})
        check_swift_resume(name, third, x, y)
    return entries


def callback_cases(rng):
    """Keras' callbacks changing a fit: early stopping (restoring the best weights, and on a
    validation quantity with min_delta), ReduceLROnPlateau with cooldown and a floor, and
    LearningRateScheduler with CSVLogger. The Swift test builds the same callbacks by case name."""
    x = rng.standard_normal((8, 5, 3)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    cases = [
        ("callbacks_early_stopping", optimizers.SGD(0.05), 6, False,
         lambda: [keras.callbacks.EarlyStopping(monitor="loss", mode="max", patience=2, restore_best_weights=True)]),
        ("callbacks_early_stopping_val", optimizers.Adam(0.01), 6, True,
         lambda: [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0.07, patience=1)]),
        ("callbacks_reduce_lr", optimizers.Adam(0.02), 6, False,
         lambda: [keras.callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1, cooldown=1, min_lr=0.004)]),
        ("callbacks_scheduler_csv", optimizers.SGD(0.1), 4, False,
         lambda: [keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.5),
                  keras.callbacks.CSVLogger(os.path.join(OUT, "callbacks_scheduler_csv.csv"))]),
    ]
    entries = []
    for name, optimizer, epochs, validated, callbacks in cases:
        model = seq_model(layers.GRU(4), layers.Dense(2))
        model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype("float32") for w in model.get_weights()])
        model.compile(optimizer=optimizer, loss="mse")
        model.save(os.path.join(OUT, name + ".keras"))
        history = model.fit(x, y, epochs=epochs, batch_size=4, shuffle=False, verbose=0, callbacks=callbacks(),
                            validation_data=(x, y) if validated else None)
        np.savez(os.path.join(OUT, name + ".after.npz"), **{f"w{i:02d}": w for i, w in enumerate(model.get_weights())})
        np.save(os.path.join(OUT, name + ".x0.npy"), x)
        np.save(os.path.join(OUT, name + ".y0.npy"), y)
        entries.append({"name": name, "epochs": epochs, "batch_size": 4, "validated": validated,
                        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}})
        print(f"{name}: {len(history.history['loss'])} epochs run, history keys {sorted(history.history)}")
    return entries


def weighted_cases(rng):
    """Keras fits with sample_weight (on masked tokens too) and class_weight, with metrics and
    weighted_metrics (a name in both is reported as weighted_<name>)."""
    x = rng.standard_normal((10, 5, 3)).astype("float32")
    tokens = rng.integers(1, 12, size=(10, 6)).astype("float32")
    for i in range(10):
        tokens[i, 6 - i % 4:] = 0
    cases = [
        ("sample_weight_mse", seq_model(layers.GRU(4), layers.Dense(2)), optimizers.Adam(0.01), "mse", (["mae"], ["mae", "mse"]), x,
         rng.standard_normal((10, 2)).astype("float32"), rng.uniform(0.2, 2.0, size=10).astype("float32"), None),
        ("sample_weight_masked", keras.Sequential([
            keras.Input((6,)), layers.Embedding(12, 4, mask_zero=True), layers.GRU(4), layers.Dense(2)]),
         optimizers.SGD(0.1), "mse", (["mae"], [keras.metrics.RootMeanSquaredError()]), tokens,
         rng.standard_normal((10, 2)).astype("float32"), rng.uniform(0.2, 2.0, size=10).astype("float32"), None),
        ("class_weight_sparse", seq_model(layers.GRU(4), layers.Dense(3, activation="softmax")), optimizers.RMSprop(0.01),
         "sparse_categorical_crossentropy", (["accuracy"], ["accuracy"]), x, rng.integers(0, 3, size=(10,)).astype("float32"), None,
         {0: 1.0, 1: 2.5, 2: 0.5}),
    ]
    entries = []
    for name, model, optimizer, loss, metrics, xs, ys, sample_weight, class_weight in cases:
        model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype("float32") for w in model.get_weights()])
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics[0], weighted_metrics=metrics[1])
        model.save(os.path.join(OUT, name + ".keras"))
        history = model.fit(xs, ys, epochs=2, batch_size=4, shuffle=False, verbose=0, sample_weight=sample_weight,
                            class_weight=class_weight)
        np.savez(os.path.join(OUT, name + ".after.npz"), **{f"w{i:02d}": w for i, w in enumerate(model.get_weights())})
        np.save(os.path.join(OUT, name + ".x0.npy"), xs)
        np.save(os.path.join(OUT, name + ".y0.npy"), ys)
        if sample_weight is not None:
            np.save(os.path.join(OUT, name + ".sample_weight.npy"), sample_weight)
        entries.append({"name": name, "batch_size": 4, "epochs": 2,
                        "class_weight": {str(k): v for k, v in (class_weight or {}).items()},
                        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}})
        print(f"{name}: history {history.history}")
    return entries


def check_swift_resume(name, expected_third, x, y):
    """gru fit continues Keras' epoch 1 for one epoch; Keras continues gru fit's file for a third."""
    if not os.path.exists(GRU_TOOL):
        return
    with tempfile.TemporaryDirectory() as tmp:
        second = os.path.join(tmp, "second.keras")
        subprocess.run([GRU_TOOL, "fit", os.path.join(OUT, name + ".epoch1.keras"), os.path.join(OUT, name + ".x0.npy"),
                        os.path.join(OUT, name + ".y0.npy"), "--epochs", "1", "--batch-size", "4", "--no-shuffle", "-o", second],
                       check=True, stdout=subprocess.DEVNULL)
        model = keras.models.load_model(second)
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        error = max(float(np.max(np.abs(a - b))) for a, b in zip(model.get_weights(), expected_third))
        if error > 2e-4:
            sys.exit(f"{name}: Keras continuing gru fit's file differs from Keras alone by {error}")
        print(f"{name}: Keras -> gru fit -> Keras continues as Keras alone ({error:.1e})")


def check_swift_fit(manifest):
    """`gru fit` on the saved files: Keras must load the result and predict what `gru predict` does."""
    if not os.path.exists(GRU_TOOL):
        print(f"skipping the gru fit check: build the Swift tool first ({GRU_TOOL} not found)")
        return
    for entry in manifest:
        if entry["inputs"] != 1:
            continue
        name = entry["name"]
        with tempfile.TemporaryDirectory() as tmp:
            trained = os.path.join(tmp, "trained.keras")
            x = os.path.join(OUT, name + ".x0.npy")
            subprocess.run([GRU_TOOL, "fit", os.path.join(OUT, name + ".keras"), x, os.path.join(OUT, name + ".y0.npy"),
                            "--epochs", "2", "--batch-size", str(entry["batch_size"]), "--no-shuffle", "-o", trained],
                           check=True, stdout=subprocess.DEVNULL)
            predicted = os.path.join(tmp, "p.npy")
            subprocess.run([GRU_TOOL, "predict", trained, x, "-o", predicted, "--batch-size", str(entry["batch_size"])],
                           check=True, stdout=subprocess.DEVNULL)
            model = keras.models.load_model(trained)
            ours = np.load(predicted)
            theirs = np.asarray(model.predict(np.load(x), batch_size=entry["batch_size"], verbose=0))
            error = float(np.max(np.abs(ours - theirs)))
            expected = np.load(os.path.join(OUT, name + ".after.npz"))
            weight_error = max(float(np.max(np.abs(a - expected[k]))) for a, k in zip(model.get_weights(), sorted(expected.files)))
            if not error <= 1e-5 or not weight_error <= 2e-4:
                sys.exit(f"{name}: gru fit result differs (prediction error {error}, weight error {weight_error})")
            print(f"{name}: gru fit -> Keras loads it; predictions agree ({error:.1e}), weights match Keras' fit ({weight_error:.1e})")


if __name__ == "__main__":
    main()
