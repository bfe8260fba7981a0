"""Every get_config() key of every Keras class the project reads, as Keras 3 writes it.

For each supported layer, cell and optimizer class this serializes one instance with Keras'
defaults and one with other values (regularizers, constraints, options), and writes them to
Tests/KerasFilesTests/Fixtures/config-keys.json (and a few that must be refused by name).
DeclaredKeysTests reads each one: a key that no
declaration reads, declares inert or refuses by name fails it; and it fails when a class the
project declares is missing here.

    pip install -r Scripts/requirements-fixtures.txt
    python Scripts/list-config-keys.py
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
from keras import constraints, layers, optimizers, regularizers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KerasFilesTests", "Fixtures", "config-keys.json")

L2 = regularizers.L2(0.05)
L1 = regularizers.L1(0.02)
MAX = constraints.MaxNorm(0.5)
NONNEG = constraints.NonNeg()
PENALTIES = dict(kernel_regularizer=L2, bias_regularizer=L1, activity_regularizer=L2, kernel_constraint=MAX, bias_constraint=NONNEG)
RECURRENT = dict(PENALTIES, recurrent_regularizer=L1, recurrent_constraint=constraints.UnitNorm(), dropout=0.1, recurrent_dropout=0.2,
                 seed=3)


def functional_block(trainable=True):
    inputs = keras.Input((4, 3))
    model = keras.Model(inputs, layers.Dense(2)(layers.GRU(3)(inputs)), name="functional_block")
    model.trainable = trainable
    return model


def layer_cases():
    """(class name, default instance, instance with other values)."""
    gru_cell = lambda **kw: layers.GRUCell(3, **kw)
    return [
        ("GRU", layers.GRU(3), layers.GRU(3, reset_after=False, return_sequences=True, return_state=True, go_backwards=True,
                                          stateful=True, unroll=True, activation="relu", recurrent_activation="hard_sigmoid",
                                          use_bias=False, use_cudnn=False, **{k: v for k, v in RECURRENT.items() if k != "bias_regularizer"
                                                                                and k != "bias_constraint"})),
        ("LSTM", layers.LSTM(3), layers.LSTM(3, unit_forget_bias=False, return_sequences=True, **RECURRENT)),
        ("SimpleRNN", layers.SimpleRNN(3), layers.SimpleRNN(3, zero_output_for_mask=True, return_sequences=True, **RECURRENT)),
        ("Sequential", keras.Sequential([keras.Input((4, 3)), layers.Dense(2)], name="inner"),
         keras.Sequential([keras.Input((4, 3)), layers.GRU(3, return_sequences=True), layers.BatchNormalization()], name="block")),
        ("Functional", functional_block(), functional_block(trainable=False)),
        ("ConvLSTM1D", layers.ConvLSTM1D(3, 2), layers.ConvLSTM1D(3, 3, strides=2, padding="same", data_format="channels_first",
                                                                 activation="relu", unit_forget_bias=False, return_sequences=True,
                                                                 return_state=True, go_backwards=True, stateful=True, **RECURRENT)),
        ("ConvLSTM2D", layers.ConvLSTM2D(3, 2), layers.ConvLSTM2D(3, (2, 3), dilation_rate=(2, 1), use_bias=False,
                                                                 recurrent_activation="hard_sigmoid", return_sequences=True)),
        ("ConvLSTM3D", layers.ConvLSTM3D(3, 2), layers.ConvLSTM3D(3, (1, 2, 3), strides=(1, 2, 2), padding="same")),
        ("RNN", layers.RNN(gru_cell()), layers.RNN(layers.StackedRNNCells([gru_cell(**RECURRENT_CELL), layers.LSTMCell(2), layers.SimpleRNNCell(2)]),
                                                   return_sequences=True, go_backwards=True)),
        ("Bidirectional", layers.Bidirectional(layers.GRU(3)), layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="sum")),
        ("Embedding", layers.Embedding(7, 3), layers.Embedding(7, 3, mask_zero=True, embeddings_regularizer=L2, activity_regularizer=L1,
                                                               embeddings_constraint=MAX)),
        ("Masking", layers.Masking(), layers.Masking(mask_value=-1.0)),
        ("Dense", layers.Dense(3), layers.Dense(3, activation="tanh", use_bias=False, **PENALTIES)),
        ("TimeDistributed", layers.TimeDistributed(layers.Dense(3)), layers.TimeDistributed(layers.Dense(3, **PENALTIES))),
        ("Dropout", layers.Dropout(0.2), layers.Dropout(0.2, noise_shape=(None, 1, 3), seed=4)),
        ("Activation", layers.Activation("relu"), layers.Activation("softsign")),
        ("Add", layers.Add(), layers.Add()),
        ("Concatenate", layers.Concatenate(), layers.Concatenate(axis=1)),
        ("LeakyReLU", layers.LeakyReLU(), layers.LeakyReLU(negative_slope=0.1)),
        ("ReLU", layers.ReLU(), layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5)),
        ("BatchNormalization", layers.BatchNormalization(),
         layers.BatchNormalization(axis=1, momentum=0.9, epsilon=0.01, center=False, scale=False, gamma_regularizer=L2,
                                   beta_regularizer=L1, gamma_constraint=MAX, beta_constraint=NONNEG)),
        ("Conv1D", layers.Conv1D(3, 2), layers.Conv1D(4, 3, strides=2, padding="causal", dilation_rate=1, groups=2, activation="relu",
                                                      **PENALTIES)),
        ("Conv2D", layers.Conv2D(3, 2), layers.Conv2D(3, (2, 3), padding="same", use_bias=False, **PENALTIES)),
        ("ZeroPadding2D", layers.ZeroPadding2D(), layers.ZeroPadding2D(((1, 0), (2, 3)), data_format="channels_first")),
        ("ZeroPadding3D", layers.ZeroPadding3D(), layers.ZeroPadding3D((1, 2, 0))),
        ("Cropping2D", layers.Cropping2D(), layers.Cropping2D(((1, 0), (2, 3)), data_format="channels_first")),
        ("Cropping3D", layers.Cropping3D(), layers.Cropping3D((1, 2, 0))),
        ("UpSampling2D", layers.UpSampling2D(), layers.UpSampling2D((3, 1), data_format="channels_first")),
        ("UpSampling3D", layers.UpSampling3D(), layers.UpSampling3D((1, 2, 3))),
        ("Conv1DTranspose", layers.Conv1DTranspose(3, 2), layers.Conv1DTranspose(4, 3, strides=2, padding="same", output_padding=1,
                                                                          activation="relu", **PENALTIES)),
        ("Conv2DTranspose", layers.Conv2DTranspose(3, 2), layers.Conv2DTranspose(4, (2, 3), dilation_rate=(2, 1), use_bias=False,
                                                                          data_format="channels_first")),
        ("Conv3DTranspose", layers.Conv3DTranspose(3, 2), layers.Conv3DTranspose(4, (1, 2, 3), strides=(1, 2, 2), padding="same")),
        ("GroupNormalization", layers.GroupNormalization(),
         layers.GroupNormalization(groups=2, axis=1, epsilon=0.01, center=False, gamma_regularizer=L2, gamma_constraint=MAX)),
        ("Conv3D", layers.Conv3D(3, 2), layers.Conv3D(4, (1, 2, 3), strides=(1, 2, 1), padding="same", groups=2, data_format="channels_first",
                                                     activation="tanh", **PENALTIES)),
        ("DepthwiseConv1D", layers.DepthwiseConv1D(2), layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same",
                                                                              depthwise_regularizer=L2, bias_regularizer=L1,
                                                                              activity_regularizer=L2, depthwise_constraint=MAX,
                                                                              bias_constraint=NONNEG)),
        ("SeparableConv1D", layers.SeparableConv1D(3, 2), layers.SeparableConv1D(3, 2, depth_multiplier=2, depthwise_regularizer=L2,
                                                                                  pointwise_regularizer=L1, bias_regularizer=L2,
                                                                                  activity_regularizer=L1, depthwise_constraint=MAX,
                                                                                  pointwise_constraint=NONNEG, bias_constraint=MAX)),
        ("MaxPooling1D", layers.MaxPooling1D(2), layers.MaxPooling1D(3, strides=1, padding="same")),
        ("AveragePooling1D", layers.AveragePooling1D(2), layers.AveragePooling1D(3, strides=1, padding="same")),
        ("MaxPooling2D", layers.MaxPooling2D(2), layers.MaxPooling2D((2, 1), padding="same")),
        ("AveragePooling2D", layers.AveragePooling2D(2), layers.AveragePooling2D((2, 1), padding="same")),
        ("MaxPooling3D", layers.MaxPooling3D(2), layers.MaxPooling3D((2, 1, 2), strides=(1, 1, 2), padding="same")),
        ("AveragePooling3D", layers.AveragePooling3D(2), layers.AveragePooling3D((2, 1, 1), padding="same", data_format="channels_first")),
        ("GlobalMaxPooling1D", layers.GlobalMaxPooling1D(), layers.GlobalMaxPooling1D(keepdims=True)),
        ("GlobalAveragePooling1D", layers.GlobalAveragePooling1D(), layers.GlobalAveragePooling1D(keepdims=True)),
        ("GlobalMaxPooling2D", layers.GlobalMaxPooling2D(), layers.GlobalMaxPooling2D(keepdims=True)),
        ("GlobalAveragePooling2D", layers.GlobalAveragePooling2D(), layers.GlobalAveragePooling2D(keepdims=True)),
        ("GlobalMaxPooling3D", layers.GlobalMaxPooling3D(), layers.GlobalMaxPooling3D(keepdims=True)),
        ("GlobalAveragePooling3D", layers.GlobalAveragePooling3D(), layers.GlobalAveragePooling3D(data_format="channels_first")),
        ("Flatten", layers.Flatten(), layers.Flatten()),
        ("Reshape", layers.Reshape((3, 2)), layers.Reshape((-1, 2))),
        ("Permute", layers.Permute((2, 1)), layers.Permute((2, 1))),
        ("RepeatVector", layers.RepeatVector(2), layers.RepeatVector(4)),
        ("ZeroPadding1D", layers.ZeroPadding1D(), layers.ZeroPadding1D((1, 2))),
        ("Cropping1D", layers.Cropping1D(), layers.Cropping1D((0, 2))),
        ("UpSampling1D", layers.UpSampling1D(), layers.UpSampling1D(3)),
        ("LayerNormalization", layers.LayerNormalization(),
         layers.LayerNormalization(axis=[1, 2], epsilon=0.01, rms_scaling=True, gamma_regularizer=L2, beta_regularizer=L1,
                                   gamma_constraint=MAX, beta_constraint=NONNEG)),
        ("UnitNormalization", layers.UnitNormalization(), layers.UnitNormalization(axis=[1, 2])),
        ("Normalization", layers.Normalization(), layers.Normalization(axis=-1, mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 0.5], invert=True)),
        ("Rescaling", layers.Rescaling(0.5), layers.Rescaling([1.0, 0.5, 2.0], offset=-1.0)),
        ("PReLU", layers.PReLU(), layers.PReLU(shared_axes=[1], alpha_regularizer=L2, alpha_constraint=NONNEG)),
        ("ELU", layers.ELU(), layers.ELU(alpha=0.5)),
        ("Softmax", layers.Softmax(), layers.Softmax(axis=1)),
        ("SpatialDropout1D", layers.SpatialDropout1D(0.2), layers.SpatialDropout1D(0.3, seed=2)),
        ("SpatialDropout2D", layers.SpatialDropout2D(0.2), layers.SpatialDropout2D(0.3, data_format="channels_first", seed=2)),
        ("SpatialDropout3D", layers.SpatialDropout3D(0.2), layers.SpatialDropout3D(0.3, seed=2)),
        ("GaussianNoise", layers.GaussianNoise(0.1), layers.GaussianNoise(0.2, seed=2)),
        ("GaussianDropout", layers.GaussianDropout(0.1), layers.GaussianDropout(0.2, seed=2)),
        ("ActivityRegularization", layers.ActivityRegularization(), layers.ActivityRegularization(l1=0.1, l2=0.2)),
        ("Subtract", layers.Subtract(), layers.Subtract()),
        ("Multiply", layers.Multiply(), layers.Multiply()),
        ("Average", layers.Average(), layers.Average()),
        ("Maximum", layers.Maximum(), layers.Maximum()),
        ("Minimum", layers.Minimum(), layers.Minimum()),
        ("Dot", layers.Dot(axes=1), layers.Dot(axes=(2, 1), normalize=True)),
        ("AdditiveAttention", layers.AdditiveAttention(), layers.AdditiveAttention(use_scale=False, dropout=0.1)),
        ("Attention", layers.Attention(), layers.Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=2)),
        ("MultiHeadAttention", layers.MultiHeadAttention(2, 3),
         layers.MultiHeadAttention(2, 3, value_dim=2, dropout=0.1, use_bias=False, output_shape=4, seed=2, **PENALTIES)),
    ]


RECURRENT_CELL = {k: v for k, v in RECURRENT.items() if k != "activity_regularizer"}


def refused_cases():
    """Keras' base Layer takes an activity_regularizer on any layer; the layers that do not
    apply one here refuse it by name."""
    return [
        ("LayerNormalization", layers.LayerNormalization(activity_regularizer=L2)),
        ("Dropout", layers.Dropout(0.1, activity_regularizer=L1)),
        ("Flatten", layers.Flatten(activity_regularizer=L2)),
    ]


def optimizer_cases():
    return [
        ("SGD", optimizers.SGD(), optimizers.SGD(0.1, momentum=0.5, nesterov=True, clipnorm=1.0)),
        ("Adam", optimizers.Adam(), optimizers.Adam(0.01, beta_1=0.8, amsgrad=True, weight_decay=0.1, global_clipnorm=1.0)),
        ("AdamW", optimizers.AdamW(), optimizers.AdamW(0.01, weight_decay=0.1, clipvalue=0.5)),
        ("RMSprop", optimizers.RMSprop(), optimizers.RMSprop(0.01, rho=0.8, momentum=0.2, centered=True)),
        ("Adagrad", optimizers.Adagrad(), optimizers.Adagrad(0.01, initial_accumulator_value=0.2)),
        ("Nadam", optimizers.Nadam(), optimizers.Nadam(0.01, beta_2=0.99)),
        ("Adamax", optimizers.Adamax(), optimizers.Adamax(0.01, epsilon=1e-6)),
        ("Adadelta", optimizers.Adadelta(), optimizers.Adadelta(1.0, rho=0.9)),
        ("Lion", optimizers.Lion(), optimizers.Lion(0.001, beta_1=0.8)),
        ("Ftrl", optimizers.Ftrl(), optimizers.Ftrl(0.01, l1_regularization_strength=0.1, beta=0.2)),
    ]


def main():
    entries = []
    for name, default, other in layer_cases():
        for variant, layer in (("default", default), ("options", other)):
            entries.append({"kind": "layer", "class_name": name, "variant": variant,
                            "object": keras.saving.serialize_keras_object(layer)})
    for name, layer in refused_cases():
        entries.append({"kind": "refused layer", "class_name": name, "variant": "activity_regularizer",
                        "object": keras.saving.serialize_keras_object(layer)})
    for name, default, other in optimizer_cases():
        for variant, optimizer in (("default", default), ("options", other)):
            entries.append({"kind": "optimizer", "class_name": name, "variant": variant,
                            "object": keras.saving.serialize_keras_object(optimizer)})
    with open(OUT, "w") as fh:
        json.dump({"keras_version": keras.__version__, "entries": entries}, fh, indent=1, sort_keys=True)
    print(f"{len(entries)} configurations from Keras {keras.__version__}")


if __name__ == "__main__":
    main()
