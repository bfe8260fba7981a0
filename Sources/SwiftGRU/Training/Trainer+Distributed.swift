/// Data-parallel training: one step of a worker's share, the weights and metrics made the same on every worker.
extension Trainer {
    /// One step of data-parallel training on the global batch `rows`: this worker's share
    /// forward and backward, one sum over the workers, the same update everywhere.
    ///
    /// - Returns: The batch's loss and outputs' losses, and this worker's outputs (`nil` when
    ///   its share is empty: it then computes one row with no weight, to give zeros).
    func distributedStep(
        rows: [Int], x: [any BatchSource<Scalar>], y: [any BatchSource<Scalar>], classWeight: [Int: Double]?,
        sampleWeight: Tensor<Scalar>?, reducer: any GradientReducer
    ) throws -> (loss: Scalar, perOutput: [Scalar?], outputs: [(Tensor<Scalar>, Tensor<Bool>?)]?, y: [Tensor<Scalar>], weights: Tensor<Scalar>?) {
        let share = reducer.share(of: rows.count)
        let mine = share.isEmpty ? Array(rows.prefix(1)) : Array(rows[share])
        let fraction = share.isEmpty ? 0 : Double(share.count) / Double(rows.count)
        let (inputs, batchY) = try batch(mine, x: x, y: y)
        let batchWeights = try classWeight.map { try classWeights($0, target: batchY[0]) } ?? sampleWeight?.gathering(mine)
        // Masks and noise are drawn for the whole batch, this share's rows kept (BatchShare).
        let (value, perOutput, gradients, _, outputs) = try BatchShare.$current.withValue(
            BatchShare(offset: share.isEmpty ? 0 : share.lowerBound, rows: mine.count, total: rows.count)
        ) {
            try computeGradients(x: inputs, y: batchY, training: true, inputGradients: false, sampleWeight: batchWeights)
        }
        let weightGradients = gradients.flatMap(\.weightGradients).map(\.densified)
        let squares = weightGradients.map(\.sliceSquares), absolutes = weightGradients.map(\.sliceAbsolutes)
        let keptShapes = model.layers.filter(\.trainable).map { layer in
            let weights = layer.weights
            return layer.keptWeightIndices.map { weights[$0].shape }
        }
        // One buffer: gradients and slice squares weighted by this worker's share, the kept
        // weights to average, the losses.
        var buffer = [Double]()
        for gradient in weightGradients { buffer += gradient.values.map { Double($0) * fraction } }
        for case let square? in squares { buffer += square.map { Double($0) * fraction * fraction } }
        for case let absolute? in absolutes { buffer += absolute.map { Double($0) * fraction } }
        for layer in model.layers where layer.trainable {
            let weights = layer.weights
            for weight in layer.keptWeightIndices.map({ weights[$0] }) {
                buffer += weight.scalars.map { Double($0) / Double(reducer.size) }
            }
        }
        buffer.append(Double(value) * fraction)
        for output in perOutput { buffer.append(Double(output ?? 0) * fraction) }
        try reducer.sum(&buffer)
        var at = 0
        func take(_ shape: [Int]) throws -> Tensor<Scalar> {
            let count = shape.reduce(1, *)
            defer { at += count }
            return try Tensor(shape: shape, scalars: buffer[at..<(at + count)].map { Scalar($0) })
        }
        let summed = try weightGradients.map { try take($0.shape) }
        let summedSquares = try zip(weightGradients, squares).map { gradient, square in try square.map { _ in try take(gradient.shape) } }
        let summedAbsolutes = try zip(weightGradients, absolutes).map { gradient, absolute in try absolute.map { _ in try take(gradient.shape) } }
        let kept = try keptShapes.map { try $0.map { try take($0) } }
        let loss = Scalar(buffer[at])
        let losses = perOutput.indices.map { $0 + at + 1 < buffer.count && perOutput[$0] != nil ? Scalar(buffer[at + 1 + $0]) : nil }
        try applyUpdate(
            summed.indices.map { WeightGradient(summed[$0], sliceSquares: summedSquares[$0], sliceAbsolutes: summedAbsolutes[$0]) }, kept: kept)
        return (loss, losses, share.isEmpty ? nil : outputs, batchY, batchWeights)
    }

    /// Makes every worker's weights worker 0's.
    func synchronizeWeights(_ reducer: any GradientReducer) throws {
        var values = model.layers.flatMap { $0.weights.flatMap { $0.scalars.map { Double($0) } } }
        try reducer.broadcast(&values, from: 0)
        var at = 0
        for layer in model.layers where !layer.weights.isEmpty {
            let weights = try layer.weights.map { weight -> Tensor<Scalar> in
                defer { at += weight.scalarCount }
                return try Tensor(shape: weight.shape, scalars: values[at..<(at + weight.scalarCount)].map { Scalar($0) })
            }
            try layer.setWeights(weights)
        }
    }

    /// Adds up the metrics' sums over the workers.
    func reduceMetrics(_ accumulators: inout [[MetricAccumulator]], _ reducer: any GradientReducer) throws {
        var sums = accumulators.joined().flatMap(\.sums)
        var counts = [Double(sums.count)]
        try reducer.sum(&counts)
        guard counts[0] == Double(sums.count * reducer.size) else {
            throw LayerError(.invalidArgument, "the workers' metrics do not match (a worker saw no batch of this epoch: use a batch size of at least the number of workers)")
        }
        try reducer.sum(&sums)
        var at = 0
        for output in accumulators.indices {
            for k in accumulators[output].indices {
                let count = accumulators[output][k].sums.count
                accumulators[output][k].sums = Array(sums[at..<(at + count)])
                at += count
            }
        }
    }

    /// Before the first step: every worker's data, arguments and model against worker 0's,
    /// since the sums that follow would mix buffers of different sizes. One sum gathers each
    /// worker's row of `fields`, so that every worker names the workers that differ and stops.
    ///
    /// - Throws: ``LayerError`` naming each worker and field that differs from worker 0's.
    func checkAgreement(_ reducer: any GradientReducer, _ fields: [(name: String, value: Double)]) throws {
        let width = fields.count
        var table = [Double](repeating: 0, count: width * reducer.size)
        for (k, field) in fields.enumerated() { table[reducer.rank * width + k] = field.value }
        try reducer.sum(&table)
        func shown(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value) }
        var differences = [String]()
        for worker in 1..<reducer.size {
            for (k, field) in fields.enumerated() where table[worker * width + k] != table[k] {
                differences.append("process \(worker) has \(field.name) \(shown(table[worker * width + k])) where process 0 has \(shown(table[k]))")
            }
        }
        guard differences.isEmpty else {
            throw LayerError(.invalidArgument, "the processes do not train alike: " + differences.joined(separator: "; "))
        }
    }

    /// A number that tells lists of shapes apart, the same in every process (FNV-1a, 52 bits,
    /// exact as a Double).
    static func fingerprint(_ shapes: [[Int]]) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in shapes.flatMap({ [-1] + $0 }) {
            hash ^= UInt64(bitPattern: Int64(value))
            hash = hash &* 0x100_0000_01b3
        }
        return Double(hash & 0xF_FFFF_FFFF_FFFF)
    }
}
