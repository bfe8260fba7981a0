@_spi(GRUKernels) import GRUTensor

/// A one-row, reset-after GRU (sigmoid gates, tanh candidate) restricted to a range of
/// units, so that two cores can share the steps of a single sequence: each projects the
/// inputs onto its own gate columns and reads only its part of the recurrent kernel, which
/// is what bounds a one-row step.
/// Immutable once made, so calls on any thread may share one.
final class GRUUnitSlice<S: TensorScalar>: Sendable {
    /// The units this slice computes.
    let units: Range<Int>
    private let totalUnits: Int
    let inputSize: Int
    /// The kernels' columns of these units, gate by gate: `(inputSize, 3 * units.count)` and
    /// `(totalUnits, 3 * units.count)`.
    private let inputKernel: PackedGateKernel<S>
    private let recurrentKernel: PackedGateKernel<S>
    /// The biases of these units, gate by gate.
    private let inputBias: [S]?
    private let recurrentBias: [S]?

    /// Whether the scalar type has the fused gate kernel that slices need.
    static var isAvailable: Bool { S.hasFusedResetAfterGates }

    init(spec: GRUSpec, weights: GRUWeights<S>, units: Range<Int>) {
        self.units = units
        let u = spec.units, n = units.count
        totalUnits = u
        /// The columns of `units` in each gate block of rows of `3 * u` values.
        func gateColumns(_ source: UnsafeBufferPointer<S>, rows: Int) -> [S] {
            [S](unsafeUninitializedCapacity: rows * 3 * n) { columns, initialized in
                guard let target = columns.baseAddress, let base = source.baseAddress else { initialized = 0; return }
                for p in 0..<rows {
                    for g in 0..<3 { (target + p * 3 * n + g * n).initialize(from: base + p * 3 * u + g * u + units.lowerBound, count: n) }
                }
                initialized = rows * 3 * n
            }
        }
        func gateColumns(_ tensor: Tensor<S>, rows: Int) -> Tensor<S> {
            Tensor(uncheckedShape: [rows, 3 * n], scalars: tensor.withUnsafeBufferPointer { gateColumns($0, rows: rows) })
        }
        let f = spec.inputSize
        inputSize = f
        inputKernel = PackedGateKernel(gateColumns(weights.kernel, rows: f), units: n, groups: [0..<3])
        recurrentKernel = PackedGateKernel(gateColumns(weights.recurrentKernel, rows: u), units: n, groups: [0..<3], rows: 1)
        inputBias = weights.inputBias(spec).map { bias in bias.withUnsafeBufferPointer { gateColumns($0, rows: 1) } }
        recurrentBias = weights.recurrentBias(spec).map { bias in bias.withUnsafeBufferPointer { gateColumns($0, rows: 1) } }
    }

    /// Writes the input projections of this slice's gate columns for `rows` rows of `x`
    /// (rows of `inputSize`), `3 * units.count` values per row, bias included.
    func project(_ x: UnsafePointer<S>, rows: Int, inputSize: Int, into projected: UnsafeMutablePointer<S>) {
        inputBias.withBaseAddress {
            inputKernel.multiply(x, rows: rows, lda: inputSize, group: 0, bias: $0, into: projected, ldc: 3 * units.count)
        }
    }

    /// Advances this slice's units of one row by one step.
    ///
    /// - Parameters:
    ///   - state: The row's whole state before the step, `totalUnits` values.
    ///   - projected: The step's input projections from ``project(_:rows:inputSize:into:)``.
    ///   - newState: The row's state after the step; only this slice's units are written.
    ///   - record: When given, receives z, r, the candidate and the recurrent candidate
    ///     projection of these units in the ``GRUStepRecord`` blocks, `recordStride` apart.
    ///   - workspace: At least `3 * units.count` scalars.
    func step(
        state: UnsafePointer<S>, projected: UnsafePointer<S>, newState: UnsafeMutablePointer<S>,
        record: UnsafeMutablePointer<S>?, recordStride: Int, workspace: UnsafeMutablePointer<S>
    ) {
        let n = units.count, j0 = units.lowerBound
        recurrentBias.withBaseAddress {
            recurrentKernel.multiply(state, rows: 1, lda: totalUnits, group: 0, bias: $0, into: workspace, ldc: 3 * n)
        }
        _ = S.fusedResetAfterGates(
            rows: 1, units: n, hm: workspace, x: projected, xStride: 3 * n, state: state + j0, output: newState + j0,
            record: record.map { $0 + j0 }, recordStride: recordStride,
            recordBlocks: (GRUStepRecord.z, GRUStepRecord.r, GRUStepRecord.candidate, GRUStepRecord.auxiliary))
    }
}
