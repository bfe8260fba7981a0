import Testing
@testable import SwiftGRU

/// Whole-model gradients (loss, regularization, every layer's backward pass)
/// against central finite differences, in Double.
@Suite("Training gradients")
struct TrainingGradientTests {
    static func random(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
        var rng = RandomGenerator(seed: seed)
        return (try? Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.nextNormal() * scale })) ?? Tensor(zeros: shape)
    }

    /// Compares the trainer's weight gradients with finite differences of its loss.
    static func check(
        _ model: any Model<Double>, loss: Loss, x: [Tensor<Double>], y: [Tensor<Double>], training: Bool = false, before: () throws -> Void = {}
    ) throws {
        // Random weights, large enough to exercise every gate.
        for (index, layer) in model.layers.enumerated() where !layer.weights.isEmpty {
            try layer.setWeights(layer.weights.enumerated().map { k, w in random(w.shape, seed: UInt64(100 * index + k), scale: 0.5) })
        }
        let trainer = Trainer(model: model, optimizer: .sgd(), loss: loss)
        try before()
        let analytic = try trainer.gradients(x: x, y: y, training: training).weights
        for (layerIndex, layer) in model.layers.enumerated() {
            let weights = layer.weights
            for (k, weight) in weights.enumerated() {
                for i in stride(from: 0, to: weight.scalarCount, by: max(1, weight.scalarCount / 9)) {
                    func lossWith(_ delta: Double) throws -> Double {
                        var changed = weights
                        changed[k].withUnsafeMutableBufferPointer { $0[i] += delta }
                        try layer.setWeights(changed)
                        try before()
                        return try trainer.gradients(x: x, y: y, training: training).loss
                    }
                    let h = 1e-6
                    let numeric = (try lossWith(h) - lossWith(-h)) / (2 * h)
                    try layer.setWeights(weights)
                    let value = analytic[layerIndex][k].scalars[i]
                    #expect(abs(numeric - value) <= 1e-6 * max(1, abs(numeric)),
                            "layer \(layer.name) weight \(k)[\(i)]: analytic \(value), numeric \(numeric)")
                }
            }
        }
    }

    static let x = random([3, 5, 4], seed: 1)
    static let mask = (try? Tensor<Bool>(shape: [3, 5], scalars: [true, true, false, true, true, false, false, true, true, true, true, true, true, true, false])) ?? Tensor(repeating: true, shape: [3, 5])

    /// LSTM and SimpleRNN layers, a masked one read backwards, a Bidirectional LSTM and a stack
    /// of a SimpleRNN and an LSTM cell, with initial states' gradients through the loss.
    @Test func lstmAndSimpleRNN() throws {
        let masking = Masking<Double>(maskValue: 0)
        let masked = Self.x.map { $0 }
        var values = masked.scalars
        for i in 8..<12 { values[i] = 0 }
        let x = try Tensor<Double>(shape: masked.shape, scalars: values)
        let model = try Sequential<Double>(inputShape: [5, 4], layers: [
            masking,
            LSTM<Double>(cell: LSTMCell(units: 3), returnSequences: true, goBackwards: true),
            SimpleRNN<Double>(cell: SimpleRNNCell(units: 3, activation: .tanh), returnSequences: true),
            Bidirectional<Double>(LSTM<Double>(cell: LSTMCell(units: 2, recurrentActivation: .hardSigmoid), returnSequences: true), mergeMode: .concat),
            RNN<Double>(cell: StackedRNNCells([SimpleRNNCell<Double>(units: 3), LSTMCell<Double>(units: 2)])),
            Dense<Double>(units: 2),
        ])
        try Self.check(model, loss: .meanSquaredError, x: [x], y: [Self.random([3, 2], seed: 9)])
    }

    @Test func stackedGRUWithSoftmaxCrossentropy() throws {
        let model = try Sequential<Double>(inputShape: [5, 4], layers: [
            GRU<Double>(units: 4, returnSequences: true), GRU<Double>(units: 3, resetAfter: false),
            Dense<Double>(units: 3, activation: .softmax),
        ])
        let y = try Tensor<Double>(shape: [3, 3], scalars: [1, 0, 0, 0, 0, 1, 0, 1, 0])
        try Self.check(model, loss: .categoricalCrossentropy(), x: [Self.x], y: [y])
        try Self.check(model, loss: .sparseCategoricalCrossentropy(), x: [Self.x], y: [try Tensor(shape: [3], scalars: [0, 2, 1])])
    }

    @Test func embeddingMaskTimeDistributedMSE() throws {
        let tokens = try Tensor<Double>(shape: [3, 5], scalars: [0, 0, 3, 1, 2, 4, 1, 0, 0, 0, 2, 2, 3, 4, 1])
        let model = try Sequential<Double>(inputShape: [5], layers: [
            Embedding<Double>(inputDim: 5, outputDim: 3, maskZero: true), GRU<Double>(units: 4, returnSequences: true, goBackwards: true),
            TimeDistributed(Dense<Double>(units: 2, activation: .tanh)),
        ])
        try Self.check(model, loss: .meanSquaredError, x: [tokens], y: [Self.random([3, 5, 2], seed: 5)])
    }

    @Test(arguments: [Bidirectional<Double>.MergeMode.concat, .sum, .mul, .ave])
    func bidirectionalMergeModes(mode: Bidirectional<Double>.MergeMode) throws {
        let model = try Sequential<Double>(inputShape: [5, 4], layers: [
            Masking<Double>(maskValue: 0), Bidirectional(GRU<Double>(units: 3, returnSequences: true), mergeMode: mode),
            Bidirectional(GRU<Double>(units: 2, resetAfter: false), mergeMode: mode), Dense<Double>(units: 2),
        ])
        var x = Self.x
        x.withUnsafeMutableBufferPointer { for i in 8..<12 { $0[i] = 0 } }
        try Self.check(model, loss: .meanAbsoluteError, x: [x], y: [Self.random([3, 2], seed: 6)])
    }

    @Test func stackedCellsGoingBackwardsWithBinaryCrossentropy() throws {
        let rnn = try RNN<Double>(cells: [GRUCell<Double>(units: 3), GRUCell<Double>(units: 4, resetAfter: false)], returnSequences: true, goBackwards: true)
        let model = try Functional<Double>(
            inputs: [.init(name: "x", shape: [nil, 5, 4])],
            nodes: [.init(rnn, input: .input(0)), .init(Dense<Double>(units: 1, activation: .sigmoid), input: .output(node: 0, index: 0))],
            outputs: [.output(node: 1, index: 0)])
        let y = try Tensor<Double>(shape: [3, 5, 1], scalars: (0..<15).map { Double($0 % 2) })
        try Self.check(model, loss: .binaryCrossentropy(), x: [Self.x], y: [y])
    }

    @Test func encoderDecoderWithInitialStateAndTwoOutputs() throws {
        let encoder = try GRU<Double>(units: 3, returnState: true)
        let decoder = try GRU<Double>(units: 3, returnSequences: true, returnState: true)
        let both = try Bidirectional(GRU<Double>(units: 2, returnSequences: true), mergeMode: nil)
        let model = try Functional<Double>(
            inputs: [.init(name: "source", shape: [nil, 5, 4]), .init(name: "target", shape: [nil, 4, 2])],
            nodes: [
                .init(encoder, input: .input(0)),
                .init(decoder, input: .input(1), initialState: [.output(node: 0, index: 1)]),
                .init(both, input: .output(node: 1, index: 0)),
                .init(Dense<Double>(units: 2), input: .output(node: 1, index: 1)),
            ],
            outputs: [.output(node: 2, index: 0), .output(node: 2, index: 1), .output(node: 3, index: 0)])
        let target = Self.random([3, 4, 2], seed: 9)
        try Self.check(model, loss: .meanSquaredError, x: [Self.x, target], y: [Self.random([3, 4, 2], seed: 10), Self.random([3, 4, 2], seed: 11), Self.random([3, 2], seed: 12)])
    }

    /// LSTM and SimpleRNN dropout and recurrent dropout in training (the masks drawn again from
    /// the same seed for every evaluation), with their regularizers, activity penalties and a
    /// stack of both cells.
    @Test func lstmAndSimpleRNNDropoutAndRegularizers() throws {
        let lstm = try LSTMCell<Double>(units: 3, kernelRegularizer: .l2(0.05), recurrentRegularizer: .l1(0.02), dropout: 0.3, recurrentDropout: 0.4)
        let simple = try SimpleRNNCell<Double>(units: 3, biasRegularizer: .l1l2(l1: 0.01, l2: 0.03), dropout: 0.25, recurrentDropout: 0.5)
        let stackedLSTM = try LSTMCell<Double>(units: 2, dropout: 0.2, recurrentDropout: 0.3)
        let cells = [lstm, simple, stackedLSTM] as [any RecurrentCell<Double>]
        let model = try Sequential<Double>(inputShape: [5, 4], layers: [
            LSTM<Double>(cell: lstm, activityRegularizer: .l2(0.1), returnSequences: true),
            SimpleRNN<Double>(cell: simple, returnSequences: true),
            RNN<Double>(cell: StackedRNNCells([try SimpleRNNCell<Double>(units: 3), stackedLSTM])),
            Dense<Double>(units: 2),
        ])
        func reseed() {
            for (k, cell) in cells.enumerated() {
                (cell as? LSTMCell<Double>)?.generator = RandomGenerator(seed: UInt64(k + 1))
                (cell as? SimpleRNNCell<Double>)?.generator = RandomGenerator(seed: UInt64(k + 1))
            }
        }
        try Self.check(model, loss: .meanSquaredError, x: [Self.x], y: [Self.random([3, 2], seed: 13)], training: true, before: reseed)
        // The masks drop something: training and inference differ.
        reseed()
        let trainer = Trainer(model: model, optimizer: .sgd(), loss: .meanSquaredError)
        let inTraining = try trainer.gradients(x: [Self.x], y: [Self.random([3, 2], seed: 13)], training: true).loss
        let inInference = try trainer.gradients(x: [Self.x], y: [Self.random([3, 2], seed: 13)], training: false).loss
        #expect(abs(inTraining - inInference) > 1e-6)
    }

    @Test func regularizersAndActivityPenalties() throws {
        let model = try Sequential<Double>(inputShape: [5, 4], layers: [
            GRU<Double>(units: 3, kernelRegularizer: .l2(0.05), recurrentRegularizer: .l1(0.02), biasRegularizer: .l1l2(l1: 0.01, l2: 0.03),
                        activityRegularizer: .l2(0.1), returnSequences: true, timeMajor: false),
            GRU<Double>(units: 3, activityRegularizer: .l1l2(l1: 0.05, l2: 0.05), returnState: false),
            Dense<Double>(units: 2, kernelRegularizer: .l1(0.01), activityRegularizer: .l2(0.2)),
        ])
        try Self.check(model, loss: .meanSquaredError, x: [Self.x], y: [Self.random([3, 2], seed: 13)])
    }

    @Test func timeMajorAndStatefulAndMaskedLoss() throws {
        let timeMajor = try Sequential<Double>(inputShape: [3, 4], layers: [GRU<Double>(units: 3, returnSequences: true, timeMajor: true)])
        try Self.check(timeMajor, loss: .meanSquaredError, x: [try Self.x.swappingLeadingAxes()], y: [Self.random([5, 3, 3], seed: 14)])

        let gru = try GRU<Double>(units: 3, stateful: true)
        let stateful = try Sequential<Double>(inputShape: [5, 4], batchSize: 3, layers: [gru, Dense<Double>(units: 1)])
        let carried = Self.random([3, 3], seed: 15)
        try Self.check(stateful, loss: .meanSquaredError, x: [Self.x], y: [Self.random([3, 1], seed: 16)]) {
            try gru.resetStates(to: [carried])
        }

        let masked = try Sequential<Double>(inputShape: [5, 4], layers: [Masking<Double>(), GRU<Double>(units: 2, returnSequences: true)])
        var x = Self.x
        x.withUnsafeMutableBufferPointer { for i in 4..<8 { $0[i] = 0 } }
        try Self.check(masked, loss: .meanSquaredError, x: [x], y: [Self.random([3, 5, 2], seed: 17)])
    }

    @Test func inputAndInitialStateGradients() throws {
        // d(loss)/d(input) of the whole model, via a Dense head on the inputs' side.
        let model = try Sequential<Double>(inputShape: [5, 4], layers: [GRU<Double>(units: 3)])
        let y = Self.random([3, 3], seed: 18)
        let trainer = Trainer(model: model, optimizer: .sgd(), loss: .meanSquaredError)
        let analytic = try #require(trainer.gradients(x: [Self.x], y: [y], training: false).inputs.first ?? nil)
        for i in stride(from: 0, to: Self.x.scalarCount, by: 7) {
            func loss(_ delta: Double) throws -> Double {
                var x = Self.x
                x.withUnsafeMutableBufferPointer { $0[i] += delta }
                return try trainer.gradients(x: [x], y: [y], training: false).loss
            }
            let numeric = (try loss(1e-6) - loss(-1e-6)) / 2e-6
            #expect(abs(numeric - analytic.scalars[i]) <= 1e-6 * max(1, abs(numeric)))
        }
    }
}
