import CGRUCUDA
import GRUMath
@_spi(GRUKernels) import GRUTensor

/// The cuDNN enumeration values this backend passes (from cuDNN's headers).
enum CuDNNConstant {
    static let float: Int32 = 0
    static let double: Int32 = 1
    static let gru: Int32 = 3
    static let doubleBias: Int32 = 2
    static let unidirectional: Int32 = 0
    static let linearInput: Int32 = 0
    /// Plain FMA arithmetic: no TF32 tensor cores, so results match the CPU in float32.
    static let fmaMath: Int32 = 3
    static let paddedIOEnabled: UInt32 = 1
    static let inference: Int32 = 0
    static let training: Int32 = 1
    static let sequenceMajorUnpacked: Int32 = 0
    static let sequenceMajorPacked: Int32 = 1
    static let addGradient: Int32 = 0

    static func dataType<S: TensorScalar>(_: S.Type) throws -> Int32 {
        switch MemoryLayout<S>.size {
        case 4: return float
        case 8: return double
        default: throw GPUError("cuDNN's GRU runs float32 and float64 only")
        }
    }
}

/// cuDNN's RNN algorithms: one kernel per step, or persistent kernels that keep the
/// recurrent weights on the chip for the whole sequence (rows of equal length only).
package enum CuDNNAlgorithm: String, Sendable, CaseIterable {
    case standard
    case persistent
    /// The persistent kernels for small hidden sizes.
    case persistentSmallHidden = "small-h"

    var value: Int32 {
        switch self {
        case .standard: 0
        case .persistent: 1
        case .persistentSmallHidden: 3
        }
    }
}

/// A cuDNN descriptor, destroyed with its owner.
final class CuDNNDescriptor: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    private let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Int32

    init(
        _ libraries: CUDALibraries, _ what: String,
        create: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32,
        destroy: @escaping @convention(c) (UnsafeMutableRawPointer?) -> Int32
    ) throws {
        var pointer: UnsafeMutableRawPointer?
        try libraries.check(cudnn: create(&pointer), "creating a cuDNN \(what) descriptor")
        guard let pointer else { throw GPUError("cuDNN returned no \(what) descriptor") }
        self.pointer = pointer
        self.destroy = destroy
    }

    deinit { _ = destroy(pointer) }
}

/// One GRU's cuDNN description and its weights on the GPU, kept with the host weights
/// (``GRUWeights/deviceCopy(_:make:)``) until one of them changes. Used under the backend's lock.
final class CuDNNGRUWeights: @unchecked Sendable {
    let libraries: CUDALibraries
    let spec: GRUSpec
    let dataType: Int32
    let scalarSize: Int
    private let dropout: CuDNNDescriptor
    /// RNN descriptors by algorithm and padded-IO setting (the weight space is the same for all).
    private var descriptors: [Int32: CuDNNDescriptor] = [:]
    let layout: CuDNNGRUWeightLayout
    let space: DeviceBuffer

    init<S: TensorScalar>(_ libraries: CUDALibraries, spec: GRUSpec, weights: GRUWeights<S>) throws {
        let api = libraries.api
        self.libraries = libraries
        self.spec = spec
        dataType = try CuDNNConstant.dataType(S.self)
        scalarSize = MemoryLayout<S>.stride
        dropout = try CuDNNDescriptor(libraries, "dropout", create: api.cudnnCreateDropoutDescriptor, destroy: api.cudnnDestroyDropoutDescriptor)
        try libraries.check(
            cudnn: api.cudnnSetDropoutDescriptor(dropout.pointer, libraries.handle, 0, nil, 0, 0), "cudnnSetDropoutDescriptor")
        let rnn = try Self.makeDescriptor(libraries, spec: spec, dataType: dataType, dropout: dropout, algorithm: .standard, paddedIO: false)
        descriptors[Self.key(.standard, false)] = rnn
        var bytes = 0
        try libraries.check(cudnn: api.cudnnGetRNNWeightSpaceSize(libraries.handle, rnn.pointer, &bytes), "cudnnGetRNNWeightSpaceSize")
        space = try DeviceBuffer(libraries, bytes: bytes)
        // Where each matrix and bias sits: addresses inside the space, read without touching it.
        let matrix = try CuDNNDescriptor(libraries, "tensor", create: api.cudnnCreateTensorDescriptor, destroy: api.cudnnDestroyTensorDescriptor)
        let bias = try CuDNNDescriptor(libraries, "tensor", create: api.cudnnCreateTensorDescriptor, destroy: api.cudnnDestroyTensorDescriptor)
        let base = Int(bitPattern: space.pointer)
        var matrices = [Int](), biases = [Int]()
        for layer in Int32(0)..<6 {
            var matrixAddress: UnsafeMutableRawPointer?, biasAddress: UnsafeMutableRawPointer?
            try libraries.check(
                cudnn: api.cudnnGetRNNWeightParams(
                    libraries.handle, rnn.pointer, 0, bytes, space.pointer, layer, matrix.pointer, &matrixAddress,
                    bias.pointer, &biasAddress),
                "cudnnGetRNNWeightParams")
            guard let matrixAddress, let biasAddress else { throw GPUError("cuDNN gave no address for GRU weights \(layer)") }
            matrices.append((Int(bitPattern: matrixAddress) - base) / scalarSize)
            biases.append((Int(bitPattern: biasAddress) - base) / scalarSize)
        }
        layout = CuDNNGRUWeightLayout(count: bytes / scalarSize, matrices: matrices, biases: biases)
        try layout.validate(spec)
        try space.upload(layout.pack(weights, spec: spec))
    }

    private static func key(_ algorithm: CuDNNAlgorithm, _ paddedIO: Bool) -> Int32 { algorithm.value * 2 + (paddedIO ? 1 : 0) }

    private static func makeDescriptor(
        _ libraries: CUDALibraries, spec: GRUSpec, dataType: Int32, dropout: CuDNNDescriptor, algorithm: CuDNNAlgorithm, paddedIO: Bool
    ) throws -> CuDNNDescriptor {
        let api = libraries.api
        guard let inputSize = Int32(exactly: spec.inputSize), let units = Int32(exactly: spec.units) else {
            throw GPUError("the GRU is too large for cuDNN")
        }
        let rnn = try CuDNNDescriptor(libraries, "RNN", create: api.cudnnCreateRNNDescriptor, destroy: api.cudnnDestroyRNNDescriptor)
        try libraries.check(
            cudnn: api.cudnnSetRNNDescriptor_v8(
                rnn.pointer, algorithm.value, CuDNNConstant.gru, CuDNNConstant.doubleBias,
                CuDNNConstant.unidirectional, CuDNNConstant.linearInput, dataType, dataType, CuDNNConstant.fmaMath,
                inputSize, units, units, 1, dropout.pointer, paddedIO ? CuDNNConstant.paddedIOEnabled : 0),
            "cudnnSetRNNDescriptor_v8")
        return rnn
    }

    /// The RNN descriptor for an algorithm, with padded input and output or without.
    func descriptor(algorithm: CuDNNAlgorithm, paddedIO: Bool) throws -> CuDNNDescriptor {
        if let made = descriptors[Self.key(algorithm, paddedIO)] { return made }
        let made = try Self.makeDescriptor(
            libraries, spec: spec, dataType: dataType, dropout: dropout, algorithm: algorithm, paddedIO: paddedIO)
        var bytes = 0
        try libraries.check(cudnn: libraries.api.cudnnGetRNNWeightSpaceSize(libraries.handle, made.pointer, &bytes), "cudnnGetRNNWeightSpaceSize")
        guard bytes == space.bytes else { throw GPUError("cuDNN's weight space differs between its GRU algorithms") }
        descriptors[Self.key(algorithm, paddedIO)] = made
        return made
    }
}

/// The descriptors and GPU buffers of one call over a batch: what the forward pass reads and
/// writes, and (recorded) what its backward pass reads.
final class CuDNNGRUCall: GRUDeviceTape, @unchecked Sendable {
    let weights: CuDNNGRUWeights
    let rows: CuDNNRowOrder
    let rnn: CuDNNDescriptor
    let x: CuDNNDescriptor, y: CuDNNDescriptor, h: CuDNNDescriptor
    let lengths: DeviceBuffer
    let input: DeviceBuffer, output: DeviceBuffer, initialState: DeviceBuffer, finalState: DeviceBuffer
    var reserve: DeviceBuffer?
    /// Scalars of the input and output buffers (packed: the sum of the lengths, times the width).
    let inputCount: Int, outputCount: Int
    private var libraries: CUDALibraries { weights.libraries }

    /// - Parameters:
    ///   - algorithm: cuDNN's algorithm; the persistent ones need rows of equal length.
    ///   - padded: cuDNN's padded sequence-major layout instead of the packed one (for
    ///     comparing the two; the layers use the packed one).
    init(_ weights: CuDNNGRUWeights, rows: CuDNNRowOrder, algorithm: CuDNNAlgorithm = .standard, padded: Bool = false) throws {
        let libraries = weights.libraries, api = libraries.api, spec = weights.spec, size = weights.scalarSize
        guard let b = Int32(exactly: rows.batch), let t = Int32(exactly: rows.steps),
              rows.sortedLengths.allSatisfy({ $0 >= 1 && $0 <= t }) else {
            throw GPUError("cuDNN needs every sequence length in 1...\(rows.steps)")
        }
        guard algorithm == .standard || rows.isIdentity else { throw GPUError("cuDNN's persistent GRU needs rows of equal length") }
        self.weights = weights
        self.rows = rows
        rnn = try weights.descriptor(algorithm: algorithm, paddedIO: padded)
        let layout = padded ? CuDNNConstant.sequenceMajorUnpacked : CuDNNConstant.sequenceMajorPacked
        let stored = padded ? rows.batch * rows.steps : rows.total
        inputCount = stored * spec.inputSize
        outputCount = stored * spec.units
        func data(_ width: Int) throws -> CuDNNDescriptor {
            let descriptor = try CuDNNDescriptor(
                libraries, "RNN data", create: api.cudnnCreateRNNDataDescriptor, destroy: api.cudnnDestroyRNNDataDescriptor)
            var fill = [UInt8](repeating: 0, count: size)
            try rows.sortedLengths.withUnsafeBufferPointer { lengths in
                try fill.withUnsafeMutableBytes { fill in
                    try libraries.check(
                        cudnn: api.cudnnSetRNNDataDescriptor(
                            descriptor.pointer, weights.dataType, layout, t, b, Int32(width), lengths.baseAddress,
                            padded ? fill.baseAddress : nil),
                        "cudnnSetRNNDataDescriptor")
                }
            }
            return descriptor
        }
        x = try data(spec.inputSize)
        y = try data(spec.units)
        h = try CuDNNDescriptor(libraries, "tensor", create: api.cudnnCreateTensorDescriptor, destroy: api.cudnnDestroyTensorDescriptor)
        let dims: [Int32] = [1, b, Int32(spec.units)], strides: [Int32] = [b * Int32(spec.units), Int32(spec.units), 1]
        try libraries.check(cudnn: api.cudnnSetTensorNdDescriptor(h.pointer, weights.dataType, 3, dims, strides), "cudnnSetTensorNdDescriptor")
        lengths = try DeviceBuffer(libraries, copying: rows.sortedLengths)
        input = try DeviceBuffer(libraries, bytes: inputCount * size)
        output = try DeviceBuffer(libraries, bytes: outputCount * size)
        initialState = try DeviceBuffer(libraries, bytes: rows.batch * spec.units * size)
        finalState = try DeviceBuffer(libraries, bytes: rows.batch * spec.units * size)
    }

    private var deviceLengths: UnsafePointer<Int32>? {
        lengths.pointer.map { UnsafePointer($0.assumingMemoryBound(to: Int32.self)) }
    }

    /// The work and reserve sizes of this call.
    func spaceSizes(training: Bool) throws -> (work: Int, reserve: Int) {
        var work = 0, reserve = 0
        try libraries.check(
            cudnn: libraries.api.cudnnGetRNNTempSpaceSizes(
                libraries.handle, rnn.pointer, training ? CuDNNConstant.training : CuDNNConstant.inference,
                x.pointer, &work, &reserve),
            "cudnnGetRNNTempSpaceSizes")
        return (work, reserve)
    }

    /// Runs cuDNN's forward pass on the uploaded input and initial state (asynchronously).
    func forward(training: Bool, work: DeviceBuffer) throws {
        let sizes = try spaceSizes(training: training)
        guard work.bytes >= sizes.work else { throw GPUError("the cuDNN work space is too small") }
        if training, reserve?.bytes != sizes.reserve { reserve = try DeviceBuffer(libraries, bytes: sizes.reserve) }
        let space = weights.space
        try libraries.check(
            cudnn: libraries.api.cudnnRNNForward(
                libraries.handle, rnn.pointer, training ? CuDNNConstant.training : CuDNNConstant.inference,
                deviceLengths, x.pointer, input.pointer, y.pointer, output.pointer, h.pointer, initialState.pointer,
                finalState.pointer, h.pointer, nil, nil, space.bytes, space.pointer, sizes.work, work.pointer,
                training ? sizes.reserve : 0, training ? reserve?.pointer : nil),
            "cudnnRNNForward")
    }

    /// Runs cuDNN's backward passes after a training forward pass: input and initial-state
    /// gradients into `dx` and `dhx`, weight gradients into `dw` (zeroed first).
    func backward(
        dy: DeviceBuffer, dhy: DeviceBuffer, dx: DeviceBuffer, dhx: DeviceBuffer, dw: DeviceBuffer, work: DeviceBuffer
    ) throws {
        guard let reserve else { throw GPUError("the GRU call was not recorded for training") }
        let sizes = try spaceSizes(training: true)
        guard work.bytes >= sizes.work else { throw GPUError("the cuDNN work space is too small") }
        let api = libraries.api, space = weights.space
        try libraries.check(
            cudnn: api.cudnnRNNBackwardData_v8(
                libraries.handle, rnn.pointer, deviceLengths, y.pointer, output.pointer, dy.pointer,
                x.pointer, dx.pointer, h.pointer, initialState.pointer, dhy.pointer, dhx.pointer, h.pointer, nil, nil,
                nil, space.bytes, space.pointer, sizes.work, work.pointer, reserve.bytes, reserve.pointer),
            "cudnnRNNBackwardData_v8")
        try dw.zero()
        try libraries.check(
            cudnn: api.cudnnRNNBackwardWeights_v8(
                libraries.handle, rnn.pointer, CuDNNConstant.addGradient, deviceLengths, x.pointer,
                input.pointer, h.pointer, initialState.pointer, y.pointer, output.pointer, space.bytes, dw.pointer,
                sizes.work, work.pointer, reserve.bytes, reserve.pointer),
            "cudnnRNNBackwardWeights_v8")
    }
}
