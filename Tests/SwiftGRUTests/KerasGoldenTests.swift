import Testing
@testable import SwiftGRU

/// Every case of `Fixtures/keras-layers.json`: Swift must reproduce Keras' outputs.
@Suite("Golden values from Keras")
struct KerasGoldenTests {
    static let tolerance: Float = 1e-5

    @Test func fixturesArePresent() throws {
        _ = try KerasFixtures.loaded.get()
        #expect(KerasFixtures.shared.cases.count > 100)
        #expect(KerasFixtures.shared.keras_version.hasPrefix("3."))
    }

    @Test(arguments: KerasFixtures.caseNames)
    func matchesKeras(_ name: String) throws {
        let fixture = try #require(KerasFixtures.named(name))
        let weights = try fixture.weights.map { try $0.tensor() }
        let config = fixture.config
        let firstInputs = try fixture.calls[0].inputs.tensor()

        // Each kind gives a function from one call of the fixture to the outputs in Keras' order.
        let run: (KerasFixtures.Call, Tensor<Float>) throws -> [Tensor<Float>]
        switch fixture.kind {
        case "gru":
            let layer = try FixtureBuilder.gru(config)
            try layer.setWeights(weights)
            run = { call, x in
                if call.reset_before { layer.resetStates() }
                return try layer(
                    x, mask: call.mask?.tensor(),
                    initialState: call.initial_state?.map { try $0.tensor() }).all
            }
        case "bidirectional":
            let inner = try #require(config["layer"])
            let layer = try Bidirectional<Float>(FixtureBuilder.gru(inner), mergeMode: FixtureBuilder.mergeMode(config))
            try layer.setWeights(weights)
            run = { call, x in try layer(x, mask: call.mask?.tensor()).all }
        case "rnn":
            let cells: [any RecurrentCell<Float>] = try (config["cells"]?.array ?? []).map { try FixtureBuilder.gruCell($0) }
            let cell: any RecurrentCell<Float> = cells.count == 1 ? cells[0] : try StackedRNNCells(cells)
            let layer = RNN<Float>(
                cell: cell, returnSequences: config["return_sequences"]?.bool ?? false,
                returnState: config["return_state"]?.bool ?? false,
                goBackwards: config["go_backwards"]?.bool ?? false)
            try layer.build(inputShape: firstInputs.shape.map { $0 })
            try layer.setWeights(weights)
            run = { call, x in try layer(x, mask: call.mask?.tensor()).all }
        case "sequential":
            let shape = (config["input_shape"]?.array ?? []).map { $0.int }
            let model = try Sequential<Float>(
                inputShape: shape, layers: (config["layers"]?.array ?? []).map(FixtureBuilder.sequentialLayer))
            try model.setWeights(weights)
            run = { _, x in [try model(x)] }
        default:
            Issue.record("unknown fixture kind \(fixture.kind)")
            return
        }

        for (index, call) in fixture.calls.enumerated() {
            let outputs = try run(call, try call.inputs.tensor())
            #expect(outputs.count == call.outputs.count, "call \(index): output count")
            for (k, (actual, expected)) in zip(outputs, try call.outputs.map { try $0.tensor() }).enumerated() {
                #expect(actual.shape == expected.shape, "call \(index) output \(k): shape")
                if actual.shape == expected.shape {
                    let error = try actual.maxAbsoluteDifference(to: expected)
                    #expect(error <= Self.tolerance, "call \(index) output \(k): max abs error \(error)")
                }
            }
        }
    }
}
