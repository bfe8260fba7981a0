import GRUMath
@_spi(GRUKernels) import GRUTensor
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The GRU on an NVIDIA GPU through cuDNN's RNN API: weights stay on the GPU while they
/// are unchanged, calls are serialized on one cuDNN handle.
package final class CuDNNGRUBackend: GRUDeviceBackend, @unchecked Sendable {
    package let libraries: CUDALibraries
    /// The work space, grown as calls need; held under the lock that serializes calls.
    private let work = Mutex<DeviceBuffer?>(nil)

    /// The backend, or why there is none on this machine; looked for once per process.
    package static let shared: Result<CuDNNGRUBackend, GPUError> = CUDALibraries.shared.map { CuDNNGRUBackend($0) }

    private init(_ libraries: CUDALibraries) { self.libraries = libraries }

    package var deviceDescription: String { libraries.summary }

    /// `GRU_CUDNN_ALGORITHM`: `standard`, `persistent` or `small-h` to choose cuDNN's
    /// algorithm for every call it fits; unset (or `auto`) lets ``algorithm(batch:units:equalLengths:)`` choose.
    static let algorithmSetting: CuDNNAlgorithm? = getenv("GRU_CUDNN_ALGORITHM").flatMap {
        CuDNNAlgorithm(rawValue: String(cString: $0).lowercased())
    }

    /// The algorithm of a call. cuDNN's persistent kernels keep the recurrent weights on the
    /// chip for the whole sequence and need rows of equal length. Measured on an H200
    /// (BENCHMARKS.md): the kernels for small hidden sizes (up to 128 units; cuDNN refuses
    /// 256) run 5 to 14 times faster than the standard algorithm at any batch size, and the
    /// general persistent ones 2 to 10 times faster up to 8 sequences but slower from 32 on.
    package static func algorithm(batch: Int, units: Int, equalLengths: Bool) -> CuDNNAlgorithm {
        guard equalLengths else { return .standard }
        if let algorithmSetting { return algorithmSetting }
        if units <= 128 { return .persistentSmallHidden }
        return batch <= 8 ? .persistent : .standard
    }

    /// A call with `algorithm`, or with the standard algorithm when cuDNN does not support
    /// that one for this shape; and the call's work-space size.
    func makeCall(
        _ weights: CuDNNGRUWeights, rows: CuDNNRowOrder, algorithm: CuDNNAlgorithm, training: Bool
    ) throws -> (call: CuDNNGRUCall, work: Int) {
        if algorithm != .standard, let call = try? CuDNNGRUCall(weights, rows: rows, algorithm: algorithm),
           let sizes = try? call.spaceSizes(training: training) {
            return (call, sizes.work)
        }
        let call = try CuDNNGRUCall(weights, rows: rows, algorithm: .standard)
        return (call, try call.spaceSizes(training: training).work)
    }

    private func workSpace(_ current: inout DeviceBuffer?, _ bytes: Int) throws -> DeviceBuffer {
        if let current, current.bytes >= bytes { return current }
        current = nil
        let made = try DeviceBuffer(libraries, bytes: max(bytes, 1))
        current = made
        return made
    }

    func deviceWeights<S: TensorScalar>(_ spec: GRUSpec, _ weights: GRUWeights<S>) throws -> CuDNNGRUWeights {
        let copy = try weights.deviceCopy(spec) { try CuDNNGRUWeights(libraries, spec: spec, weights: weights) }
        guard copy.scalarSize == MemoryLayout<S>.stride else {
            return try CuDNNGRUWeights(libraries, spec: spec, weights: weights)
        }
        return copy
    }

    package func forward<S: TensorScalar>(
        spec: GRUSpec, weights: GRUWeights<S>, inputs: PackedSequences<S>, initialState: [S], recording: Bool
    ) throws -> (output: [S], finalState: [S], tape: (any GRUDeviceTape)?) {
        guard inputs.width == spec.inputSize, inputs.values.count == inputs.batch * inputs.steps * inputs.width,
              initialState.count == inputs.batch * spec.units else {
            throw GPUError("packed GRU inputs do not fit the layer")
        }
        let rows = CuDNNRowOrder(lengths: inputs.lengths, steps: inputs.steps)
        let algorithm = Self.algorithm(batch: inputs.batch, units: spec.units, equalLengths: rows.isIdentity)
        return try work.withLock { work in
            let (call, workBytes) = try makeCall(
                deviceWeights(spec, weights), rows: rows, algorithm: algorithm, training: recording)
            try call.input.upload(rows.compact(inputs.values, width: spec.inputSize))
            try call.initialState.upload(rows.permute(initialState, width: spec.units))
            try call.forward(training: recording, work: workSpace(&work, workBytes))
            let output = rows.expand(try call.output.download(call.outputCount, as: S.self), width: spec.units)
            let final = rows.unpermute(try call.finalState.download(inputs.batch * spec.units, as: S.self), width: spec.units)
            return (output, final, recording ? call : nil)
        }
    }

    package func backward<S: TensorScalar>(
        _ tape: any GRUDeviceTape, outputGradient: [S], finalStateGradient: [S]
    ) throws -> GRUSequenceGradients<S> {
        guard let call = tape as? CuDNNGRUCall, call.weights.scalarSize == MemoryLayout<S>.stride else {
            throw GPUError("the tape was not recorded by cuDNN for this scalar type")
        }
        let spec = call.weights.spec, rows = call.rows, b = rows.batch, t = rows.steps, size = MemoryLayout<S>.stride
        guard outputGradient.count == b * t * spec.units, finalStateGradient.count == b * spec.units else {
            throw GPUError("GRU output gradients do not fit the recorded call")
        }
        return try work.withLock { work in
            let dy = try DeviceBuffer(libraries, copying: rows.compact(outputGradient, width: spec.units))
            let dhy = try DeviceBuffer(libraries, copying: rows.permute(finalStateGradient, width: spec.units))
            let dx = try DeviceBuffer(libraries, bytes: call.inputCount * size)
            let dhx = try DeviceBuffer(libraries, bytes: b * spec.units * size)
            let dw = try DeviceBuffer(libraries, bytes: call.weights.space.bytes)
            let sizes = try call.spaceSizes(training: true)
            try call.backward(dy: dy, dhy: dhy, dx: dx, dhx: dhx, dw: dw, work: workSpace(&work, sizes.work))
            let inputs = rows.expand(try dx.download(call.inputCount, as: S.self), width: spec.inputSize)
            let initial = rows.unpermute(try dhx.download(b * spec.units, as: S.self), width: spec.units)
            let weights = try call.weights.layout.unpack(try dw.download(call.weights.layout.count, as: S.self), spec: spec)
            return GRUSequenceGradients(
                inputs: try Tensor(shape: [t, b, spec.inputSize], scalars: inputs),
                initialState: try Tensor(shape: [b, spec.units], scalars: initial),
                kernel: weights.kernel, recurrentKernel: weights.recurrentKernel, bias: weights.bias)
        }
    }
}
