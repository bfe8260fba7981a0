import Testing
import SwiftGRU

/// The numbers in Keras' own `gru_test.py`: constant weights, `arange(72)` inputs.
@Suite("Keras gru_test.py reference numbers")
struct KerasReferenceNumbersTests {
    static func output(resetAfter: Bool = true, useBias: Bool = true, goBackwards: Bool = false) throws -> Tensor<Float> {
        let layer = try GRU<Float>(
            units: 3, useBias: useBias, kernelInitializer: .constant(0.01),
            recurrentInitializer: .constant(0.02), biasInitializer: .constant(0.03),
            goBackwards: goBackwards, resetAfter: resetAfter)
        let x = try Tensor<Float>(shape: [3, 6, 4], scalars: (0..<72).map(Float.init))
        return try layer(x).output
    }

    static func expectRows(_ output: Tensor<Float>, _ rows: [Float]) {
        #expect(output.shape == [3, 3])
        for (b, value) in rows.enumerated() {
            for u in 0..<3 { #expect(abs(output[b, u] - value) <= 1e-6, "row \(b) unit \(u)") }
        }
    }

    @Test func defaults() throws { Self.expectRows(try Self.output(), [0.5217289, 0.6371659, 0.39384964]) }

    @Test func goBackwards() throws { Self.expectRows(try Self.output(goBackwards: true), [0.24406259, 0.611516, 0.3928808]) }

    @Test func resetBefore() throws { Self.expectRows(try Self.output(resetAfter: false), [0.51447755, 0.6426879, 0.40208298]) }

    @Test func withoutBias() throws { Self.expectRows(try Self.output(useBias: false), [0.49988455, 0.64701194, 0.4103359]) }
}
