@_spi(GRUKernels) import GRUTensor

/// Sequences laid out for a device kernel: step-major `(steps, batch, width)`, row `b`
/// holding its `lengths[b]` steps first and padding after them, as cuDNN's padded
/// sequence-major layout reads them.
package struct PackedSequences<S: TensorScalar>: Sendable {
    /// `batch * steps * width` values.
    package var values: [S]
    package var batch: Int
    package var steps: Int
    package var width: Int
    /// Steps of each row, each in `1...steps`.
    package var lengths: [Int32]

    package init(values: [S], batch: Int, steps: Int, width: Int, lengths: [Int32]) {
        self.values = values
        self.batch = batch
        self.steps = steps
        self.width = width
        self.lengths = lengths
    }
}

/// What a device keeps of a recorded forward pass for its backward pass.
package protocol GRUDeviceTape: AnyObject, Sendable {}

/// A device that runs a reset-after GRU with sigmoid gates, a tanh candidate and a bias
/// (cuDNN's GRU) over packed sequences, forwards and backwards.
///
/// The layer turns Keras' masks, `go_backwards` and time-major inputs into packed
/// sequences, so a device only ever sees rows that run forwards over their first steps.
package protocol GRUDeviceBackend: Sendable {
    /// The device, in words (for messages and benchmarks).
    var deviceDescription: String { get }

    /// Runs the GRU over `inputs` from `initialState` (`batch * units`).
    ///
    /// - Returns: The packed outputs (`(steps, batch, units)`, padding zero), the final
    ///   states (`batch * units`), and with `recording` what ``backward(_:outputGradient:finalStateGradient:)`` needs.
    func forward<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, inputs: PackedSequences<S>, initialState: [S], recording: Bool
    ) throws -> (output: [S], finalState: [S], tape: (any GRUDeviceTape)?)

    /// The gradients of a recorded call: `outputGradient` is packed like its outputs,
    /// `finalStateGradient` is `batch * units`. The input gradient comes back packed,
    /// `(steps, batch, inputSize)`.
    func backward<S: TensorScalar>(
        _ tape: any GRUDeviceTape, outputGradient: [S], finalStateGradient: [S]
    ) throws -> GRUSequenceGradients<S>
}

/// The device contract met on the CPU by ``GRUSequence``: the reference the GPU is tested
/// against, and what lets the layer's device path (packing, masks, dropout, gradients) be
/// tested on machines without a GPU.
package struct CPUPackedGRUBackend: GRUDeviceBackend {
    package init() {}

    package var deviceDescription: String { "CPU (packed-sequence reference)" }

    private final class Tape<S: TensorScalar>: GRUDeviceTape, @unchecked Sendable {
        let tape: GRUSequenceTape<S>
        let weights: GRUWeights<S>
        let packing: PackedSequences<S>
        init(_ tape: GRUSequenceTape<S>, _ weights: GRUWeights<S>, _ packing: PackedSequences<S>) {
            self.tape = tape
            self.weights = weights
            self.packing = packing
        }
    }

    private static func mask<S>(_ inputs: PackedSequences<S>) throws -> Tensor<Bool> {
        var values = [Bool](repeating: false, count: inputs.batch * inputs.steps)
        for b in 0..<inputs.batch {
            for t in 0..<min(Int(inputs.lengths[b]), inputs.steps) { values[b * inputs.steps + t] = true }
        }
        return try Tensor(shape: [inputs.batch, inputs.steps], scalars: values)
    }

    package func forward<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, inputs: PackedSequences<S>, initialState: [S], recording: Bool
    ) throws -> (output: [S], finalState: [S], tape: (any GRUDeviceTape)?) {
        let x = try Tensor(shape: [inputs.steps, inputs.batch, inputs.width], scalars: inputs.values)
        let h0 = try Tensor(shape: [inputs.batch, spec.units], scalars: initialState)
        let options = GRUSequenceOptions(timeMajor: true, zeroOutputForMask: true, returnSequences: true)
        let mask = try Self.mask(inputs)
        if recording {
            let (output, tape) = try GRUSequence.forwardRecording(
                spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0, dropout: .none, options: options)
            return (output.output.scalars, output.finalState.scalars, Tape(tape, weights, inputs))
        }
        let output = try GRUSequence.forward(
            spec: spec, weights: weights, inputs: x, mask: mask, initialState: h0, dropout: .none, options: options)
        return (output.output.scalars, output.finalState.scalars, nil)
    }

    package func backward<S: TensorScalar>(
        _ tape: any GRUDeviceTape, outputGradient: [S], finalStateGradient: [S]
    ) throws -> GRUSequenceGradients<S> {
        guard let tape = tape as? Tape<S> else { throw TensorError("the tape was recorded by another device or scalar type") }
        let packing = tape.packing, u = tape.tape.spec.units
        return try GRUSequence.backward(
            tape.tape, weights: tape.weights,
            outputGradient: Tensor(shape: [packing.steps, packing.batch, u], scalars: outputGradient),
            finalStateGradient: Tensor(shape: [packing.batch, u], scalars: finalStateGradient),
            computeInputGradient: true)
    }
}
