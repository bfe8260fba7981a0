import Testing
import SwiftGRU

/// The README's example (the one from Keras' `layer_gru` page) stays true.
@Suite("README example")
struct ReadmeExampleTests {
    @Test func shapes() throws {
        let inputs: Tensor<Float> = try Initializer.randomUniform(minval: 0, maxval: 1, seed: 1).makeTensor(shape: [32, 10, 8])

        let outputs = try GRU<Float>(units: 4)(inputs).output
        #expect(outputs.shape == [32, 4])

        let gru = try GRU<Float>(units: 4, returnSequences: true, returnState: true)
        let result = try gru(inputs)
        #expect(result.output.shape == [32, 10, 4])
        #expect(result.states[0].shape == [32, 4])
    }
}
