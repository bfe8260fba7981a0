@_spi(GRUKernels) import GRUTensor

/// The input side of a GRU call: `x @ kernel + inputBias` for rows of the inputs, with
/// the kernel packed once for all of them (per gate when dropout gives each gate its own
/// input mask).
/// Immutable once made, so calls on any thread may share one.
final class GRUInputProjection<S: TensorScalar>: Sendable {
    private let spec: GRUSpec
    private let kernel: PackedGateKernel<S>
    private let bias: [S]?

    /// Prepares the projection of `weights`.
    ///
    /// - Parameters:
    ///   - perGate: Pack each gate's columns on their own (three input dropout masks).
    ///   - rows: The most rows one product will have, when known.
    init(spec: GRUSpec, weights: GRUWeights<S>, perGate: Bool, rows: Int = .max) {
        self.spec = spec
        kernel = PackedGateKernel(
            weights.kernel, units: spec.units, groups: perGate ? [0..<1, 1..<2, 2..<3] : [0..<3], rows: rows, precision: spec.precision)
        bias = weights.inputBias(spec).map(Array.init)
    }

    /// Writes the projections of rows `rows` of `x` (no dropout), row `r` at `out + r * 3 * units`.
    /// Needs the projection prepared without `perGate`.
    func project(_ x: UnsafePointer<S>, rows: Range<Int>, into out: UnsafeMutablePointer<S>) {
        let f = spec.inputSize, width = 3 * spec.units
        bias.withBaseAddress { bias in
            kernel.multiply(
                x + rows.lowerBound * f, rows: rows.count, lda: f, group: 0, bias: bias,
                into: out + rows.lowerBound * width, ldc: width)
        }
    }

    /// Writes the projections of `rows` rows of `x`, `lda` apart, to consecutive rows at `out`,
    /// each row on the same kernel however many rows there are.
    ///
    /// - Parameter gate: With the projection prepared `perGate`, the gate whose columns are
    ///   written; else 0, all three.
    func project(_ x: UnsafePointer<S>, rows: Int, lda: Int, gate: Int = 0, into out: UnsafeMutablePointer<S>) {
        bias.withBaseAddress { bias in
            kernel.multiply(x, rows: rows, lda: lda, group: gate, bias: bias, into: out, ldc: 3 * spec.units, everyRow: true)
        }
    }

    /// The projections of all `rows` rows of `x`, `(x * mask) @ kernel + inputBias`, split
    /// over the cores when the product is large.
    ///
    /// - Parameters:
    ///   - batchIndex: Maps a row to the batch entry whose dropout mask applies.
    ///   - inputMasks: Zero, one (all gates) or three (one per gate, which needs the
    ///     projection prepared with `perGate`) masks of shape `(batch, inputSize)`.
    /// - Returns: `rows * 3 * units` values.
    func projectAll(_ x: UnsafeBufferPointer<S>, rows: Int, batchIndex: (Int) -> Int, inputMasks: [Tensor<S>]) -> [S] {
        let f = spec.inputSize, u = spec.units, width = 3 * u
        guard rows > 0, u > 0 else { return [] }
        var out: [S] = uninitializedArray(count: rows * width)
        out.withUnsafeMutableBufferPointer { out in
            guard let target = out.baseAddress else { return }
            bias.withBaseAddress { bias in
                func project(_ source: UnsafePointer<S>, group: Int, columns: Int) {
                    // Rows are independent: split them over the cores when the product is large, in
                    // a few chunks per core (of at least 128 rows) so that a core slowed by other
                    // work hands chunks to the other.
                    let workers = parallelWorkers(total: rows * columns * f, minimumPerWorker: 1 << 22)
                    let chunks = workers == 1 ? 1 : Swift.max(workers, Swift.min(4 * workers, rows / 128))
                    let chunk = (rows + chunks - 1) / chunks
                    // A last chunk of a few rows joins the one before: products of one to four
                    // rows run on other kernels, and each row's values must not depend on the split.
                    var pieces = (rows + chunk - 1) / chunk
                    if pieces > 1, rows - (pieces - 1) * chunk < 5 { pieces -= 1 }
                    parallelFor(pieces) { worker in
                        let r0 = worker * chunk, n = worker == pieces - 1 ? rows - r0 : chunk
                        kernel.multiply(source + r0 * f, rows: n, lda: f, group: group, bias: bias, into: target + r0 * width, ldc: width)
                    }
                }
                guard !inputMasks.isEmpty else {
                    // An empty input (no features) projects to the bias alone.
                    withExtendedPointer(x) { project($0, group: 0, columns: width) }
                    return
                }
                var masked: [S] = uninitializedArray(count: rows * f)
                for (gate, mask) in inputMasks.enumerated() {
                    masked.withUnsafeMutableBufferPointer { masked in
                        mask.withUnsafeBufferPointer { mask in
                            for r in 0..<rows {
                                let m = batchIndex(r) * f
                                for i in 0..<f { masked[r * f + i] = x[r * f + i] * mask[m + i] }
                            }
                        }
                        withExtendedPointer(UnsafeBufferPointer(masked)) {
                            project($0, group: inputMasks.count == 1 ? 0 : gate, columns: inputMasks.count == 1 ? width : u)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Calls `body` with the buffer's base address, or with a valid dummy address when the
    /// buffer is empty (zero features: nothing is read).
    private func withExtendedPointer(_ buffer: UnsafeBufferPointer<S>, _ body: (UnsafePointer<S>) -> Void) {
        if let base = buffer.baseAddress { body(base); return }
        var dummy: S = 0
        withUnsafePointer(to: &dummy) { body($0) }
    }
}
