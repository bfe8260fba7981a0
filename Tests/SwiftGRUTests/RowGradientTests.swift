import Testing
@testable import SwiftGRU

/// A table's gradient kept as the rows lookups touched (``WeightGradient``) must train exactly
/// as its dense form: every optimizer, clipping, weight decay and a layer called twice give
/// the dense path's bits.
@Suite("Gradients of some rows")
struct RowGradientTests {
    /// A gradient of `rows` of a `[extent, width]` table, with slices' squares and absolute
    /// values as an Embedding gives them (several lookups per row).
    static func rowGradient(extent: Int, width: Int, rows: [Int], seed: UInt64) throws -> WeightGradient<Float> {
        var generator = RandomGenerator(seed: seed)
        var values = [Float](), squares = [Float](), absolutes = [Float]()
        for _ in rows {
            for _ in 0..<width {
                // Two slices per entry, summed as the Embedding sums them.
                let a = Float.random(in: -1...1, using: &generator), b = Float.random(in: -1...1, using: &generator)
                values.append(a + b)
                squares.append(a * a + b * b)
                absolutes.append(abs(a) + abs(b))
            }
        }
        return try WeightGradient(shape: [extent, width], rows: rows, values: values, sliceSquares: squares, sliceAbsolutes: absolutes)
    }

    static let optimizers: [(String, Optimizer)] = [
        ("Adam", .adam(learningRate: 0.01)),
        ("Adam amsgrad", .adam(learningRate: 0.01, amsgrad: true)),
        ("AdamW", .adamW(learningRate: 0.01, weightDecay: 0.05)),
        ("Adam clipnorm", Optimizer(Adam(), learningRate: 0.01, clipnorm: 0.5)),
        ("Adam global_clipnorm", Optimizer(Adam(), learningRate: 0.01, globalClipnorm: 0.5)),
        ("RMSprop", .rmsprop(learningRate: 0.01)),
        ("RMSprop momentum centered", .rmsprop(learningRate: 0.01, momentum: 0.5, centered: true)),
        ("RMSprop tf.keras 2", {
            var optimizer = Optimizer.rmsprop(learningRate: 0.01)
            optimizer.epsilonOutsideSquareRoot = true
            return optimizer
        }()),
        ("Adagrad", .adagrad(learningRate: 0.01)),
        ("Adagrad tf.keras 2", {
            var optimizer = Optimizer.adagrad(learningRate: 0.01)
            optimizer.epsilonOutsideSquareRoot = true
            return optimizer
        }()),
        ("Adamax", .adamax(learningRate: 0.01)),
        ("Nadam", .nadam(learningRate: 0.01)),
        ("SGD", .sgd(learningRate: 0.1, momentum: 0.9, nesterov: true)),
        ("Lion", .lion(learningRate: 0.01)),
        ("Ftrl", .ftrl(learningRate: 0.01, l1: 0.01, l2: 0.01)),
        ("Adadelta", .adadelta(learningRate: 1)),
    ]

    @Test("every optimizer updates with a gradient of some rows as with its dense form", arguments: optimizers.indices)
    func rowsUpdateAsDense(_ index: Int) throws {
        let (name, optimizer) = Self.optimizers[index]
        // For a rule that updates rows, a table big enough to be split over threads (mid-row);
        // the others are handed every entry. A small dense weight beside it.
        let extent = optimizer.rule.updatesRows ? 1101 : 120, width = optimizer.rule.updatesRows ? 131 : 9
        var generator = RandomGenerator(seed: 11)
        let table = try Tensor<Float>(shape: [extent, width], scalars: (0..<(extent * width)).map { _ in Float.random(in: -1...1, using: &generator) })
        let bias = try Tensor<Float>(shape: [5], scalars: (0..<5).map { _ in Float.random(in: -1...1, using: &generator) })
        var sparse = [table, bias], dense = [table, bias]
        var sparseState = OptimizerState<Float>(), denseState = OptimizerState<Float>()
        let rowSets = [[0, 3, 4, 550, extent - 1].filter { $0 < extent }, [], [1, 2, 3, 59, 549, 551, extent - 2].filter { $0 < extent }, Array(stride(from: 0, to: extent, by: 7))]
        for (step, rows) in rowSets.enumerated() {
            let gradient = try Self.rowGradient(extent: extent, width: width, rows: rows, seed: UInt64(step))
            let biasGradient = WeightGradient(try Tensor<Float>(shape: [5], scalars: (0..<5).map { Float($0 + step) / 10 }))
            try sparseState.apply(optimizer, gradients: [gradient, biasGradient], to: &sparse)
            try denseState.apply(optimizer, gradients: [gradient.densified, biasGradient], to: &dense)
            // Compared as bits, and as one Bool each, so that a failure does not print the table.
            func bits(_ tensors: [Tensor<Float>]) -> [[UInt32]] { tensors.map { $0.scalars.map(\.bitPattern) } }
            let sameWeights = bits(sparse) == bits(dense)
            let sameSlots = sparseState.slots.map { $0.map { $0.map(\.bitPattern) } } == denseState.slots.map { $0.map { $0.map(\.bitPattern) } }
            #expect(sameWeights, "\(name) step \(step): weights")
            #expect(sameSlots, "\(name) step \(step): slots")
        }
        let moved = sparse[0].scalars != table.scalars
        #expect(moved, "\(name): the table was updated")
    }

    @Test("two gradients of rows add up as their dense forms")
    func rowsAddAsDense() throws {
        let a = try Self.rowGradient(extent: 9, width: 3, rows: [0, 2, 5, 8], seed: 1)
        let b = try Self.rowGradient(extent: 9, width: 3, rows: [1, 2, 8], seed: 2)
        let sum = try a.adding(b)
        #expect(sum.rows == [0, 1, 2, 5, 8])
        let dense = try a.densified.adding(b.densified)
        #expect(sum.dense.scalars == dense.values)
        #expect(sum.denseSliceSquares?.scalars == dense.sliceSquares)
        #expect(sum.denseSliceAbsolutes?.scalars == dense.sliceAbsolutes)
        // With an ordinary gradient the sum is dense, without slices.
        let plain = try a.adding(WeightGradient(Tensor(repeating: 1, shape: [9, 3])))
        #expect(plain.rows == nil && plain.sliceSquares == nil)
        #expect(plain.values == a.dense.scalars.map { $0 + 1 })
    }

    @Test("rows out of order, repeated or outside the table are refused")
    func badRowsAreRefused() {
        for rows in [[2, 1], [1, 1], [-1], [9]] {
            #expect(throws: LayerError.self) {
                try WeightGradient<Float>(shape: [9, 2], rows: rows, values: [Float](repeating: 0, count: rows.count * 2), sliceSquares: nil, sliceAbsolutes: nil)
            }
        }
        #expect(throws: LayerError.self) {
            try WeightGradient<Float>(shape: [9, 2], rows: [1], values: [0], sliceSquares: nil, sliceAbsolutes: nil)
        }
    }

    @Test("slices' squares laid out otherwise than the gradient are refused by name")
    func mismatchedSquaresAreRefused() throws {
        var weights = [Tensor<Float>(repeating: 1, shape: [4, 2])]
        var state = OptimizerState<Float>()
        let gradient = WeightGradient(Tensor<Float>(repeating: 1, shape: [4, 2]), sliceSquares: Tensor(repeating: 1, shape: [3]))
        #expect(throws: LayerError.self) { try state.apply(.adam(), gradients: [gradient], to: &weights) }
        #expect(weights[0].scalars == [Float](repeating: 1, count: 8))
    }

    @Test("an Embedding's gradient holds the rows read with a gradient, summed as the dense table")
    func embeddingGradientIsItsRows() throws {
        let layer = try Embedding<Float>(inputDim: 30, outputDim: 4)
        let indices = try Tensor<Float>(shape: [2, 5], scalars: [3, 7, 3, 0, 29, 7, 7, 12, 0, 0])
        var generator = RandomGenerator(seed: 5)
        var g = (0..<40).map { _ in Float.random(in: -1...1, using: &generator) }
        for j in 32..<40 { g[j] = 0 }  // the last two lookups (row 0) give no gradient
        _ = try layer.forwardRecording(indices, mask: nil, initialState: [], training: true)
        let gradients = try layer.backward([Tensor(shape: [2, 5, 4], scalars: g)])
        let gradient = gradients.weightGradients[0]
        #expect(gradient.rows == [0, 3, 7, 12, 29])
        var table = [Float](repeating: 0, count: 120), squares = table
        for (position, index) in indices.scalars.enumerated() {
            for j in 0..<4 {
                table[Int(index) * 4 + j] += g[position * 4 + j]
                squares[Int(index) * 4 + j] += g[position * 4 + j] * g[position * 4 + j]
            }
        }
        #expect(gradients.weights[0].scalars == table)
        #expect(gradients.sliceSquares[0]?.scalars == squares)
    }
}
