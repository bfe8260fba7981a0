@_spi(GRUKernels) import GRUTensor

/// The shape and the functions of one GRU cell: everything its math needs
/// besides the weights.
public struct GRUSpec: Sendable, Hashable {
    /// Size of the state and of the output.
    public var units: Int
    /// Size of each input step.
    public var inputSize: Int
    /// The candidate-state activation (`tanh` by default in Keras).
    public var activation: Activation
    /// The gate activation (`sigmoid` by default in Keras).
    public var recurrentActivation: Activation
    /// Whether the cell has a bias.
    public var useBias: Bool
    /// Whether the reset gate is applied after the recurrent matrix product
    /// (Keras' default and cuDNN's convention) or before it.
    public var resetAfter: Bool
    /// The precision of the input and recurrent products (gates and states stay float32).
    /// bfloat16 where it does not run (not `Float`, no AVX512_BF16) computes in float32.
    public var precision: ComputePrecision

    /// Creates a description of a GRU cell.
    public init(
        units: Int, inputSize: Int, activation: Activation = .tanh,
        recurrentActivation: Activation = .sigmoid, useBias: Bool = true, resetAfter: Bool = true,
        precision: ComputePrecision = .float32
    ) {
        self.units = units
        self.inputSize = inputSize
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.resetAfter = resetAfter
        self.precision = precision
    }

    /// Shape of the input kernel: `(inputSize, 3 * units)`, gates z, r, h.
    public var kernelShape: [Int] { [inputSize, 3 * units] }
    /// Shape of the recurrent kernel: `(units, 3 * units)`, gates z, r, h.
    public var recurrentKernelShape: [Int] { [units, 3 * units] }
    /// Shape of the bias: `(2, 3 * units)` with reset-after (input row, recurrent row),
    /// `(3 * units)` without; `nil` without a bias.
    public var biasShape: [Int]? {
        guard useBias else { return nil }
        return resetAfter ? [2, 3 * units] : [3 * units]
    }
}

/// The three weight tensors of a GRU cell, in Keras' layout.
public struct GRUWeights<Scalar: TensorScalar>: Sendable {
    /// `(inputSize, 3 * units)`.
    public var kernel: Tensor<Scalar> { didSet { prepared = GRUPreparedWeights() } }
    /// `(units, 3 * units)`.
    public var recurrentKernel: Tensor<Scalar> { didSet { prepared = GRUPreparedWeights() } }
    /// See ``GRUSpec/biasShape``.
    public var bias: Tensor<Scalar>? { didSet { prepared = GRUPreparedWeights() } }
    /// The packed forms of these weights, shared by the copies of this value until one
    /// of them changes a weight.
    private(set) var prepared = GRUPreparedWeights<Scalar>()

    /// Bundles weights after checking them against `spec`.
    ///
    /// - Throws: ``TensorError`` naming the weight whose shape is wrong.
    public init(spec: GRUSpec, kernel: Tensor<Scalar>, recurrentKernel: Tensor<Scalar>, bias: Tensor<Scalar>?) throws {
        guard kernel.shape == spec.kernelShape else {
            throw TensorError("kernel must have shape \(spec.kernelShape), got \(kernel.shape)")
        }
        guard recurrentKernel.shape == spec.recurrentKernelShape else {
            throw TensorError("recurrent kernel must have shape \(spec.recurrentKernelShape), got \(recurrentKernel.shape)")
        }
        switch (spec.biasShape, bias) {
        case (nil, nil): break
        case (let expected?, let given?) where given.shape == expected: break
        case (let expected, let given):
            let what = expected.map { "shape \($0)" } ?? "no bias (use_bias is false)"
            throw TensorError("bias must have \(what), got \(given.map { "\($0.shape)" } ?? "none")")
        }
        self.kernel = kernel
        self.recurrentKernel = recurrentKernel
        self.bias = bias
    }

    /// The copy of these weights a device keeps (a GPU's), made by `make` the first time
    /// and shared by the copies of this value until one of them changes a weight.
    ///
    /// - Throws: What `make` throws; nothing is kept then.
    package func deviceCopy<T: Sendable>(_ spec: GRUSpec, make: () throws -> T) throws -> T {
        try prepared.deviceCopy(spec, make: make)
    }

    /// The bias added to the input projection, `3 * units` values, if any.
    public func inputBias(_ spec: GRUSpec) -> ArraySlice<Scalar>? {
        guard let bias else { return nil }
        return bias.scalars[0..<(3 * spec.units)]
    }

    /// The bias added to the recurrent projection (reset-after only), if any.
    public func recurrentBias(_ spec: GRUSpec) -> ArraySlice<Scalar>? {
        guard let bias, spec.resetAfter else { return nil }
        return bias.scalars[(3 * spec.units)..<(6 * spec.units)]
    }
}

/// Dropout masks for one call of a GRU, in Keras 3's structure.
///
/// With only `dropout`, one input mask `(batch, inputSize)` serves all gates.
/// With `recurrentDropout`, there are three input masks and three recurrent
/// masks `(batch, units)`, one per gate z, r, h. Masks hold `0` or
/// `1 / (1 - rate)` and are reused at every step of the call.
public struct GRUDropoutMasks<Scalar: TensorScalar>: Sendable {
    /// Zero, one or three masks of shape `(batch, inputSize)`.
    public var input: [Tensor<Scalar>]
    /// Zero or three masks of shape `(batch, units)`.
    public var recurrent: [Tensor<Scalar>]

    /// Creates a set of masks.
    public init(input: [Tensor<Scalar>] = [], recurrent: [Tensor<Scalar>] = []) {
        self.input = input
        self.recurrent = recurrent
    }

    /// No dropout.
    public static var none: GRUDropoutMasks { GRUDropoutMasks() }
}
