import GRUMath
@_spi(GRUKernels) import GRUTensor

/// Where cuDNN keeps a GRU's weights in its weight space, and the conversion from and to
/// Keras' layout.
///
/// cuDNN has six linear layers: 0, 1, 2 read the input for the reset gate, the update gate
/// and the candidate; 3, 4, 5 read the state for the same gates. Each matrix is
/// `(units, inputs)` row-major (Keras' kernel columns, transposed) and each has its own bias:
/// Keras' bias row 0 goes with the input layers, row 1 with the recurrent ones. Keras orders
/// the gates z, r, h; cuDNN r, z, h.
package struct CuDNNGRUWeightLayout: Sendable, Equatable {
    /// Scalars in the weight space.
    package var count: Int
    /// Offset in scalars of each linear layer's matrix.
    package var matrices: [Int]
    /// Offset in scalars of each linear layer's bias.
    package var biases: [Int]

    /// Keras' gate index (z 0, r 1, h 2) of cuDNN's linear layers 0, 1, 2 (and 3, 4, 5).
    static let kerasGate = [1, 0, 2]

    package init(count: Int, matrices: [Int], biases: [Int]) {
        self.count = count
        self.matrices = matrices
        self.biases = biases
    }

    /// The six matrices one after the other, then the six biases: how cuDNN lays out one
    /// unidirectional layer (the real offsets are read from cuDNN at run time).
    package static func contiguous(_ spec: GRUSpec) -> CuDNNGRUWeightLayout {
        let u = spec.units, f = spec.inputSize
        let sizes = [u * f, u * f, u * f, u * u, u * u, u * u]
        var matrices = [Int](), offset = 0
        for size in sizes {
            matrices.append(offset)
            offset += size
        }
        let biases = (0..<6).map { offset + $0 * u }
        return CuDNNGRUWeightLayout(count: offset + 6 * u, matrices: matrices, biases: biases)
    }

    /// Checks that every matrix and bias lies inside the space and none overlap.
    package func validate(_ spec: GRUSpec) throws {
        let u = spec.units, f = spec.inputSize
        var ranges = [Range<Int>]()
        for layer in 0..<6 {
            ranges.append(matrices[layer]..<(matrices[layer] + u * (layer < 3 ? f : u)))
            ranges.append(biases[layer]..<(biases[layer] + u))
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        for (k, range) in ranges.enumerated() {
            guard range.lowerBound >= 0, range.upperBound <= count, k == 0 || ranges[k - 1].upperBound <= range.lowerBound else {
                throw GPUError("cuDNN's weight layout for this GRU is not the one expected (matrices \(matrices), biases \(biases), \(count) scalars)")
            }
        }
    }

    /// Keras' weights as cuDNN's weight space.
    ///
    /// - Throws: ``GPUError`` when the GRU has no reset-after bias.
    package func pack<S: TensorScalar>(_ weights: GRUWeights<S>, spec: GRUSpec) throws -> [S] {
        guard let bias = weights.bias, spec.resetAfter else { throw GPUError("cuDNN's GRU needs the reset-after bias (2, 3 * units)") }
        let u = spec.units, f = spec.inputSize, width = 3 * u
        var space = [S](repeating: 0, count: count)
        let kernel = weights.kernel.scalars, recurrent = weights.recurrentKernel.scalars, b = bias.scalars
        for layer in 0..<6 {
            let gate = Self.kerasGate[layer % 3], input = layer < 3
            let source = input ? kernel : recurrent, rows = input ? f : u
            for j in 0..<u {
                for i in 0..<rows { space[matrices[layer] + j * rows + i] = source[i * width + gate * u + j] }
                space[biases[layer] + j] = b[(input ? 0 : width) + gate * u + j]
            }
        }
        return space
    }

    /// A weight space (of weights or of gradients) in Keras' layout: kernel, recurrent kernel, bias.
    ///
    /// - Throws: ``GPUError`` when the space has the wrong size.
    package func unpack<S: TensorScalar>(_ space: [S], spec: GRUSpec) throws -> (kernel: Tensor<S>, recurrentKernel: Tensor<S>, bias: Tensor<S>) {
        guard space.count == count else { throw GPUError("a cuDNN weight space of \(space.count) scalars, expected \(count)") }
        let u = spec.units, f = spec.inputSize, width = 3 * u
        var kernel = [S](repeating: 0, count: f * width)
        var recurrent = [S](repeating: 0, count: u * width)
        var bias = [S](repeating: 0, count: 2 * width)
        for layer in 0..<6 {
            let gate = Self.kerasGate[layer % 3], input = layer < 3, rows = input ? f : u
            for j in 0..<u {
                for i in 0..<rows {
                    let value = space[matrices[layer] + j * rows + i]
                    if input { kernel[i * width + gate * u + j] = value } else { recurrent[i * width + gate * u + j] = value }
                }
                bias[(input ? 0 : width) + gate * u + j] = space[biases[layer] + j]
            }
        }
        return (
            try Tensor(shape: [f, width], scalars: kernel), try Tensor(shape: [u, width], scalars: recurrent),
            try Tensor(shape: [2, width], scalars: bias))
    }
}
