import SwiftGRU

/// Everything the file and export paths know of one layer kind: its Keras class names, how
/// its configuration is read (every key read, declared inert, or refused by name) and written
/// back, where its weights sit in `model.weights.h5`, and its ONNX form. Each kind's
/// declaration lives in its own file in `Declarations/`; the decoder, the encoder, the weights
/// file and the ONNX exporter read only these, so adding a layer is its layer file, its
/// declaration (one line in ``LayerDeclarations/all``) and its tests. Whether a layer can run a
/// chunk of steps at a time is the layer's own `stepScope`.
struct LayerDeclaration: Sendable {
    typealias WeightGroups = [(path: String, weights: [Tensor<Float>])]

    /// The Keras class names read as this layer; the first is the one written.
    let classNames: [String]
    /// The Python module Keras writes with the class (`keras.layers`; `keras` for a Sequential model).
    let module: String
    /// The layer of a `config` object (`name` already read from it).
    let decode: @Sendable (_ config: KerasConfig, _ name: String, _ decoder: KerasConfigDecoder) throws -> any Layer<Float>
    /// Whether `layer` is this declaration's kind of layer.
    let matches: @Sendable (_ layer: any Layer<Float>) -> Bool
    /// The layer's configuration entries beyond the common ones (name, trainable, dtype),
    /// or `nil` when `layer` is not this declaration's kind of layer.
    let encode: @Sendable (_ layer: any Layer<Float>) throws -> [String: JSONValue]?
    /// Where Keras 3 keeps the layer's weights in `model.weights.h5`: the `vars` groups
    /// under the layer's group, each with its weights in `get_weights()` order.
    let weightGroups: @Sendable (_ layer: any Layer<Float>) -> WeightGroups
    /// Whether a call on several inputs passes them as separate arguments (`layer(query,
    /// value)`, as `MultiHeadAttention`) rather than as one list (`layer([a, b])`).
    let passesInputsSeparately: Bool
    /// Reads the call's non-tensor keyword arguments (`use_causal_mask`, ...) into the layer.
    let readCallArguments: @Sendable (_ layer: any Layer<Float>, _ kwargs: JSONValue?) throws -> Void
    /// The call's non-tensor keyword arguments to write for the layer.
    let callArguments: @Sendable (_ layer: any Layer<Float>) -> [String: JSONValue]
    /// Whether the configuration carries `trainable` (Keras' `SpatialDropout1D` refuses it).
    let writesTrainable: Bool
    /// Whether the configuration carries a dtype policy (a functional model's does not).
    let writesDType: Bool
    /// Configuration keys the decoder does not read because they do not change what the layer
    /// computes (`implementation`, a computation-order choice). Every other key the declaration does
    /// not read is refused by name.
    let inertKeys: Set<String>
    /// The layer's ONNX form, or `nil` where it has none (the exporter refuses it by name).
    let onnx: ONNXEmitter?
    /// The GRUs of the layer as one layer of PyTorch's `nn.GRU` (the forward one, and the
    /// backward one with the suffix `_reverse`); `nil` for the layers `nn.GRU` cannot hold.
    let nnGRU: (@Sendable (_ layer: any Layer<Float>) throws -> [(gru: GRU<Float>, suffix: String)])?

    init(
        classNames: [String],
        decode: @escaping @Sendable (_ config: KerasConfig, _ name: String, _ decoder: KerasConfigDecoder) throws -> any Layer<Float>,
        matches: @escaping @Sendable (_ layer: any Layer<Float>) -> Bool,
        encode: @escaping @Sendable (_ layer: any Layer<Float>) throws -> [String: JSONValue]?,
        weightGroups: @escaping @Sendable (_ layer: any Layer<Float>) -> WeightGroups = LayerDeclaration.ownWeights,
        passesInputsSeparately: Bool = false,
        readCallArguments: @escaping @Sendable (_ layer: any Layer<Float>, _ kwargs: JSONValue?) throws -> Void = { _, _ in },
        callArguments: @escaping @Sendable (_ layer: any Layer<Float>) -> [String: JSONValue] = { _ in [:] },
        writesTrainable: Bool = true,
        writesDType: Bool = true,
        inertKeys: Set<String> = [],
        onnx: ONNXEmitter? = nil,
        nnGRU: (@Sendable (_ layer: any Layer<Float>) throws -> [(gru: GRU<Float>, suffix: String)])? = nil,
        module: String = "keras.layers"
    ) {
        self.classNames = classNames
        self.module = module
        self.decode = decode
        self.matches = matches
        self.encode = encode
        self.weightGroups = weightGroups
        self.passesInputsSeparately = passesInputsSeparately
        self.readCallArguments = readCallArguments
        self.callArguments = callArguments
        self.writesTrainable = writesTrainable
        self.writesDType = writesDType
        self.inertKeys = inertKeys
        self.onnx = onnx
        self.nnGRU = nnGRU
    }

    /// A layer whose weights sit in its own `vars` group (Dense, Embedding), or none.
    @Sendable static func ownWeights(_ layer: any Layer<Float>) -> WeightGroups {
        layer.weights.isEmpty ? [] : [("vars", layer.weights)]
    }

    /// The groups of a layer inside a wrapper, under `prefix`.
    static func prefixed(_ prefix: String, _ groups: WeightGroups) -> WeightGroups {
        groups.map { (prefix + $0.path, $0.weights) }
    }
}

/// The declared layer kinds, by Keras class name.
enum LayerDeclarations {
    /// In the order layers are tried when writing: subclasses (`GRU`) before their
    /// superclasses (`RNN`).
    static let all: [LayerDeclaration] = [
        .gru, .lstm, .simpleRNN, .convLSTM(rank: 1), .convLSTM(rank: 2), .convLSTM(rank: 3), .rnn, .bidirectional, .embedding, .masking, .dense, .timeDistributed, .dropout, .activation, .add,
        .concatenate, .leakyReLU, .reLU, .batchNormalization,
        .convolution(rank: 1), .convolution(rank: 2), .convolution(rank: 3), .transposedConvolution(rank: 1), .transposedConvolution(rank: 2), .transposedConvolution(rank: 3),
        .depthwiseConv1D, .separableConv1D,
        .pooling(.max, rank: 1), .pooling(.average, rank: 1), .pooling(.max, rank: 2), .pooling(.average, rank: 2),
        .pooling(.max, rank: 3), .pooling(.average, rank: 3),
        .globalPooling(.max, rank: 1), .globalPooling(.average, rank: 1), .globalPooling(.max, rank: 2), .globalPooling(.average, rank: 2),
        .globalPooling(.max, rank: 3), .globalPooling(.average, rank: 3),
        .flatten, .reshape, .permute, .repeatVector, .zeroPadding1D, .cropping1D, .upSampling1D,
        .zeroPadding(rank: 2), .zeroPadding(rank: 3), .cropping(rank: 2), .cropping(rank: 3), .upSampling(rank: 2), .upSampling(rank: 3),
        .layerNormalization, .groupNormalization, .unitNormalization, .normalization, .rescaling, .pReLU, .elu, .softmax,
        .spatialDropout1D, .spatialDropout(rank: 2), .spatialDropout(rank: 3), .gaussianNoise, .gaussianDropout, .activityRegularization,
        .merge(.subtract), .merge(.multiply), .merge(.average), .merge(.maximum), .merge(.minimum), .dot,
        .additiveAttention, .attention, .multiHeadAttention, .nestedSequential, .nestedFunctional,
    ]

    static let byClassName: [String: LayerDeclaration] = {
        var table = [String: LayerDeclaration]()
        // Classes read but written as others (CuDNNGRU as GRU).
        for declaration in all + [.cuDNNGRU, .cuDNNLSTM] {
            for name in declaration.classNames { table[name] = declaration }
        }
        return table
    }()

    /// The declaration of `layer`'s kind, if any.
    static func declaration(for layer: any Layer<Float>) -> LayerDeclaration? {
        all.first { $0.matches(layer) }
    }

    /// The class names that can be read, for messages.
    static var readable: String { (["InputLayer"] + all.flatMap(\.classNames)).joined(separator: ", ") }
}
