import Testing

@testable import SwiftGRU

/// A layer's arguments as one value: Keras' `get_config()` / `from_config()`.
@Suite("Layer configurations")
struct ConfigurationTests {
    @Test func aGRUMadeFromAnotherOnesConfigurationComputesTheSame() throws {
        let original = try GRU<Float>(
            units: 5, activation: .relu, recurrentActivation: .hardSigmoid, kernelRegularizer: .l2(0.01),
            recurrentConstraint: .maxNorm(maxValue: 3), dropout: 0.1, seed: 4, returnSequences: true,
            goBackwards: true, resetAfter: false, useCuDNN: false, name: "encoder")
        let copy = try GRU<Float>(original.configuration)
        #expect(copy.name == "encoder" && copy.units == 5 && copy.activation == .relu && copy.resetAfter == false)
        #expect(copy.goBackwards && copy.returnSequences && copy.useCuDNN == .disabled && copy.dropout == 0.1)
        #expect(copy.gruCell.recurrentConstraint == .maxNorm(maxValue: 3))
        let x: Tensor<Float> = try Initializer.randomNormal(seed: 2).makeTensor(shape: [2, 4, 3])
        let expected = try original(x).output
        try copy.setWeights(original.weights)
        #expect(try copy(x).output == expected)
    }

    @Test func theConfigurationIsCheckedAsTheArgumentsAre() {
        var c = GRU<Float>.Configuration(units: 3)
        c.cell.dropout = 1
        #expect(throws: LayerError.self) { try GRU<Float>(c) }
        c = GRU<Float>.Configuration(units: 0)
        #expect(throws: LayerError.self) { try GRU<Float>(c) }
        var cell = GRUCell<Float>.Configuration(units: 2)
        cell.activation = .glu
        #expect(throws: LayerError.self) { try GRUCell<Float>(cell) }
    }
}
