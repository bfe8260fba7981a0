import SwiftGRU

/// Keras 2's conversion of `CuDNNGRU` and `CuDNNLSTM` weights to the `GRU` (reset_after)
/// and `LSTM` layouts, recognized as Keras 2 does by the bias: `6 * units` values for a GRU
/// (both bias rows in one), `8 * units` for an LSTM (cuDNN's two halves).
///
/// cuDNN keeps each gate's input kernel in column-major order and each recurrent kernel
/// transposed; the conversion undoes both, gate by gate.
enum CuDNNWeights {
    /// `weights` for `layer`, converted when they are in cuDNN's layout; unchanged otherwise.
    /// A `Bidirectional` layer's two halves are converted each for its own layer.
    static func converted(_ weights: [Tensor<Float>], for layer: any Layer<Float>) throws -> [Tensor<Float>] {
        if let bidirectional = layer as? Bidirectional<Float> {
            let half = weights.count / 2
            guard weights.count == 2 * half, half > 0 else { return weights }
            return try converted(Array(weights[..<half]), for: bidirectional.forwardLayer)
                + converted(Array(weights[half...]), for: bidirectional.backwardLayer)
        }
        guard weights.count == 3, weights[1].rank == 2 else { return weights }
        let units = weights[1].shape[0]
        if let gru = layer as? GRU<Float>, gru.resetAfter, weights[2].shape == [6 * units] {
            return try convert(weights, gates: 3, units: units) { bias in try bias.reshaped(to: [2, 3 * units]) }
        }
        if layer is LSTM<Float>, weights[2].shape == [8 * units] {
            return try convert(weights, gates: 4, units: units) { bias in
                try Tensor(shape: [4 * units], scalars: (0..<(4 * units)).map { bias.scalars[$0] + bias.scalars[4 * units + $0] })
            }
        }
        return weights
    }

    private static func convert(
        _ weights: [Tensor<Float>], gates: Int, units: Int, bias: (Tensor<Float>) throws -> Tensor<Float>
    ) throws -> [Tensor<Float>] {
        let (kernel, recurrent) = (weights[0], weights[1])
        guard kernel.rank == 2, kernel.shape[1] == gates * units, recurrent.shape == [units, gates * units] else {
            throw FileFormatError("cuDNN weights of shapes \(weights.map(\.shape)) do not fit \(units) units")
        }
        let inputs = kernel.shape[0]
        var newKernel = kernel.scalars, newRecurrent = recurrent.scalars
        for gate in 0..<gates {
            let column = gate * units
            // Keras 2: `k.T.reshape(k.shape, order="F")` for each gate's (inputs, units) block k.
            for r in 0..<inputs {
                for c in 0..<units {
                    let flat = c * inputs + r
                    newKernel[r * gates * units + column + c] = kernel.scalars[(flat / units) * gates * units + column + flat % units]
                }
            }
            for r in 0..<units {
                for c in 0..<units {
                    newRecurrent[r * gates * units + column + c] = recurrent.scalars[c * gates * units + column + r]
                }
            }
        }
        return [
            try Tensor(shape: kernel.shape, scalars: newKernel), try Tensor(shape: recurrent.shape, scalars: newRecurrent),
            try bias(weights[2]),
        ]
    }
}
