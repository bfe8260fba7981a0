import Testing

@testable import SwiftGRU

/// Checks `analytic` against central differences of `loss` around `point`, entry by entry.
func expectCentralDifferences(
    of loss: (Tensor<Double>) throws -> Double, at point: Tensor<Double>, match analytic: Tensor<Double>, _ label: String
) throws {
    let h = 1e-6
    for i in 0..<point.scalarCount {
        var plus = point.scalars, minus = point.scalars
        plus[i] += h
        minus[i] -= h
        let numeric = (try loss(Tensor(shape: point.shape, scalars: plus)) - loss(Tensor(shape: point.shape, scalars: minus))) / (2 * h)
        #expect(abs(numeric - analytic.scalars[i]) <= 1e-6 * max(1, abs(numeric)), "\(label)[\(i)]: \(analytic.scalars[i]) vs \(numeric)")
    }
}

/// `loss` as a function of weight `k` of `layer` (the other weights as they are).
func lossOfWeight(_ layer: any Layer<Double>, _ k: Int, _ loss: @escaping () throws -> Double) -> (Tensor<Double>) throws -> Double {
    let weights = layer.weights
    return { weight in
        var changed = weights
        changed[k] = weight
        try layer.setWeights(changed)
        defer { try? layer.setWeights(weights) }
        return try loss()
    }
}

/// The backward passes of the layers around a GRU against central finite differences in
/// Double: for `L = sum(r * layer(x))` with random `r`, the input and weight gradients.
@Suite("Layer gradients")
struct LayerGradientTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let inputShape: [Int]
        let mask: [Bool]?
        let make: @Sendable () throws -> any Layer<Double>
    }

    static let cases: [Case] = [
        Case(description: "Conv1D causal dilated tanh", inputShape: [2, 7, 3], mask: nil) {
            try Conv1D<Double>(filters: 4, kernelSize: 3, padding: .causal, dilationRate: 2, activation: .tanh)
        },
        Case(description: "Conv1D grouped strided same", inputShape: [2, 8, 4], mask: nil) {
            try Conv1D<Double>(filters: 6, kernelSize: 3, strides: 2, padding: .same, groups: 2)
        },
        Case(description: "Conv1D channels first", inputShape: [2, 3, 6], mask: nil) {
            try Conv1D<Double>(filters: 2, kernelSize: 2, dataFormat: .channelsFirst, activation: .sigmoid)
        },
        Case(description: "Conv2D same strides", inputShape: [2, 5, 4, 2], mask: nil) {
            try Conv2D<Double>(filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: .same, activation: .tanh)
        },
        Case(description: "DepthwiseConv1D", inputShape: [2, 6, 3], mask: nil) {
            try DepthwiseConv1D<Double>(kernelSize: 3, padding: .same, depthMultiplier: 2, activation: .tanh)
        },
        Case(description: "SeparableConv1D", inputShape: [2, 6, 3], mask: nil) {
            try SeparableConv1D<Double>(filters: 4, kernelSize: 2, depthMultiplier: 2)
        },
        Case(description: "MaxPooling1D", inputShape: [2, 7, 3], mask: nil) { try MaxPooling1D<Double>(poolSize: 3, strides: 2, padding: .same) },
        Case(description: "AveragePooling2D same", inputShape: [2, 5, 5, 2], mask: nil) {
            try AveragePooling2D<Double>(poolSize: [2, 3], strides: [2, 2], padding: .same)
        },
        Case(description: "MaxPooling2D channels first", inputShape: [1, 2, 4, 4], mask: nil) {
            try MaxPooling2D<Double>(dataFormat: .channelsFirst)
        },
        Case(description: "GlobalAveragePooling1D masked", inputShape: [2, 5, 3], mask: [true, true, false, true, false, true, false, false, false, false]) {
            GlobalAveragePooling1D<Double>()
        },
        Case(description: "GlobalMaxPooling2D keepdims", inputShape: [2, 3, 3, 2], mask: nil) { GlobalMaxPooling2D<Double>(keepdims: true) },
        Case(description: "Flatten channels first", inputShape: [2, 3, 2, 2], mask: nil) { Flatten<Double>(dataFormat: .channelsFirst) },
        Case(description: "Reshape", inputShape: [2, 4, 3], mask: nil) { try Reshape<Double>(targetShape: [2, -1]) },
        Case(description: "Permute", inputShape: [2, 4, 3], mask: nil) { try Permute<Double>(dims: [2, 1]) },
        Case(description: "RepeatVector", inputShape: [2, 3], mask: nil) { try RepeatVector<Double>(n: 3) },
        Case(description: "ZeroPadding1D channels first", inputShape: [2, 3, 4], mask: nil) {
            try ZeroPadding1D<Double>(padding: (1, 2), dataFormat: .channelsFirst)
        },
        Case(description: "Cropping1D", inputShape: [2, 6, 2], mask: nil) { try Cropping1D<Double>(cropping: (2, 1)) },
        Case(description: "UpSampling1D", inputShape: [2, 3, 2], mask: nil) { try UpSampling1D<Double>(size: 3) },
        Case(description: "LayerNormalization two axes", inputShape: [2, 3, 4], mask: nil) { try LayerNormalization<Double>(axis: [1, 2]) },
        Case(description: "LayerNormalization rms", inputShape: [3, 5], mask: nil) { try LayerNormalization<Double>(rmsScaling: true) },
        Case(description: "PReLU shared axis", inputShape: [2, 4, 3], mask: nil) {
            let layer = PReLU<Double>(alphaInitializer: .randomUniform(minval: 0.1, maxval: 0.5, seed: 3), sharedAxes: [1])
            return layer
        },
        Case(description: "ELU", inputShape: [2, 5], mask: nil) { ELU<Double>(alpha: 0.7) },
        Case(description: "UnitNormalization two axes", inputShape: [2, 3, 4], mask: nil) { UnitNormalization<Double>(axis: [1, 2]) },
        Case(description: "Normalization given, inverted", inputShape: [2, 3, 4], mask: nil) {
            try Normalization<Double>(mean: [0.1, -0.2, 0.3, 0], variance: [2, 0.5, 1, 3], invert: true)
        },
        Case(description: "mean over steps, kept", inputShape: [2, 3, 4], mask: nil) { try Reduction<Double>(.mean, axes: [1], keepdims: true) },
        Case(description: "max over two axes", inputShape: [2, 3, 4], mask: nil) { try Reduction<Double>(.max, axes: [1, -1]) },
        Case(description: "sum", inputShape: [2, 3, 4], mask: nil) { try Reduction<Double>(.sum, axes: [2]) },
        Case(description: "tanh", inputShape: [2, 3], mask: nil) { ElementwiseFunction<Double>(.tanh) },
        Case(description: "sigmoid", inputShape: [2, 3], mask: nil) { ElementwiseFunction<Double>(.sigmoid) },
        Case(description: "exp", inputShape: [2, 3], mask: nil) { ElementwiseFunction<Double>(.exp) },
        Case(description: "square", inputShape: [2, 3], mask: nil) { ElementwiseFunction<Double>(.square) },
        Case(description: "negative", inputShape: [2, 3], mask: nil) { ElementwiseFunction<Double>(.negative) },
        Case(description: "x[:, -1]", inputShape: [2, 4, 3], mask: nil) { try GetItem<Double>([.all, .index(-1)]) },
        Case(description: "x[:, 3:0:-2, ...]", inputShape: [2, 4, 3], mask: nil) { try GetItem<Double>([.all, .slice(start: 3, stop: 0, step: -2), .ellipsis]) },
        Case(description: "x[..., 1]", inputShape: [2, 4, 3], mask: nil) { try GetItem<Double>([.ellipsis, .index(1)]) },
        Case(description: "expand_dims, then transpose", inputShape: [2, 3, 4], mask: nil) { ShapeOperation<Double>(.transpose(axes: [0, 2, 1])) },
        Case(description: "reshape", inputShape: [2, 3, 4], mask: nil) { ShapeOperation<Double>(.reshape(shape: [-1, 2, 6])) },
        Case(description: "expand_dims", inputShape: [2, 3], mask: nil) { ShapeOperation<Double>(.expandDims(axis: -1)) },
        Case(description: "2 / x", inputShape: [2, 3], mask: nil) { try Arithmetic<Double>(.divide, .constant(2), .tensor) },
        Case(description: "x - 0.5", inputShape: [2, 3], mask: nil) { try Arithmetic<Double>(.subtract, .tensor, .constant(0.5)) },
        Case(description: "Rescaling per feature", inputShape: [2, 3, 4], mask: nil) { try Rescaling<Double>(scale: [1, 2, 0.5, -1], offset: [0.1]) },
        Case(description: "Softmax masked, axis 1", inputShape: [2, 4, 3], mask: nil) { Softmax<Double>(axis: [1]) },
        Case(description: "Conv3D same strides", inputShape: [2, 3, 4, 3, 2], mask: nil) {
            try Conv3D<Double>(filters: 3, kernelSize: [2, 3, 2], strides: [1, 2, 1], padding: .same, activation: .tanh)
        },
        Case(description: "MaxPooling3D same", inputShape: [1, 3, 4, 3, 2], mask: nil) { try MaxPooling3D<Double>(poolSize: [2, 2, 2], strides: [1, 2, 1], padding: .same) },
        Case(description: "AveragePooling3D channels first", inputShape: [2, 2, 2, 4, 4], mask: nil) {
            try AveragePooling3D<Double>(poolSize: [2, 2, 2], dataFormat: .channelsFirst)
        },
        Case(description: "GlobalAveragePooling3D", inputShape: [2, 2, 3, 2, 2], mask: nil) { GlobalAveragePooling3D<Double>() },
        Case(description: "ConvLSTM2D same, sequences, masked", inputShape: [2, 3, 4, 3, 2], mask: [true, true, false, true, false, true]) {
            try ConvLSTM2D<Double>(filters: 2, kernelSize: [3, 2], padding: .same, returnSequences: true)
        },
        Case(description: "ConvLSTM1D strided, backwards, channels first", inputShape: [2, 3, 2, 5], mask: nil) {
            try ConvLSTM1D<Double>(filters: 3, kernelSize: 2, strides: 2, dataFormat: .channelsFirst, goBackwards: true)
        },
        Case(description: "ConvLSTM3D dilated, no bias", inputShape: [1, 2, 3, 3, 2, 1], mask: nil) {
            try ConvLSTM3D<Double>(filters: 2, kernelSize: [2, 2, 1], padding: .same, dilationRate: [1, 2, 1], useBias: false)
        },
        Case(description: "ZeroPadding2D channels first", inputShape: [2, 2, 3, 2], mask: nil) {
            try ZeroPadding2D<Double>(padding: [(1, 0), (2, 1)], dataFormat: .channelsFirst)
        },
        Case(description: "Cropping3D", inputShape: [2, 3, 4, 3, 2], mask: nil) { try Cropping3D<Double>(cropping: [(1, 0), (0, 2), (1, 1)]) },
        Case(description: "UpSampling2D", inputShape: [2, 2, 3, 2], mask: nil) { try UpSampling2D<Double>(size: [2, 3]) },
        Case(description: "Conv2DTranspose same strides", inputShape: [2, 3, 2, 2], mask: nil) {
            try Conv2DTranspose<Double>(filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: .same, activation: .tanh)
        },
        Case(description: "Conv1DTranspose dilated, channels first", inputShape: [2, 2, 4], mask: nil) {
            try Conv1DTranspose<Double>(filters: 2, kernelSize: 2, dataFormat: .channelsFirst, dilationRate: 2)
        },
        Case(description: "Conv3DTranspose output padding", inputShape: [1, 2, 2, 2, 2], mask: nil) {
            try Conv3DTranspose<Double>(filters: 2, kernelSize: [2, 2, 1], strides: [2, 1, 2], outputPadding: [1, 0, 1])
        },
        Case(description: "GroupNormalization two groups", inputShape: [2, 3, 4], mask: nil) { try GroupNormalization<Double>(groups: 2) },
        Case(description: "GroupNormalization axis 1, no center", inputShape: [2, 4, 3, 2], mask: nil) {
            try GroupNormalization<Double>(groups: 4, axis: 1, center: false)
        },
        Case(description: "Sequential as a layer", inputShape: [2, 4, 3], mask: nil) {
            ModelLayer(try Sequential<Double>(inputShape: [4, 3], layers: [
                try Conv1D<Double>(filters: 2, kernelSize: 2, activation: .tanh), try GRU<Double>(units: 3, returnSequences: true), try Dense<Double>(units: 2),
            ]))
        },
        Case(description: "Bidirectional ConvLSTM1D", inputShape: [2, 3, 5, 2], mask: [true, true, true, true, false, false]) {
            try Bidirectional<Double>(ConvLSTM1D<Double>(filters: 2, kernelSize: 3, padding: .same, returnSequences: true))
        },
    ]

    @Test(arguments: cases)
    func matchesFiniteDifferences(_ c: Case) throws {
        let layer = try c.make()
        let x = TrainingGradientTests.random(c.inputShape, seed: 11)
        let mask = try c.mask.map { try Tensor<Bool>(shape: [c.inputShape[0], c.inputShape[1]], scalars: $0) }
        let y = try layer.forward(x, mask: mask, training: false).output
        let r = TrainingGradientTests.random(y.shape, seed: 12)
        // Random weights too, so that no bias or slope starts at a special value.
        for (k, w) in layer.weights.enumerated() {
            var changed = layer.weights
            changed[k] = TrainingGradientTests.random(w.shape, seed: UInt64(20 + k), scale: 0.5)
            try layer.setWeights(changed)
        }
        func loss(_ input: Tensor<Double>) throws -> Double {
            try zip(layer.forward(input, mask: mask, training: false).output.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }
        _ = try layer.forwardRecording(x, mask: mask, initialState: [], training: true)
        let gradients = try layer.backward([r])
        let dx = try #require(gradients.input)
        try expectCentralDifferences(of: loss, at: x, match: dx, "\(c) input")
        let weights = layer.weights
        #expect(gradients.weights.count == weights.count, "\(c): weight gradients")
        for (k, weight) in weights.enumerated() where k < gradients.weights.count {
            try expectCentralDifferences(of: lossOfWeight(layer, k) { try loss(x) }, at: weight, match: gradients.weights[k], "\(c) weight \(k)")
        }
    }
}

/// BatchNormalization in training: batch statistics (weighted by the mask when there is one)
/// against central differences of the training-mode output, and the moving statistics' update.
@Suite("BatchNormalization training")
struct BatchNormalizationTrainingTests {
    @Test(arguments: [false, true])
    func matchesFiniteDifferences(masked: Bool) throws {
        let layer = try BatchNormalization<Double>(momentum: 0.9, epsilon: 0.01)
        let x = TrainingGradientTests.random([3, 4, 2], seed: 31)
        try layer.build(inputShape: [nil, 4, 2])
        try layer.setWeights([
            TrainingGradientTests.random([2], seed: 32), TrainingGradientTests.random([2], seed: 33),
            Tensor(zeros: [2]), Tensor(repeating: 1, shape: [2]),
        ])
        let mask = masked ? try Tensor<Bool>(shape: [3, 4], scalars: [true, true, false, true, true, false, false, false, true, true, true, true]) : nil
        let r = TrainingGradientTests.random([3, 4, 2], seed: 34)
        func loss(_ input: Tensor<Double>) throws -> Double {
            defer { layer.clearRecords() }
            return try zip(layer.forwardRecording(input, mask: mask, initialState: [], training: true).output.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let before = layer.weights
        _ = try layer.forwardRecording(x, mask: mask, initialState: [], training: true)
        // moving = 0.9 * moving + 0.1 * batch statistic.
        let moved = layer.weights
        #expect(moved[2].scalars.allSatisfy { abs($0) > 0 } && moved[3].scalars != before[3].scalars)
        let gradients = try layer.backward([r])
        #expect(layer.trainableWeightCount == 2 && gradients.weights.count == 2)
        let dx = try #require(gradients.input)
        try expectCentralDifferences(of: loss, at: x, match: dx, "input")
        for k in 0..<2 {
            try expectCentralDifferences(of: lossOfWeight(layer, k) { try loss(x) }, at: moved[k], match: gradients.weights[k], "weight \(k)")
        }
    }
}

/// Layers of two inputs (Dot, the element-wise merges) against central differences.
@Suite("Merge gradients")
struct MergeGradientTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let shapes: [[Int]]
        let make: @Sendable () throws -> any Layer<Double>
    }

    static let cases: [Case] = [
        Case(description: "Dot axes 2", shapes: [[2, 3, 4], [2, 5, 4]]) { try Dot<Double>(axes: [2]) },
        Case(description: "Dot axes 1", shapes: [[2, 3, 4], [2, 3, 2]]) { try Dot<Double>(axes: [1]) },
        Case(description: "Dot vectors", shapes: [[3, 4], [3, 4]]) { try Dot<Double>(axes: [-1]) },
        Case(description: "Dot normalize axes 2", shapes: [[2, 3, 4], [2, 5, 4]]) { try Dot<Double>(axes: [2], normalize: true) },
        Case(description: "Dot normalize axes 1,2", shapes: [[2, 3, 4], [2, 3, 2]]) { try Dot<Double>(axes: [1, 1], normalize: true) },
        Case(description: "Subtract", shapes: [[2, 3], [2, 3]]) { Subtract<Double>() },
        Case(description: "Multiply", shapes: [[2, 3], [2, 3]]) { Multiply<Double>() },
        Case(description: "Maximum", shapes: [[2, 3], [2, 3]]) { Maximum<Double>() },
        Case(description: "Average", shapes: [[2, 3], [2, 3]]) { Average<Double>() },
    ]

    @Test(arguments: cases)
    func matchesFiniteDifferences(_ c: Case) throws {
        let layer = try c.make()
        let inputs = c.shapes.enumerated().map { TrainingGradientTests.random($1, seed: UInt64(40 + $0)) }
        let y = try layer.forward(inputs, masks: inputs.map { _ in nil }, training: false).output
        let r = TrainingGradientTests.random(y.shape, seed: 50)
        func loss(_ values: [Tensor<Double>]) throws -> Double {
            try zip(layer.forward(values, masks: values.map { _ in nil }, training: false).output.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }
        _ = try layer.forwardRecording(inputs, masks: inputs.map { _ in nil }, training: true)
        let gradients = try layer.backward([r])
        let analytic = [try #require(gradients.input)] + gradients.otherInputs.map { $0 ?? Tensor(zeros: [0]) }
        for (k, input) in inputs.enumerated() {
            try expectCentralDifferences(of: { value in
                var values = inputs
                values[k] = value
                return try loss(values)
            }, at: input, match: analytic[k], "\(c) input \(k)")
        }
    }
}

/// Attention, AdditiveAttention and MultiHeadAttention against central differences: every input
/// and learned weight, with masks, a causal mask, a separate key, the attention scores as a
/// second output, and dropout on the attention weights (the same mask drawn for every evaluation).
@Suite("Attention gradients")
struct AttentionGradientTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let inputs: Int
        let masked: Bool
        var training = false
        let make: @Sendable () throws -> any Layer<Double>
    }

    static let cases: [Case] = [
        Case(description: "dot with scale", inputs: 2, masked: false) { try Attention<Double>(useScale: true) },
        Case(description: "dot masked causal with scores", inputs: 2, masked: true) {
            try Attention<Double>(useCausalMask: true, returnAttentionScores: true)
        },
        Case(description: "concat with scale and key", inputs: 3, masked: false) { try Attention<Double>(useScale: true, scoreMode: .concat) },
        Case(description: "additive masked", inputs: 2, masked: true) { try AdditiveAttention<Double>() },
        Case(description: "additive no scale with key", inputs: 3, masked: false) { try AdditiveAttention<Double>(useScale: false) },
        Case(description: "dot dropout with scores", inputs: 2, masked: true, training: true) {
            try Attention<Double>(dropout: 0.4, returnAttentionScores: true)
        },
        Case(description: "multi-head masked with scores", inputs: 2, masked: true) {
            try MultiHeadAttention<Double>(numHeads: 2, keyDim: 3, returnAttentionScores: true)
        },
        Case(description: "multi-head causal, key, value and output sizes", inputs: 3, masked: false) {
            try MultiHeadAttention<Double>(numHeads: 2, keyDim: 2, valueDim: 3, outputDim: 5, useCausalMask: true)
        },
        Case(description: "multi-head without bias, dropout", inputs: 2, masked: true, training: true) {
            try MultiHeadAttention<Double>(numHeads: 3, keyDim: 2, dropout: 0.3, useBias: false)
        },
    ]

    @Test(arguments: cases)
    func matchesFiniteDifferences(_ c: Case) throws {
        let layer = try c.make()
        let shapes = [[2, 3, 4], [2, 5, 4], [2, 5, 4]].prefix(c.inputs)
        let inputs = shapes.enumerated().map { TrainingGradientTests.random($1, seed: UInt64(60 + $0)) }
        let masks: [Tensor<Bool>?] = c.masked
            ? [try Tensor(shape: [2, 3], scalars: [true, false, true, true, true, true]),
               try Tensor(shape: [2, 5], scalars: [true, true, false, true, false, true, true, true, true, false])]
            : inputs.map { _ in nil }
        try layer.build(inputShapes: inputs.map { optionalShape($0.shape) })
        try layer.setWeights(layer.weights.enumerated().map { TrainingGradientTests.random($1.shape, seed: UInt64(70 + $0), scale: 0.7) })
        func reseed() {
            (layer as? Attention<Double>)?.generator = RandomGenerator(seed: 5)
            (layer as? MultiHeadAttention<Double>)?.generator = RandomGenerator(seed: 5)
        }
        let outputs = try layer.forward(Array(inputs), masks: masks, training: false).outputs
        let r = outputs.enumerated().map { TrainingGradientTests.random($1.shape, seed: UInt64(80 + $0)) }
        func loss(_ values: [Tensor<Double>]) throws -> Double {
            reseed()
            let outs = try layer.forward(values, masks: masks, training: c.training).outputs
            return zip(outs, r).reduce(0) { total, pair in total + zip(pair.0.scalars, pair.1.scalars).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        if c.training {
            // Dropout changes the result.
            #expect(abs(try loss(Array(inputs)) - zip(outputs, r).reduce(0) { total, pair in
                total + zip(pair.0.scalars, pair.1.scalars).reduce(0) { $0 + $1.0 * $1.1 } }) > 1e-6)
        }
        reseed()
        _ = try layer.forwardRecording(Array(inputs), masks: masks, training: c.training)
        let gradients = try layer.backward(r)
        let analytic = [try #require(gradients.input)] + gradients.otherInputs.map { $0 ?? Tensor(zeros: [0]) }
        for (k, input) in inputs.enumerated() {
            try expectCentralDifferences(of: { value in
                var values = Array(inputs)
                values[k] = value
                return try loss(values)
            }, at: input, match: analytic[k], "\(c) input \(k)")
        }
        let weights = layer.weights
        #expect(gradients.weights.count == weights.count)
        for (k, weight) in weights.enumerated() {
            try expectCentralDifferences(
                of: lossOfWeight(layer, k) { try loss(Array(inputs)) }, at: weight, match: gradients.weights[k], "\(c) weight \(k)")
        }
    }
}

/// Arithmetic on two tensors with NumPy's broadcasting: each side's gradient against central
/// differences, summed along the axes it was broadcast over.
@Test func broadcastArithmeticGradients() throws {
    for kind in Arithmetic<Double>.Kind.allCases {
        let layer = try Arithmetic<Double>(kind, .tensor, .tensor)
        let a = TrainingGradientTests.random([2, 3, 4], seed: 31)
        var b = TrainingGradientTests.random([2, 1, 4], seed: 32)
        b = b.map { $0 + ($0 >= 0 ? 1 : -1) }  // away from zero, for the division
        let r = TrainingGradientTests.random([2, 3, 4], seed: 33)
        func loss(_ a: Tensor<Double>, _ b: Tensor<Double>) throws -> Double {
            try zip(layer.forward([a, b], masks: [nil, nil], training: false).output.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }
        _ = try layer.forwardRecording([a, b], masks: [nil, nil], training: true)
        let gradients = try layer.backward([r])
        try expectCentralDifferences(of: { try loss($0, b) }, at: a, match: try #require(gradients.input), "\(kind) left")
        try expectCentralDifferences(of: { try loss(a, $0) }, at: b, match: try #require(gradients.otherInputs.first ?? nil), "\(kind) right")
    }
}

/// `ops.where` with a broadcast condition and sides: each side's gradient where it was picked,
/// against central differences; the condition takes none.
@Test func whereGradients() throws {
    let layer = try Where<Double>(.tensor, .tensor)
    let condition = TrainingGradientTests.random([2, 3, 1], seed: 41).map { $0 > 0 ? 1.0 : 0.0 }
    let x = TrainingGradientTests.random([2, 3, 4], seed: 42), y = TrainingGradientTests.random([1, 4], seed: 43)
    let r = TrainingGradientTests.random([2, 3, 4], seed: 44)
    func loss(_ x: Tensor<Double>, _ y: Tensor<Double>) throws -> Double {
        try zip(layer.forward([condition, x, y], masks: [nil, nil, nil], training: false).output.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    }
    _ = try layer.forwardRecording([condition, x, y], masks: [nil, nil, nil], training: true)
    let gradients = try layer.backward([r])
    #expect(try #require(gradients.input).scalars.allSatisfy { $0 == 0 })
    try expectCentralDifferences(of: { try loss($0, y) }, at: x, match: try #require(gradients.otherInputs.first ?? nil), "where x")
    try expectCentralDifferences(of: { try loss(x, $0) }, at: y, match: try #require(gradients.otherInputs.last ?? nil), "where y")
}

/// `ops.concatenate` and `ops.stack` of three tensors: each one's gradient against central
/// differences.
@Test(arguments: [JoinOperation<Double>.Kind.concatenate(axis: 1), .concatenate(axis: -1), .stack(axis: 1), .stack(axis: -1)])
func joinGradients(kind: JoinOperation<Double>.Kind) throws {
    let layer = JoinOperation<Double>(kind)
    var inputs = (0..<3).map { TrainingGradientTests.random([2, 3, 4], seed: UInt64(50 + $0)) }
    let output = try layer.forwardRecording(inputs, masks: [nil, nil, nil], training: true).output
    #expect(output.scalarCount == 72)
    let r = TrainingGradientTests.random(output.shape, seed: 55)
    let gradients = try layer.backward([r])
    let analytic = [try #require(gradients.input)] + gradients.otherInputs.compactMap { $0 }
    #expect(analytic.count == 3)
    for k in 0..<3 {
        let original = inputs[k]
        try expectCentralDifferences(of: { value in
            inputs[k] = value
            defer { inputs[k] = original }
            return try zip(layer.forward(inputs, masks: [nil, nil, nil], training: false).output.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }, at: original, match: analytic[k], "\(kind) input \(k)")
    }
}

/// `ops.cast` as TensorFlow converts: integers truncated toward zero (out of range refused),
/// bool as 1 and 0, float16 and bfloat16 rounded to nearest even (float16 checked against
/// Swift's own `Float16` where the platform has it); only float casts pass gradients back.
@Test func castConverts() throws {
    let input = try Tensor<Float>(shape: [1, 6], scalars: [-2.7, -0.5, 0, 0.4, 3.99, 1e-9])
    func cast(_ dtype: DType, _ x: Tensor<Float> = input) throws -> [Float] {
        try ShapeOperation<Float>(.cast(dtype)).forward(x, mask: nil, training: false).output.scalars
    }
    #expect(try cast(.int32) == [-2, 0, 0, 0, 3, 0])
    #expect(try cast(.uint8, Tensor(shape: [1, 2], scalars: [255.9, 0.5])) == [255, 0])
    #expect(throws: LayerError.self) { try cast(.uint8, Tensor(shape: [1, 1], scalars: [-1])) }
    #expect(throws: LayerError.self) { try cast(.int8, Tensor(shape: [1, 1], scalars: [128])) }
    #expect(try cast(.bool) == [1, 1, 0, 1, 1, 1])
    #expect(try cast(.bfloat16, Tensor(shape: [1, 3], scalars: [1.00390625, 1.01171875, 3.14159])) == [1, 1.015625, 3.140625])
    #if !(os(macOS) && arch(x86_64))
    var generator = RandomGenerator(seed: 45)
    var values = (0..<20_000).map { i -> Float in
        let scale = Double(sign: .plus, exponent: i % 44 - 28, significand: 1)
        return Float((generator.nextUniform() * 2 - 1) * scale)
    }
    values += [65504, 65519.99, 65520, -70000, 0x1p-25, 0x1.8p-25, 0x1p-24, 6.1e-5]
    let rounded = try cast(.float16, Tensor(shape: [1, values.count], scalars: values))
    for (value, got) in zip(values, rounded) { #expect(got == Float(Float16(value)), "float16(\(value)): \(got), Float16 gives \(Float(Float16(value)))") }
    #endif
    for (dtype, passes) in [(DType.int32, false), (.bool, false), (.float16, true), (.float64, true)] {
        let layer = ShapeOperation<Double>(.cast(dtype))
        _ = try layer.forwardRecording(Tensor(shape: [1, 2], scalars: [0.3, -1.2]), mask: nil, initialState: [], training: true)
        let g = try #require(layer.backward([Tensor(shape: [1, 2], scalars: [1, 2])]).input)
        #expect(g.scalars == (passes ? [1, 2] : [0, 0]), "\(dtype)")
    }
}
