import Testing
@testable import SwiftGRU

@Suite("Dropout in training")
struct DropoutTests {
    static func inputs(_ shape: [Int], seed: UInt64) throws -> Tensor<Float> {
        try Initializer.randomNormal(stddev: 1, seed: seed).makeTensor(shape: shape)
    }

    static func layer(dropout: Double = 0, recurrentDropout: Double = 0, seed: UInt64 = 5, resetAfter: Bool = true) throws -> GRU<Float> {
        let layer = try GRU<Float>(
            units: 6, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2),
            biasInitializer: .randomNormal(seed: 3), dropout: dropout, recurrentDropout: recurrentDropout,
            seed: seed, returnSequences: true, resetAfter: resetAfter)
        try layer.build(inputShape: [nil, 7, 5])
        return layer
    }

    @Test func masksHaveKerasStructure() throws {
        let cell = try Self.layer(dropout: 0.3).gruCell
        try cell.beginSequence(batchSize: 400, training: true)
        #expect(cell.dropoutMasks.input.count == 1 && cell.dropoutMasks.recurrent.isEmpty)
        let mask = cell.dropoutMasks.input[0]
        #expect(mask.shape == [400, 5])
        let kept = Float(1 / (1 - 0.3))
        #expect(mask.scalars.allSatisfy { $0 == 0 || $0 == kept })
        let dropped = Double(mask.scalars.filter { $0 == 0 }.count) / Double(mask.scalarCount)
        #expect(abs(dropped - 0.3) < 0.03)

        let both = try Self.layer(dropout: 0.2, recurrentDropout: 0.4).gruCell
        try both.beginSequence(batchSize: 300, training: true)
        #expect(both.dropoutMasks.input.count == 3 && both.dropoutMasks.recurrent.count == 3)
        #expect(both.dropoutMasks.recurrent.allSatisfy { $0.shape == [300, 6] })
        let recurrentDropped = both.dropoutMasks.recurrent.flatMap(\.scalars).filter { $0 == 0 }.count
        #expect(abs(Double(recurrentDropped) / (3 * 300 * 6) - 0.4) < 0.03)
        #expect(both.dropoutMasks.input[0] != both.dropoutMasks.input[1])

        try both.beginSequence(batchSize: 300, training: false)
        #expect(both.dropoutMasks.input.isEmpty && both.dropoutMasks.recurrent.isEmpty)
    }

    /// A step whose batch is not the one the sequence's masks were drawn for is refused by
    /// name, not run without dropout.
    @Test func aMaskOfAnotherBatchIsRefused() throws {
        for (dropout, recurrentDropout) in [(0.3, 0.0), (0.0, 0.3)] {
            let cell = try LSTMCell<Float>(units: 3, dropout: dropout, recurrentDropout: recurrentDropout, seed: 4)
            try cell.build(inputSize: 2)
            try cell.beginSequence(batchSize: 4, training: true)
            let x = Tensor<Float>(repeating: 1, shape: [3, 2]), h = Tensor<Float>(zeros: [3, 3])
            #expect {
                _ = try cell.step(x, states: [h, h], constants: [], training: true)
            } throws: { error in
                (error as? LayerError)?.message.contains(dropout > 0 ? "dropout mask" : "recurrent_dropout mask") == true
            }
        }
    }

    @Test func oneInputMaskServesEveryStep() throws {
        let x = try Self.inputs([4, 7, 5], seed: 9)
        let trained = try Self.layer(dropout: 0.5)(x, training: true).output

        // A twin with the same seed draws the same mask first; applying it to every step by
        // hand and running in inference mode must give the same sequence.
        let twin = try Self.layer(dropout: 0.5)
        try twin.gruCell.beginSequence(batchSize: 4, training: true)
        let mask = twin.gruCell.dropoutMasks.input[0]
        twin.gruCell.endSequence()
        var masked = x
        masked.withUnsafeMutableBufferPointer { buffer in
            for b in 0..<4 { for t in 0..<7 { for f in 0..<5 { buffer[(b * 7 + t) * 5 + f] *= mask[b, f] } } }
        }
        let expected = try twin(masked).output
        #expect(try trained.maxAbsoluteDifference(to: expected) <= 1e-6)
    }

    @Test(arguments: [true, false])
    func fusedPathMatchesTheCellWithRecurrentDropout(resetAfter: Bool) throws {
        let x = try Self.inputs([3, 7, 5], seed: 4)
        let fused = try Self.layer(dropout: 0.25, recurrentDropout: 0.35, resetAfter: resetAfter)
        let generic = RNN<Float>(cell: try Self.layer(dropout: 0.25, recurrentDropout: 0.35, resetAfter: resetAfter).gruCell, returnSequences: true)
        let a = try fused(x, training: true).output
        let b = try generic(x, training: true).output
        #expect(try a.maxAbsoluteDifference(to: b) <= 1e-6)
        let inference = try fused(x).output
        #expect(try a.maxAbsoluteDifference(to: inference) > 1e-3, "dropout changes the training output")
    }

    /// SpatialDropout2D/3D drop whole channels of each sample, at every position, scaling the
    /// kept ones by 1 / (1 - rate); the identity in inference.
    @Test(arguments: [DataFormat.channelsLast, .channelsFirst])
    func spatialDropoutDropsWholeChannels(format: DataFormat) throws {
        let image = Tensor<Double>(repeating: 1, shape: format == .channelsLast ? [3, 4, 5, 6] : [3, 6, 4, 5])
        let layer = try SpatialDropout2D<Double>(rate: 0.5, dataFormat: format, seed: 4)
        #expect(try layer.forward(image, mask: nil, training: false).output == image)
        let dropped = try layer.forward(image, mask: nil, training: true).output
        for sample in 0..<3 {
            for channel in 0..<6 {
                let values = (0..<4).flatMap { row in (0..<5).map { column in
                    format == .channelsLast ? dropped[sample, row, column, channel] : dropped[sample, channel, row, column]
                } }
                #expect(Set(values).count == 1 && [0, 2].contains(values[0]), "\(values)")
            }
        }
        #expect(dropped.scalars.contains(0) && dropped.scalars.contains(2))
        let volume = try SpatialDropout3D<Double>(rate: 0.3, seed: 1)
        #expect(throws: LayerError.self) { try volume.forward(image, mask: nil, training: true) }
    }

    @Test func rateZeroInTrainingEqualsInference() throws {
        let x = try Self.inputs([3, 7, 5], seed: 8)
        let layer = try Self.layer()
        #expect(try layer(x, training: true).output == layer(x, training: false).output)
    }

    @Test func sameSeedSameResultOtherSeedOtherResult() throws {
        let x = try Self.inputs([3, 7, 5], seed: 8)
        let a = try Self.layer(dropout: 0.3, recurrentDropout: 0.3, seed: 1)(x, training: true).output
        let b = try Self.layer(dropout: 0.3, recurrentDropout: 0.3, seed: 1)(x, training: true).output
        let c = try Self.layer(dropout: 0.3, recurrentDropout: 0.3, seed: 2)(x, training: true).output
        #expect(a == b)
        #expect(a != c)
        // Each call draws new masks.
        let layer = try Self.layer(dropout: 0.3, seed: 1)
        #expect(try layer(x, training: true).output != layer(x, training: true).output)
    }
}
