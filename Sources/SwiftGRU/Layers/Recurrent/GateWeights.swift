/// The kernel `(inputSize, gates * units)`, recurrent kernel `(units, gates * units)` and
/// optional bias `(gates * units)` of a dense recurrent cell (``LSTMCell``: 4 gates,
/// ``SimpleRNNCell``: 1), and the sum every step starts from.
/// A cell whose weights are ``GateWeights`` (LSTM, SimpleRNN).
protocol GateWeightsCell: RecurrentCell {
    var storage: GateWeights<Scalar> { get set }
}

struct GateWeights<Scalar: TensorScalar> {
    let units: Int
    let gates: Int
    /// The layer kind, for messages (`LSTM`, `SimpleRNN`).
    let layer: String
    private(set) var kernel: Tensor<Scalar>?
    private(set) var recurrentKernel: Tensor<Scalar>?
    var bias: Tensor<Scalar>?
    /// The dropout masks of the current training sequence (scaled by 1/(1 - rate)), as Keras 3
    /// draws them once per sequence: on the inputs and on the state the recurrent kernel reads.
    var dropoutMasks: [Tensor<Scalar>?] = [nil, nil]

    init(units: Int, gates: Int, layer: String) {
        self.units = units
        self.gates = gates
        self.layer = layer
    }

    var isBuilt: Bool { kernel != nil }
    var inputSize: Int? { kernel?.shape[0] }
    /// Kernel, recurrent kernel, then the bias if any: Keras' `get_weights()` order.
    var all: [Tensor<Scalar>] { [kernel, recurrentKernel, bias].compactMap { $0 } }

    /// Draws fresh weights.
    mutating func build(inputSize: Int, kernel k: Initializer, recurrent r: Initializer, bias b: Initializer?) throws {
        guard inputSize > 0 else {
            throw LayerError(.invalidInputShape, "\(layer): the input feature size must be positive, got \(inputSize)")
        }
        kernel = try k.makeTensor(shape: [inputSize, gates * units])
        recurrentKernel = try r.makeTensor(shape: [units, gates * units])
        bias = try b.map { try $0.makeTensor(shape: [gates * units]) }
    }

    /// Replaces the weights, checking their count and shapes.
    mutating func set(_ weights: [Tensor<Scalar>], useBias: Bool) throws {
        guard weights.count == (useBias ? 3 : 2), weights[0].rank == 2 else {
            throw LayerError(.invalidWeights, "\(layer) expects \(useBias ? 3 : 2) weights (kernel, recurrent kernel\(useBias ? ", bias" : "")), got \(weights.map(\.shape))")
        }
        let features = weights[0].shape[0], width = gates * units
        let expected = [[features, width], [units, width]] + (useBias ? [[width]] : [])
        guard weights.map(\.shape) == expected, inputSize == nil || inputSize == features else {
            throw LayerError(.invalidWeights, "\(layer) weights must have shapes \(expected)\(inputSize.map { " for \($0) input features" } ?? ""), got \(weights.map(\.shape))")
        }
        kernel = weights[0]
        recurrentKernel = weights[1]
        bias = useBias ? weights[2] : nil
    }

    /// Draws the dropout masks of a sequence in training; clears them otherwise.
    mutating func beginSequence(
        batchSize: Int, training: Bool, dropout: Double, recurrentDropout: Double, generator: inout RandomGenerator
    ) {
        dropoutMasks = [nil, nil]
        guard training, let inputSize else { return }
        if dropout > 0 { dropoutMasks[0] = dropoutMask(shape: [batchSize, inputSize], rate: dropout, generator: &generator) }
        if recurrentDropout > 0 { dropoutMasks[1] = dropoutMask(shape: [batchSize, units], rate: recurrentDropout, generator: &generator) }
    }

    /// `input` times the dropout mask `k` when one is drawn.
    ///
    /// - Throws: ``LayerError`` when the mask was drawn for another shape.
    private func dropped(_ input: Tensor<Scalar>, _ k: Int) throws -> Tensor<Scalar> {
        guard k < dropoutMasks.count, let mask = dropoutMasks[k] else { return input }
        guard mask.shape == input.shape else {
            throw LayerError(.invalidInputShape, "\(layer): a \(k == 0 ? "dropout" : "recurrent_dropout") mask of shape \(mask.shape) was drawn for the sequence; the step has \(input.shape)")
        }
        return try input.multiplied(by: mask)
    }

    /// `x·W + h·U + b` for one step: `(batch, gates * units)`, on the inputs and state after
    /// dropout in training.
    ///
    /// - Throws: ``LayerError`` when the cell is not built or a shape does not fit.
    func preactivation(_ input: Tensor<Scalar>, _ state: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard let kernel, let recurrentKernel else { throw LayerError(.invalidInputShape, "\(layer): the cell is not built") }
        let batch = input.shape.first ?? 0
        guard input.shape == [batch, kernel.shape[0]], state.shape == [batch, units] else {
            throw LayerError(.invalidInputShape, "\(layer): expects inputs (batch, \(kernel.shape[0])) and states (batch, \(units)), got \(input.shape) and \(state.shape)")
        }
        do {
            var z = try dropped(input, 0).matmul(kernel).adding(dropped(state, 1).matmul(recurrentKernel))
            if let bias {
                let b = bias.scalars, width = gates * units
                z.withUnsafeMutableBufferPointer { values in
                    for i in 0..<values.count { values[i] += b[i % width] }
                }
            }
            return z
        } catch let error as TensorError {
            throw LayerError(.invalidInputShape, "\(layer): \(error.message)")
        }
    }
}

extension GateWeights {
    /// Gradients of `z = x̃·W + h̃·U + b` given dL/dz, with x̃ and h̃ the inputs and state after
    /// dropout: those of x, h, W, U and b.
    func backward(
        _ dz: Tensor<Scalar>, input: Tensor<Scalar>, state: Tensor<Scalar>
    ) throws -> (input: Tensor<Scalar>, state: Tensor<Scalar>, weights: [Tensor<Scalar>]) {
        guard let kernel, let recurrentKernel else { throw LayerError(.invalidInputShape, "\(layer): the cell is not built") }
        let dx = try dropped(dz.matmul(kernel.transposed([1, 0])), 0)
        let dh = try dropped(dz.matmul(recurrentKernel.transposed([1, 0])), 1)
        var weights = [try dropped(input, 0).transposed([1, 0]).matmul(dz), try dropped(state, 1).transposed([1, 0]).matmul(dz)]
        if bias != nil { weights.append(try biasGradient(dz, width: gates * units)) }
        return (dx, dh, weights)
    }
}

extension LSTMCell: GateWeightsCell {}
extension SimpleRNNCell: GateWeightsCell {}
