#!/usr/bin/env python3
"""Generates fixtures for the layers real GRU models are built with, beyond the GRU itself:
the LSTM and SimpleRNN, convolutions and poolings (a CRNN, forecasters), shape layers,
normalizations and activations, regularization layers, merges and attention
(Tests/KerasFilesTests/Fixtures/layers): models saved by Keras 3 with random weights (and
random moving statistics), their inputs and Keras' predictions. Then the Swift tool
converts each model (`gru convert`) and Keras 3 must load that file and predict the same.

Usage: swift build && python3 Scripts/make-layer-fixtures.py [fixture names...]
Packages: Scripts/requirements-fixtures.txt
"""
import json, os, subprocess, sys, zlib
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import keras

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "KerasFilesTests", "Fixtures", "layers")
GRU_TOOL = os.environ.get("GRU_TOOL", os.path.join(ROOT, ".build", "debug", "gru"))


def activations_between_grus():
    """Stacked GRUs with LeakyReLU, BatchNormalization and a capped ReLU between them."""
    return keras.Sequential([
        keras.Input((6, 3)),
        keras.layers.GRU(5, return_sequences=True),
        keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.BatchNormalization(epsilon=0.01),
        keras.layers.GRU(4),
        keras.layers.ReLU(max_value=0.6, threshold=0.1, negative_slope=0.05),
        keras.layers.Dense(2),
    ], name="activations_between_grus")


def lstm_masked_bidirectional():
    """LSTMs as users stack them: embedded tokens with padding, a sequence LSTM, a
    Bidirectional LSTM, one read backwards, an RNN over an LSTMCell."""
    return keras.Sequential([
        keras.Input((7,)),
        keras.layers.Embedding(20, 4, mask_zero=True),
        keras.layers.LSTM(5, return_sequences=True),
        keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
        keras.layers.LSTM(4, return_sequences=True, go_backwards=True),
        keras.layers.RNN(keras.layers.LSTMCell(2, unit_forget_bias=False)),
        keras.layers.Dense(2),
    ], name="lstm_masked_bidirectional")


def simple_rnn_stack():
    """SimpleRNNs: relu and tanh, one read backwards, an RNN over a stack of cells."""
    return keras.Sequential([
        keras.Input((6, 3)),
        keras.layers.Masking(0.0),
        keras.layers.SimpleRNN(5, activation="relu", return_sequences=True),
        keras.layers.SimpleRNN(4, return_sequences=True, go_backwards=True),
        keras.layers.RNN([keras.layers.SimpleRNNCell(3), keras.layers.LSTMCell(2)]),
        keras.layers.Dense(2),
    ], name="simple_rnn_stack")


def crnn():
    """A CRNN as OCR and audio models build it: TimeDistributed(Conv2D, BatchNormalization,
    MaxPooling2D, Flatten) over frames, then a Bidirectional GRU."""
    return keras.Sequential([
        keras.Input((5, 8, 6, 2)),
        keras.layers.TimeDistributed(keras.layers.Conv2D(4, (3, 3), padding="same", activation="relu")),
        keras.layers.TimeDistributed(keras.layers.BatchNormalization()),
        keras.layers.TimeDistributed(keras.layers.MaxPooling2D((2, 2))),
        keras.layers.TimeDistributed(keras.layers.Flatten()),
        keras.layers.Bidirectional(keras.layers.GRU(6)),
        keras.layers.Dense(3, activation="softmax"),
    ], name="crnn")


def conv1d_forecaster():
    """A forecaster: causal dilated and strided Conv1D, max pooling, a GRU, global average pooling."""
    return keras.Sequential([
        keras.Input((20, 3)),
        keras.layers.Conv1D(8, 3, padding="causal", dilation_rate=2, activation="relu"),
        keras.layers.MaxPooling1D(2),
        keras.layers.Conv1D(6, 3, strides=2, padding="same"),
        keras.layers.GRU(5, return_sequences=True),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1),
    ], name="conv1d_forecaster")


def conv1d_variants():
    """Separable, depthwise and grouped convolutions, average pooling with same padding, padding,
    cropping, up-sampling, RepeatVector and Flatten around GRUs."""
    return keras.Sequential([
        keras.Input((16, 4)),
        keras.layers.SeparableConv1D(6, 3, depth_multiplier=2, padding="same", activation="tanh"),
        keras.layers.DepthwiseConv1D(3, depth_multiplier=2),
        keras.layers.AveragePooling1D(3, strides=2, padding="same"),
        keras.layers.ZeroPadding1D((1, 2)),
        keras.layers.Cropping1D((2, 1)),
        keras.layers.UpSampling1D(2),
        keras.layers.Conv1D(4, 2, groups=2),
        keras.layers.GRU(3),
        keras.layers.RepeatVector(4),
        keras.layers.GRU(2, return_sequences=True),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ], name="conv1d_variants")


def channels_first():
    """Channels-first convolution and pooling, Permute to steps, a GRU; a global max pooling and
    a Reshape on the way."""
    return keras.Sequential([
        keras.Input((4, 16)),
        keras.layers.Conv1D(6, 3, data_format="channels_first"),
        keras.layers.MaxPooling1D(2, data_format="channels_first"),
        keras.layers.Permute((2, 1)),
        keras.layers.GRU(4, return_sequences=True),
        keras.layers.Reshape((7, 2, 2)),
        keras.layers.Reshape((-1, 4)),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(2),
    ], name="channels_first")


def image_to_sequence():
    """Conv2D with strides and dilation, same-padded average pooling, rows read as a sequence."""
    return keras.Sequential([
        keras.Input((10, 12, 3)),
        keras.layers.Conv2D(4, (3, 3), strides=(2, 1), padding="same", activation="elu"),
        keras.layers.AveragePooling2D((2, 2), strides=(1, 1), padding="same"),
        keras.layers.Conv2D(5, (2, 3), dilation_rate=(2, 1)),
        keras.layers.Reshape((3, 50)),
        keras.layers.GRU(4),
        keras.layers.Dense(2),
    ], name="image_to_sequence")


def normalizations_and_noise():
    """LayerNormalization, PReLU, ELU, Softmax and the regularization layers (identities in
    prediction) between GRUs."""
    return keras.Sequential([
        keras.Input((7, 5)),
        keras.layers.LayerNormalization(),
        keras.layers.GRU(6, return_sequences=True),
        keras.layers.PReLU(shared_axes=[1]),
        keras.layers.ELU(0.7),
        keras.layers.LayerNormalization(axis=[1, 2], epsilon=0.01),
        keras.layers.Softmax(axis=1),
        keras.layers.GaussianNoise(0.3),
        keras.layers.GaussianDropout(0.2),
        keras.layers.SpatialDropout1D(0.3),
        keras.layers.ActivityRegularization(l1=0.01),
        keras.layers.GRU(3),
        keras.layers.Dense(2, activation="gelu"),
    ], name="normalizations_and_noise")


def group_normalization():
    """GroupNormalization between GRUs (two groups over features, instance-like over steps)."""
    return keras.Sequential([
        keras.Input((7, 6)),
        keras.layers.GroupNormalization(groups=2),
        keras.layers.GRU(4, return_sequences=True),
        keras.layers.GroupNormalization(groups=7, axis=1, epsilon=0.01),
        keras.layers.GRU(3),
        keras.layers.Dense(2),
    ], name="group_normalization")


def preprocessing_layers():
    """Normalization (adapted statistics as weights, and given ones inverted), Rescaling and
    UnitNormalization around GRUs."""
    return keras.Sequential([
        keras.Input((7, 5)),
        keras.layers.Normalization(),
        keras.layers.Rescaling(0.5, offset=0.1),
        keras.layers.GRU(6, return_sequences=True),
        keras.layers.UnitNormalization(),
        keras.layers.Normalization(mean=[0.1, -0.2, 0.3, 0.0, 0.5, -0.1], variance=[2.0, 0.5, 1.0, 3.0, 0.2, 1.5], invert=True),
        keras.layers.Rescaling([1.0, 2.0, 0.5, -1.0, 1.5, 0.25]),
        keras.layers.GRU(3),
        keras.layers.Dense(2),
    ], name="preprocessing_layers")


def operations_on_sequences():
    """Keras 3 operations on a GRU's sequence, as people write them in functional models: the
    last step, a mean and a max over steps, slices, element-wise functions and arithmetic with
    numbers and tensors."""
    from keras import ops
    inputs = keras.Input((7, 5))
    h = keras.layers.GRU(6, return_sequences=True)(inputs)
    last = h[:, -1]
    pooled = ops.mean(h, axis=1) + 0.5 * ops.max(h, axis=1) - ops.min(h, axis=[1])
    every_other = ops.sum(h[:, 1:6:2], axis=1, keepdims=True)[:, 0]
    backwards = ops.tanh(h[:, ::-1])[:, 0] * ops.sigmoid(h[..., 0])[:, :1]
    positive = ops.sqrt(ops.square(h[:, 2]) + 1.0) / 2.0 + ops.log(ops.exp(ops.abs(h[:, 3]) + 1.0)) - ops.negative(last)
    joined = keras.layers.Concatenate()([last, pooled, every_other, backwards, ops.divide(positive, 1.5 + ops.abs(last))])
    return keras.Model(inputs, keras.layers.Dense(2)(joined), name="operations_on_sequences")


def shape_operations():
    """Keras 3 shape operations on a GRU's sequence: expand_dims, squeeze, transpose, reshape
    and a cast to float32."""
    from keras import ops
    inputs = keras.Input((6, 4))
    h = keras.layers.GRU(5, return_sequences=True)(inputs)
    turned = ops.transpose(ops.expand_dims(h, -1), axes=(0, 2, 1, 3))
    flat = ops.reshape(ops.squeeze(turned, axis=-1), (-1, 30))
    summary = ops.cast(ops.squeeze(ops.expand_dims(h[:, -1], 1), axis=1), "float32")
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Concatenate()([flat, summary])), name="shape_operations")


def joins_and_choices():
    """Keras 3 operations that join and choose: concatenate and stack, where with comparisons,
    maximum and minimum, and casts to int32, uint8, bool, float16 and bfloat16 (of the inputs,
    whose float32 values both sides hold exactly)."""
    from keras import ops
    inputs = keras.Input((6, 4))
    h = keras.layers.GRU(5, return_sequences=True)(inputs)
    joined = ops.concatenate([h, inputs], axis=-1)
    stacked = ops.stack([h[:, -1], h[:, 0], ops.maximum(h[:, 2], 0.1)], axis=1)
    chosen = ops.where(h > 0, h, 0.1 * h) + ops.where(ops.less_equal(h, inputs[:, :, :1]), 1.0, ops.minimum(h, -0.2))
    flags = (ops.cast(ops.greater_equal(h[:, :, 1:], 0.1), "float32") + ops.cast(ops.not_equal(inputs, inputs[:, :1]), "float32")
             - ops.cast(ops.less(inputs, h[:, :, :4]), "float32") * ops.cast(ops.equal(inputs, inputs), "float32"))
    counts = (ops.cast(ops.cast(inputs * 4, "int32"), "float32") + ops.cast(ops.cast(ops.abs(inputs) * 60, "uint8"), "float32")
              + ops.cast(ops.cast(ops.maximum(inputs, 0), "bool"), "float32"))
    rounded = ops.cast(ops.cast(inputs * 100, "float16"), "float32") - ops.cast(ops.cast(inputs * 100, "bfloat16"), "float32")
    seq = ops.concatenate([joined, chosen, flags, counts * 0.1, rounded], axis=2)
    tail = keras.layers.GRU(4)(seq)
    out = keras.layers.Concatenate()([tail, keras.layers.Flatten()(stacked)])
    return keras.Model(inputs, keras.layers.Dense(2)(out), name="joins_and_choices")


def activity_convlstm():
    """The twin of a published human-activity classifier: four ConvLSTM2Ds with recurrent
    dropout, each followed by MaxPooling3D over the frames and a TimeDistributed Dropout (the
    last without it), flattened into a softmax."""
    model = keras.Sequential([keras.Input((3, 31, 31, 2))], name="activity_convlstm")
    for filters, last in ((4, False), (6, False), (5, False), (3, True)):
        model.add(keras.layers.ConvLSTM2D(filters, (3, 3), activation="tanh", recurrent_dropout=0.2, return_sequences=True))
        model.add(keras.layers.MaxPooling3D(pool_size=(1, 2, 2), padding="same"))
        if not last:
            model.add(keras.layers.TimeDistributed(keras.layers.Dropout(0.2)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(4, activation="softmax"))
    return model


def video_autoencoder():
    """The twin of a published video anomaly autoencoder: TimeDistributed strided Conv2Ds, a
    LayerNormalization after every stage, three ConvLSTM2Ds, TimeDistributed Conv2DTransposes
    back to the frame size and a sigmoid Conv2D."""
    td = keras.layers.TimeDistributed
    return keras.Sequential([
        keras.Input((4, 16, 16, 1)),
        td(keras.layers.Conv2D(6, (5, 5), strides=4, padding="same")), keras.layers.LayerNormalization(),
        td(keras.layers.Conv2D(4, (3, 3), strides=2, padding="same")), keras.layers.LayerNormalization(),
        keras.layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True), keras.layers.LayerNormalization(),
        keras.layers.ConvLSTM2D(3, (3, 3), padding="same", return_sequences=True), keras.layers.LayerNormalization(),
        keras.layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True), keras.layers.LayerNormalization(),
        td(keras.layers.Conv2DTranspose(4, (3, 3), strides=2, padding="same")), keras.layers.LayerNormalization(),
        td(keras.layers.Conv2DTranspose(6, (5, 5), strides=4, padding="same")), keras.layers.LayerNormalization(),
        td(keras.layers.Conv2D(1, (5, 5), activation="sigmoid", padding="same")),
    ], name="video_autoencoder")


def spatial_dropout_frames():
    """SpatialDropout2D inside TimeDistributed between per-frame convolutions, and a GRU over
    the pooled frames, as a published gesture model stacks them."""
    td = keras.layers.TimeDistributed
    return keras.Sequential([
        keras.Input((5, 8, 8, 2)),
        td(keras.layers.Conv2D(4, 3, activation="relu")), td(keras.layers.SpatialDropout2D(0.3)),
        td(keras.layers.MaxPooling2D()), td(keras.layers.GlobalAveragePooling2D()),
        keras.layers.GRU(3), keras.layers.Dense(2),
    ], name="spatial_dropout_frames")


def conv_lstm_frames():
    """ConvLSTM2D over frames: same padding returning sequences, then strides and a hard
    sigmoid going backwards; the frames flattened into a GRU."""
    return keras.Sequential([
        keras.Input((4, 6, 6, 2)),
        keras.layers.ConvLSTM2D(3, (3, 3), padding="same", return_sequences=True),
        keras.layers.BatchNormalization(),
        keras.layers.ConvLSTM2D(2, (2, 2), strides=(2, 2), return_sequences=True, go_backwards=True,
                                recurrent_activation="hard_sigmoid"),
        keras.layers.TimeDistributed(keras.layers.Flatten()),
        keras.layers.GRU(4),
        keras.layers.Dense(2),
    ], name="conv_lstm_frames")


def conv_lstm_1d_states():
    """ConvLSTM1D with dilation, relu, no bias and its final states; a Bidirectional
    ConvLSTM1D with strides over its sequence."""
    inputs = keras.Input((5, 9, 3))
    sequence, h, c = keras.layers.ConvLSTM1D(4, 3, dilation_rate=2, padding="same", activation="relu", use_bias=False,
                                             return_sequences=True, return_state=True)(inputs)
    both = keras.layers.Bidirectional(keras.layers.ConvLSTM1D(2, 2, strides=2))(sequence)
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(both), keras.layers.Flatten()(h),
                                         keras.layers.GlobalAveragePooling1D()(c)])
    return keras.Model(inputs, keras.layers.Dense(2)(joined), name="conv_lstm_1d_states")


def volumes():
    """ConvLSTM3D over volumes, Conv3D with strides and dilation, 3D max and average pooling,
    global 3D poolings, the depth read as steps by a GRU."""
    inputs = keras.Input((3, 4, 4, 4, 1))
    v = keras.layers.ConvLSTM3D(2, (2, 2, 2), padding="same")(inputs)
    a = keras.layers.Conv3D(3, (2, 3, 3), strides=(1, 2, 1), padding="same", activation="relu")(v)
    b = keras.layers.MaxPooling3D((1, 2, 2), padding="same")(a)
    c = keras.layers.AveragePooling3D(2, strides=1, padding="same")(b)
    d = keras.layers.Conv3D(4, (2, 1, 2), dilation_rate=(2, 1, 1))(v)
    steps = keras.layers.GRU(3)(keras.layers.Reshape((4, -1))(c))
    joined = keras.layers.Concatenate()([steps, keras.layers.GlobalMaxPooling3D()(d),
                                         keras.layers.Flatten()(keras.layers.GlobalAveragePooling3D(keepdims=True)(c))])
    return keras.Model(inputs, keras.layers.Dense(2)(joined), name="volumes")


def nested_models():
    """Models as layers: a Sequential frame encoder in TimeDistributed (Conv2D, MaxPooling2D,
    Dropout, Flatten), a functional block (GRU, Dense) and a Sequential head with
    BatchNormalization, each called as a layer."""
    frame = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 2, activation="relu"), keras.layers.MaxPooling2D(),
                              keras.layers.Dropout(0.2), keras.layers.Flatten()], name="frame")
    steps = keras.Input((4, 12))
    block = keras.Model(steps, keras.layers.Dense(3)(keras.layers.GRU(5, return_sequences=True)(steps)), name="block")
    head = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization(), keras.layers.Dense(2)],
                            name="head")
    inputs = keras.Input((4, 6, 6, 2))
    h = keras.layers.GRU(3)(block(keras.layers.TimeDistributed(frame)(inputs)))
    return keras.Model(inputs, head(h), name="nested_models")


def padded_frames():
    """ZeroPadding2D, Cropping2D and UpSampling2D on each frame (TimeDistributed) before a GRU;
    ZeroPadding3D, Cropping3D and UpSampling3D on the frames read as a volume."""
    inputs = keras.Input((4, 6, 5, 2))
    f = keras.layers.TimeDistributed(keras.layers.ZeroPadding2D(((1, 0), (2, 1))))(inputs)
    f = keras.layers.TimeDistributed(keras.layers.Cropping2D(((0, 2), (1, 1))))(f)
    f = keras.layers.TimeDistributed(keras.layers.UpSampling2D((2, 1)))(f)
    steps = keras.layers.GRU(3)(keras.layers.TimeDistributed(keras.layers.Flatten())(f))
    v = keras.layers.ZeroPadding3D(1)(inputs)
    v = keras.layers.Cropping3D(((1, 0), (0, 2), (1, 1)))(v)
    v = keras.layers.UpSampling3D((1, 2, 1))(v)
    v = keras.layers.GlobalMaxPooling3D()(keras.layers.Conv3D(3, 2)(v))
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Concatenate()([steps, v])), name="padded_frames")


def deconvolutions():
    """Conv2DTranspose on each frame (same with strides, valid with output_padding; TensorFlow
    has no dilated transposed convolution on CPUs, so the tests check that by differences),
    Conv1DTranspose on the sequence of pooled frames before a GRU, Conv3DTranspose on the frames
    read as a volume."""
    inputs = keras.Input((4, 5, 5, 2))
    f = keras.layers.TimeDistributed(keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"))(inputs)
    f = keras.layers.TimeDistributed(keras.layers.Conv2DTranspose(2, (2, 3), strides=(1, 2), output_padding=(0, 1)))(f)
    f = keras.layers.TimeDistributed(keras.layers.Conv2DTranspose(2, 3, padding="same"))(f)
    s = keras.layers.Conv1DTranspose(3, 3, strides=2)(keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D())(f))
    v = keras.layers.Conv3DTranspose(2, (2, 2, 2), strides=(1, 2, 2), padding="same")(inputs)
    joined = keras.layers.Concatenate()([keras.layers.GRU(3)(s), keras.layers.GlobalMaxPooling3D()(v)])
    return keras.Model(inputs, keras.layers.Dense(2)(joined), name="deconvolutions")


def masked_merges():
    """Padded tokens through two GRUs merged by Subtract, Multiply, Average, Maximum and
    Minimum, a masked global average, and a Dot of the sequences."""
    tokens = keras.Input((9,), name="tokens")
    embedded = keras.layers.Embedding(30, 6, mask_zero=True)(tokens)
    a = keras.layers.GRU(5, return_sequences=True)(embedded)
    b = keras.layers.GRU(5, return_sequences=True, go_backwards=True)(embedded)
    merged = keras.layers.Concatenate()([
        keras.layers.Subtract()([a, b]), keras.layers.Multiply()([a, b]), keras.layers.Average()([a, b, a]),
        keras.layers.Maximum()([a, b]), keras.layers.Minimum()([a, b])])
    pooled = keras.layers.GlobalAveragePooling1D()(merged)
    similarity = keras.layers.Flatten()(keras.layers.Dot(axes=2, normalize=True)([a, b]))
    outer = keras.layers.Dot(axes=(1, 1))([a, b])
    out = keras.layers.Dense(2)(keras.layers.Concatenate()([pooled, similarity, keras.layers.Flatten()(outer)]))
    return keras.Model(tokens, out, name="masked_merges")


def attention_layers():
    """Attention (dot with scale, concat, causal), AdditiveAttention and MultiHeadAttention
    (with value and output sizes of its own, causal) over GRU sequences, self-attention and
    cross-attention, then a GRU."""
    x = keras.Input((9, 5), name="sequence")
    h = keras.layers.GRU(6, return_sequences=True)(x)
    g = keras.layers.GRU(6, return_sequences=True, go_backwards=True)(x)
    dot = keras.layers.Attention(use_scale=True)([h, g])
    concat = keras.layers.Attention(score_mode="concat")([h, g, h])
    causal = keras.layers.Attention()([h, h], use_causal_mask=True)
    additive = keras.layers.AdditiveAttention()([h, g])
    mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)(h, g)
    mha_causal = keras.layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=5)(h, h, use_causal_mask=True)
    merged = keras.layers.Concatenate()([h, dot, concat, causal, additive, mha, mha_causal])
    out = keras.layers.Dense(2)(keras.layers.GRU(4)(merged))
    return keras.Model(x, out, name="attention_layers")


def masked_attention():
    """Attention layers on padded tokens, one after the other: masked self-attention
    (MultiHeadAttention), causal dot attention with a scale, additive attention, a GRU."""
    tokens = keras.Input((9,), name="tokens")
    h = keras.layers.GRU(6, return_sequences=True)(keras.layers.Embedding(30, 6, mask_zero=True)(tokens))
    a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)(h, h)
    b = keras.layers.Attention(use_scale=True)([a, a], use_causal_mask=True)
    c = keras.layers.AdditiveAttention()([b, b])
    out = keras.layers.Dense(2)(keras.layers.GRU(4)(c))
    return keras.Model(tokens, out, name="masked_attention")


def padded_tokens(rng):
    x = rng.integers(1, 30, size=(4, 9)).astype("float32")
    x[1, 6:] = 0
    x[2, 3:] = 0
    return x


def padded_sequences(rng):
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    x[1, 4:] = 0
    x[2, 1:] = 0
    return x


def tokens(rng):
    x = rng.integers(1, 20, size=(4, 7)).astype("float32")
    x[1, 4:] = 0  # right padding
    x[3, 2:] = 0
    return x


def policies(rng):
    """Layers with 16-bit policies (mixed_float16, float16 weights, mixed_bfloat16): Keras'
    prediction in 16 bits, and the same weights in a float32 model, which Swift computes."""
    def build(dtypes):
        return keras.Sequential([
            keras.Input((6, 3)),
            keras.layers.GRU(5, return_sequences=True, dtype=dtypes[0]),
            keras.layers.LayerNormalization(dtype=dtypes[1]),
            keras.layers.GRU(4, dtype=dtypes[2]),
            keras.layers.Dense(2, dtype="float32"),
        ], name="policies")
    model = build(["mixed_float16", "float16", "mixed_bfloat16"])
    for w in model.weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype))
    reference = build(["float32"] * 3)
    reference.set_weights([np.asarray(w, "float32") for w in model.get_weights()])
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    model.save(os.path.join(OUT, "policies.keras"))
    np.save(os.path.join(OUT, "policies.input.npy"), x)
    np.save(os.path.join(OUT, "policies.expected.npy"), np.asarray(model.predict(x, verbose=0), "float32"))
    np.save(os.path.join(OUT, "policies.expected_float32.npy"), reference.predict(x, verbose=0))


def all_layers(model):
    for layer in model.layers:
        yield layer
        for attribute in ("layer", "forward_layer", "backward_layer"):
            if hasattr(layer, attribute):
                inner = getattr(layer, attribute)
                yield inner
                if isinstance(inner, keras.Model):
                    yield from all_layers(inner)
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)


def normal(*shape):
    return lambda rng: rng.standard_normal((4,) + shape).astype("float32")


FIXTURES = [
    (activations_between_grus, None), (lstm_masked_bidirectional, tokens), (simple_rnn_stack, padded_sequences),
    (crnn, normal(5, 8, 6, 2)), (conv1d_forecaster, normal(20, 3)), (conv1d_variants, normal(16, 4)),
    (channels_first, normal(4, 16)), (image_to_sequence, normal(10, 12, 3)), (normalizations_and_noise, normal(7, 5)),
    (masked_merges, padded_tokens), (attention_layers, normal(9, 5)), (masked_attention, padded_tokens),
    (preprocessing_layers, normal(7, 5)), (operations_on_sequences, normal(7, 5)), (shape_operations, normal(6, 4)),
    (joins_and_choices, normal(6, 4)),
    (conv_lstm_frames, normal(4, 6, 6, 2)), (conv_lstm_1d_states, normal(5, 9, 3)), (volumes, normal(3, 4, 4, 4, 1)),
    (nested_models, normal(4, 6, 6, 2)), (padded_frames, normal(4, 6, 5, 2)),
    (deconvolutions, normal(4, 5, 5, 2)), (group_normalization, normal(7, 6)),
    (activity_convlstm, normal(3, 31, 31, 2)), (video_autoencoder, normal(4, 16, 16, 1)),
    (spatial_dropout_frames, normal(5, 8, 8, 2)),
]


def main(names):
    """Writes the fixtures named (all when none are), each from a generator seeded by its
    name, and their entries in the manifest. channels_first needs a backend that runs
    channels-first convolutions (TensorFlow on a CPU does not)."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "manifest.json")
    entries = {}
    if os.path.exists(path):
        with open(path) as f:
            entries = {m["name"]: m for m in json.load(f)["models"]}
    def save(build, inputs):
        model = build()
        name = model.name
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        for w in model.weights:
            if "int" in str(w.dtype):
                continue
            low = 0.5 if "variance" in w.path else -0.5
            w.assign(rng.uniform(low, low + 1.0, w.shape).astype("float32"))
        # An adapted Normalization computes with the statistics its finalize_state read.
        for layer in model.layers:
            if isinstance(layer, keras.layers.Normalization):
                layer.finalize_state()
        x = inputs(rng) if inputs else rng.standard_normal((4, 6, 3)).astype("float32")
        expected = model.predict(x, verbose=0)
        model.save(os.path.join(OUT, f"{name}.keras"))
        np.save(os.path.join(OUT, f"{name}.input.npy"), x)
        np.save(os.path.join(OUT, f"{name}.expected.npy"), expected)
        swift = os.path.join(OUT, f"{name}.swift.keras")
        subprocess.run([GRU_TOOL, "convert", os.path.join(OUT, f"{name}.keras"), swift], check=True)
        error = float(np.max(np.abs(keras.models.load_model(swift).predict(x, verbose=0) - expected)))
        assert error < 1e-5, f"{name}: Keras reads Swift's file with error {error}"
        entries[name] = {"name": name, "classes": sorted({type(l).__name__ for l in all_layers(model)}),
                         "round_trip_error": error, "keras_version": keras.__version__}
    for build, inputs in FIXTURES:
        if not names or build.__name__ in names:
            save(build, inputs)
    if not names or "policies" in names:
        policies(np.random.default_rng(21))
    with open(path, "w") as f:
        json.dump({"models": [entries[b.__name__] for b, _ in FIXTURES if b.__name__ in entries]}, f, indent=1)


if __name__ == "__main__":
    main(set(sys.argv[1:]))
