/// What the element-wise operations of several operands share (``Arithmetic``, ``Where``):
/// each operand is the call's tensor of that position or a number, the operands broadcast as
/// NumPy's do, and each output value is computed from one value of each. Each tensor's
/// gradient is summed over the axes it was broadcast along. The output has no mask, as Keras'
/// operations give none.
public class BroadcastingOperation<Scalar: TensorScalar>: Layer {
    /// One operand: the call's tensor of that position, or a number.
    public enum Operand: Sendable, Hashable {
        case tensor
        case constant(Double)
    }

    /// The operands in the operation's order (one to three).
    public let operands: [Operand]
    public var name: String
    public var trainable = true
    private var records: [[Tensor<Scalar>]] = []
    /// An output value from one value of each operand (unused ones 0).
    private let function: @Sendable (Scalar, Scalar, Scalar) -> Scalar
    /// Given an output value's gradient and the values it was computed from, each operand's
    /// share of the gradient.
    private let gradients: @Sendable (_ g: Scalar, Scalar, Scalar, Scalar) -> (Scalar, Scalar, Scalar)

    /// The operation of `operands` computing `function`, backpropagated by `gradients`.
    ///
    /// - Throws: ``LayerError`` for more than three operands, none a tensor, or a constant that
    ///   is not finite.
    init(
        operands: [Operand], name: String, operation: String, function: @escaping @Sendable (Scalar, Scalar, Scalar) -> Scalar,
        gradients: @escaping @Sendable (_ g: Scalar, Scalar, Scalar, Scalar) -> (Scalar, Scalar, Scalar)
    ) throws {
        guard (1...3).contains(operands.count), operands.contains(.tensor) else {
            throw LayerError(.invalidArgument, "\(operation): one to three operands, one of them a tensor at least")
        }
        for case .constant(let value) in operands where !value.isFinite {
            throw LayerError(.invalidArgument, "\(operation): the constant \(value) is not finite")
        }
        self.operands = operands
        self.name = name
        self.function = function
        self.gradients = gradients
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
        guard inputShapes.count == tensorCount, let first = inputShapes.first else {
            throw LayerError(.invalidArgument, "\(name): takes \(tensorCount) tensor(s), got \(inputShapes.count)")
        }
        return [try inputShapes.dropFirst().reduce(first) { try Self.broadcast($0, $1, layer: name) }]
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

    /// The output shape of sides of these shapes, and for each side the offset of the value
    /// each output value reads.
    static func broadcastOffsets(_ sides: [[Int]], layer: String) throws -> (offsets: [[Int]], shape: [Int]) {
        let shape = try sides.dropFirst().reduce(optionalShape(sides.first ?? [])) { try broadcast($0, optionalShape($1), layer: layer) }
            .map { $0 ?? 0 }
        var outStrides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { outStrides[d] = outStrides[d + 1] * shape[d + 1] }
        let count = shape.reduce(1, *)
        let offsets = sides.map { side -> [Int] in
            let padded = [Int](repeating: 1, count: shape.count - side.count) + side
            var strides = [Int](repeating: 0, count: shape.count), step = 1
            for d in stride(from: shape.count - 1, through: 0, by: -1) {
                strides[d] = padded[d] == 1 ? 0 : step
                step *= padded[d]
            }
            return (0..<count).map { i in shape.indices.reduce(0) { $0 + (i / outStrides[$1]) % shape[$1] * strides[$1] } }
        }
        return (offsets, shape)
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

    /// The sides' values (0 beyond the operands) and their offsets, for each output value.
    private func plan(_ sides: [Tensor<Scalar>]) throws -> (offsets: [[Int]], values: [[Scalar]], shape: [Int]) {
        let (offsets, shape) = try Self.broadcastOffsets(sides.map(\.shape), layer: name)
        let unused = [Int](repeating: 0, count: offsets.first?.count ?? 0)
        return (offsets + Array(repeating: unused, count: 3 - sides.count),
                sides.map(\.scalars) + Array(repeating: [0], count: 3 - sides.count), shape)
    }

    private func compute(_ sides: [Tensor<Scalar>]) throws -> Tensor<Scalar> {
        let (o, v, shape) = try plan(sides)
        let values = (0..<shape.reduce(1, *)).map { k in function(v[0][o[0][k]], v[1][o[1][k]], v[2][o[2][k]]) }
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

    /// Each tensor's gradient, summed over the axes it was broadcast along.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let sides = try popRecord(&records, layer: name)
        let (o, v, shape) = try plan(sides)
        let g = try gradient(outputGradients, 0, shape: shape).scalars
        var d = v.map { [Scalar](repeating: 0, count: $0.count) }
        for k in g.indices {
            let (a, b, c) = (o[0][k], o[1][k], o[2][k])
            let (ga, gb, gc) = gradients(g[k], v[0][a], v[1][b], v[2][c])
            d[0][a] += ga
            d[1][b] += gb
            d[2][c] += gc
        }
        let tensors = try sides.indices.compactMap { i in operands[i] == .tensor ? try Tensor(shape: sides[i].shape, scalars: d[i]) : nil }
        var result = LayerGradients<Scalar>(input: tensors[0])
        result.otherInputs = Array(tensors.dropFirst())
        return result
    }

    public func clearRecords() { records.removeAll() }

    public var stepScope: StepScope { .eachStep }
}
