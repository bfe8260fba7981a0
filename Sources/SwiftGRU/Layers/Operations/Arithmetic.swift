/// Arithmetic on tensors and constants (Keras' `a + b`, `2 * x`, `ops.divide(x, y)` in a
/// functional model: its `Add`, `Subtract`, `Multiply` and `Divide` operations), with NumPy's
/// broadcasting. The output has no mask, as Keras' operations give none.
public final class Arithmetic<Scalar: TensorScalar>: Layer {
    /// The operation.
    public enum Kind: String, Sendable, CaseIterable {
        case add, subtract, multiply, divide
    }

    /// One side of the operation: the call's tensor of that position, or a number.
    public enum Operand: Sendable, Hashable {
        case tensor
        case constant(Double)
    }

    public let kind: Kind
    /// The left and right sides.
    public let operands: [Operand]
    public var name: String
    public var trainable = true
    private var records: [[Tensor<Scalar>]] = []

    /// Creates the operation of two operands, one of them a tensor at least.
    ///
    /// - Throws: ``LayerError`` for another number of operands or two constants.
    public init(_ kind: Kind, _ left: Operand, _ right: Operand, name: String? = nil) throws {
        guard left == .tensor || right == .tensor else { throw LayerError(.invalidArgument, "\(kind.rawValue): one side must be a tensor") }
        for case .constant(let value) in [left, right] where !value.isFinite {
            throw LayerError(.invalidArgument, "\(kind.rawValue): the constant \(value) is not finite")
        }
        self.kind = kind
        self.operands = [left, right]
        self.name = name ?? kind.rawValue
    }

    /// The number of tensors a call takes.
    public var tensorCount: Int { operands.filter { $0 == .tensor }.count }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { try build(inputShapes: [inputShape]) }
    public func build(inputShapes: [[Int?]]) throws { _ = try outputShapes(forInputShapes: inputShapes) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { try outputShapes(forInputShapes: [inputShape])[0] }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] {
        guard inputShapes.count == tensorCount else {
            throw LayerError(.invalidArgument, "\(name): takes \(tensorCount) tensor(s), got \(inputShapes.count)")
        }
        guard inputShapes.count == 2 else { return inputShapes }
        return [try Self.broadcast(inputShapes[0], inputShapes[1], layer: name)]
    }

    /// NumPy's broadcast of two shapes (`nil` for unknown extents).
    static func broadcast(_ a: [Int?], _ b: [Int?], layer: String) throws -> [Int?] {
        let rank = Swift.max(a.count, b.count)
        let a = [Int?](repeating: 1, count: rank - a.count) + a, b = [Int?](repeating: 1, count: rank - b.count) + b
        return try zip(a, b).map { x, y in
            if x == 1 { return y }
            if y == 1 || x == y { return x }
            if x == nil || y == nil { return x ?? y }
            throw LayerError(.invalidInputShape, "\(layer): shapes \(describe(a)) and \(describe(b)) do not broadcast")
        }
    }

    /// The sides as tensors: the call's, and constants as scalars.
    private func sides(_ inputs: [Tensor<Scalar>]) throws -> [Tensor<Scalar>] {
        guard inputs.count == tensorCount else { throw LayerError(.invalidArgument, "\(name): takes \(tensorCount) tensor(s), got \(inputs.count)") }
        var next = inputs[...]
        return operands.map { operand in
            switch operand {
            case .tensor: return next.removeFirst()
            case .constant(let value): return Tensor(repeating: Scalar(value), shape: [])
            }
        }
    }

    /// For each output value, the offsets in both sides, and the output shape.
    private func plan(_ a: [Int], _ b: [Int]) throws -> (left: [Int], right: [Int], shape: [Int]) {
        let shape = try Self.broadcast(optionalShape(a), optionalShape(b), layer: name).map { $0 ?? 0 }
        func offsets(_ side: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: shape.count - side.count) + side
            var strides = [Int](repeating: 0, count: shape.count), step = 1
            for d in stride(from: shape.count - 1, through: 0, by: -1) {
                strides[d] = padded[d] == 1 ? 0 : step
                step *= padded[d]
            }
            var outStrides = [Int](repeating: 1, count: shape.count)
            for d in stride(from: shape.count - 2, through: 0, by: -1) { outStrides[d] = outStrides[d + 1] * shape[d + 1] }
            return (0..<shape.reduce(1, *)).map { i in shape.indices.reduce(0) { $0 + (i / outStrides[$1]) % shape[$1] * strides[$1] } }
        }
        return (offsets(a), offsets(b), shape)
    }

    private func compute(_ sides: [Tensor<Scalar>]) throws -> Tensor<Scalar> {
        let (left, right, shape) = try plan(sides[0].shape, sides[1].shape)
        let x = sides[0].scalars, y = sides[1].scalars
        let values = zip(left, right).map { i, j -> Scalar in
            switch kind {
            case .add: x[i] + y[j]
            case .subtract: x[i] - y[j]
            case .multiply: x[i] * y[j]
            case .divide: x[i] / y[j]
            }
        }
        return try Tensor(shape: shape, scalars: values)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward([input], masks: [mask], training: training)
    }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        LayerOutput(try compute(sides(inputs)))
    }

    public func forwardRecording(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, initialState: [Tensor<Scalar>], training: Bool) throws -> LayerOutput<Scalar> {
        try forwardRecording([input], masks: [mask], training: training)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let sides = try sides(inputs)
        records.append(sides)
        return LayerOutput(try compute(sides))
    }

    /// Each tensor side's gradient, summed over the axes it was broadcast along.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let sides = try popRecord(&records, layer: name)
        let (left, right, shape) = try plan(sides[0].shape, sides[1].shape)
        let g = try gradient(outputGradients, 0, shape: shape).scalars
        let x = sides[0].scalars, y = sides[1].scalars
        var dx = [Scalar](repeating: 0, count: x.count), dy = [Scalar](repeating: 0, count: y.count)
        for (k, (i, j)) in zip(left, right).enumerated() {
            switch kind {
            case .add: dx[i] += g[k]; dy[j] += g[k]
            case .subtract: dx[i] += g[k]; dy[j] -= g[k]
            case .multiply: dx[i] += g[k] * y[j]; dy[j] += g[k] * x[i]
            case .divide: dx[i] += g[k] / y[j]; dy[j] -= g[k] * x[i] / (y[j] * y[j])
            }
        }
        let gradients = try [Tensor(shape: sides[0].shape, scalars: dx), Tensor(shape: sides[1].shape, scalars: dy)]
        let tensors = zip(operands, gradients).compactMap { $0 == .tensor ? $1 : nil }
        var result = LayerGradients<Scalar>(input: tensors[0])
        result.otherInputs = Array(tensors.dropFirst())
        return result
    }

    public func clearRecords() { records.removeAll() }
}

extension Arithmetic {
    public var stepScope: StepScope { .eachStep }
}
