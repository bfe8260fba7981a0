import Testing
import SwiftGRU

/// Every mistake a user can make gives a thrown error whose message names it.
@Suite("Errors")
struct LayerErrorTests {
    static let x = Tensor<Float>(repeating: 0.5, shape: [2, 3, 4])

    static func expectError(_ kind: LayerError.Kind, mentioning text: String, _ body: () throws -> Void) {
        let error = #expect(throws: LayerError.self) { try body() }
        #expect(error?.kind == kind, "kind of \(String(describing: error))")
        #expect(error?.message.contains(text) == true, "message '\(error?.message ?? "")' mentions '\(text)'")
    }

    @Test func wrongInputRank() {
        Self.expectError(.invalidInputShape, mentioning: "rank 3") {
            _ = try GRU<Float>(units: 2)(Tensor(repeating: 0, shape: [2, 4]))
        }
    }

    @Test func wrongFeatureSize() throws {
        let layer = try GRU<Float>(units: 2)
        _ = try layer(Self.x)
        Self.expectError(.invalidInputShape, mentioning: "4 features") { _ = try layer(Tensor(repeating: 0, shape: [2, 3, 5])) }
    }

    @Test func noTimesteps() {
        Self.expectError(.invalidInputShape, mentioning: "no timesteps") { _ = try GRU<Float>(units: 2)(Tensor(repeating: 0, shape: [2, 0, 4])) }
    }

    @Test func maskShapeMismatch() {
        Self.expectError(.invalidMask, mentioning: "mask must have shape [2, 3]") {
            _ = try GRU<Float>(units: 2)(Self.x, mask: Tensor(repeating: true, shape: [2, 4]))
        }
    }

    @Test func statefulWithoutFixedBatchSize() {
        Self.expectError(.statefulBatch, mentioning: "fixed batch size") {
            try GRU<Float>(units: 2, stateful: true).build(inputShape: [nil, 3, 4])
        }
        Self.expectError(.statefulBatch, mentioning: "fixed batch size") {
            _ = try Sequential<Float>(inputShape: [3, 4], layers: [GRU<Float>(units: 2, stateful: true)])
        }
    }

    @Test func statefulWithAnotherBatch() throws {
        let layer = try GRU<Float>(units: 2, stateful: true)
        _ = try layer(Self.x)
        Self.expectError(.statefulBatch, mentioning: "batch size it was built with (2)") {
            _ = try layer(Tensor(repeating: 0, shape: [3, 3, 4]))
        }
        Self.expectError(.invalidInputShape, mentioning: "states must be") {
            try layer.resetStates(to: [Tensor(repeating: 0, shape: [2, 5])])
        }
    }

    @Test func resetStatesToNeedsAStatefulLayer() {
        Self.expectError(.unsupported, mentioning: "stateful") { try GRU<Float>(units: 2).resetStates(to: []) }
    }

    @Test(arguments: [0, -3])
    func unitsMustBePositive(units: Int) {
        Self.expectError(.invalidArgument, mentioning: "units must be a positive integer, got \(units)") { _ = try GRU<Float>(units: units) }
    }

    @Test(arguments: [-0.1, 1.0, 1.5, .nan])
    func ratesMustBeInZeroOne(rate: Double) {
        Self.expectError(.invalidArgument, mentioning: "dropout must be in [0, 1)") { _ = try GRU<Float>(units: 2, dropout: rate) }
        Self.expectError(.invalidArgument, mentioning: "recurrent_dropout must be in [0, 1)") { _ = try GRU<Float>(units: 2, recurrentDropout: rate) }
    }

    @Test func unknownNames() {
        Self.expectError(.unknownName, mentioning: "unknown activation 'tanhh'") { _ = try Activation(named: "tanhh") }
        Self.expectError(.unknownName, mentioning: "unknown initializer 'orthogonl'") { _ = try Initializer(named: "orthogonl") }
        Self.expectError(.unknownName, mentioning: "unknown regularizer") { _ = try Regularizer(named: "l3") }
        Self.expectError(.unknownName, mentioning: "unknown constraint") { _ = try Constraint(named: "max") }
        Self.expectError(.invalidArgument, mentioning: "glu") { _ = try GRU<Float>(units: 2, activation: .glu) }
    }

    @Test func initialStateShape() {
        Self.expectError(.invalidInputShape, mentioning: "initial_state must be 1 tensor(s) of shape [2, 2]") {
            _ = try GRU<Float>(units: 2)(Self.x, initialState: [Tensor(repeating: 0, shape: [2, 3])])
        }
    }

    @Test func weightsThatDoNotFit() throws {
        let layer = try GRU<Float>(units: 2)
        Self.expectError(.invalidWeights, mentioning: "expects 3 weights") { try layer.setWeights([]) }
        Self.expectError(.invalidWeights, mentioning: "recurrent kernel must have shape [2, 6]") {
            try layer.setWeights([Tensor(zeros: [4, 6]), Tensor(zeros: [3, 6]), Tensor(zeros: [2, 6])])
        }
        Self.expectError(.invalidWeights, mentioning: "bias must have shape [2, 6]") {
            try layer.setWeights([Tensor(zeros: [4, 6]), Tensor(zeros: [2, 6]), Tensor(zeros: [6])])
        }
        Self.expectError(.invalidWeights, mentioning: "expects 2 weights") {
            try Dense<Float>(units: 2).setWeights([Tensor(zeros: [3, 2])])
        }
    }

    @Test func cuDNNRequestedWithoutAGPU() throws {
        Self.expectError(.unsupported, mentioning: "no GPU with cuDNN") { _ = try GRU<Float>(units: 2, useCuDNN: true)(Self.x) }
        Self.expectError(.unsupported, mentioning: "reset_after is false") {
            _ = try GRU<Float>(units: 2, resetAfter: false, useCuDNN: true)(Self.x)
        }
        Self.expectError(.unsupported, mentioning: "not strictly right-padded") {
            let mask = try Tensor(shape: [2, 3], scalars: [false, true, true, true, true, true])
            _ = try GRU<Float>(units: 2, useCuDNN: true)(Self.x, mask: mask)
        }
        // .auto and false run on the CPU.
        #expect(try GRU<Float>(units: 2, useCuDNN: .auto)(Self.x).output.shape == [2, 2])
        #expect(try GRU<Float>(units: 2, useCuDNN: false)(Self.x).output.shape == [2, 2])
    }

    @Test func bidirectionalHalvesMustDiffer() throws {
        let forward = try GRU<Float>(units: 2)
        Self.expectError(.invalidArgument, mentioning: "opposite go_backwards") {
            _ = try Bidirectional(forward, backwardLayer: try GRU<Float>(units: 2))
        }
        Self.expectError(.invalidArgument, mentioning: "return_sequences") {
            _ = try Bidirectional(forward, backwardLayer: try GRU<Float>(units: 2, returnSequences: true, goBackwards: true))
        }
    }

    @Test func sequentialNeedsSingleOutputs() throws {
        let model = try Sequential<Float>(inputShape: [3, 4], layers: [GRU<Float>(units: 2, returnState: true)])
        Self.expectError(.unsupported, mentioning: "return_state") { _ = try model(Self.x) }
        Self.expectError(.invalidInputShape, mentioning: "expects input of shape (None, 3, 4)") {
            _ = try model(Tensor(repeating: 0, shape: [2, 3, 5]))
        }
    }

    @Test func embeddingIndicesMustBeInRange() throws {
        let embedding = try Embedding<Float>(inputDim: 5, outputDim: 2)
        Self.expectError(.invalidInputShape, mentioning: "index 5.0 is not a whole number in [0, 5)") {
            _ = try embedding.forward(Tensor(shape: [1, 2], scalars: [1, 5]), mask: nil, training: false)
        }
        Self.expectError(.invalidInputShape, mentioning: "index 1.5") {
            _ = try embedding.forward(Tensor(shape: [1, 1], scalars: [1.5]), mask: nil, training: false)
        }
    }

    @Test func constantsNeedACellThatTakesThem() {
        Self.expectError(.unsupported, mentioning: "does not accept constants") {
            _ = try GRU<Float>(units: 2)(Self.x, constants: [Tensor(zeros: [2, 1])])
        }
    }
}
