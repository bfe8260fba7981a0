/// The dot product of two inputs along one axis of each, per sample (Keras' `Dot`): for
/// `(batch, m, k)` and `(batch, n, k)` with `axes: [2, 2]`, a `(batch, m, n)` result. With
/// `normalize`, each input is first scaled to unit L2 norm along its axis (cosine similarity).
///
/// The output has no mask, as in Keras. It trains, `normalize` included.
public final class Dot<Scalar: TensorScalar>: Layer {
    /// The contracted axis of each input (negative ones count from the end).
    public let axes: [Int]
    /// The axes as given: one for both inputs, or one per input (as Keras keeps `axes`).
    public let givenAxes: [Int]
    /// Whether the inputs are L2-normalized along their axes first.
    public let normalize: Bool
    public var name: String
    public var trainable = true
    /// Recorded calls: the two inputs.
    var records: [(Tensor<Scalar>, Tensor<Scalar>)] = []

    /// Creates the layer.
    ///
    /// - Parameter axes: One axis for both inputs, or one per input.
    /// - Throws: ``LayerError`` unless one or two axes are given.
    public init(axes: [Int], normalize: Bool = false, name: String? = nil) throws {
        guard axes.count == 1 || axes.count == 2 else {
            throw LayerError(.invalidArgument, "Dot: axes must give one axis or one per input, got \(axes)")
        }
        self.axes = axes.count == 1 ? [axes[0], axes[0]] : axes
        givenAxes = axes
        self.normalize = normalize
        self.name = name ?? "dot"
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws {}
    public func build(inputShapes: [[Int?]]) throws { _ = try outputShapes(forInputShapes: inputShapes) }
    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        throw LayerError(.invalidArgument, "\(name): Dot takes two inputs")
    }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    /// The contracted axes resolved against two shapes, and the result's shape.
    private func plan(_ shapes: [[Int?]]) throws -> (axes: (Int, Int), shape: [Int?]) {
        guard shapes.count == 2 else { throw LayerError(.invalidArgument, "\(name): Dot takes exactly 2 inputs, got \(shapes.count)") }
        let (x, y) = (shapes[0], shapes[1])
        let a = axes[0] < 0 ? axes[0] + x.count : axes[0], b = axes[1] < 0 ? axes[1] + y.count : axes[1]
        guard x.count >= 2, y.count >= 2, a >= 1, a < x.count, b >= 1, b < y.count else {
            throw LayerError(.invalidInputShape, "\(name): axes \(axes) do not fit inputs of shapes \(describe(x)) and \(describe(y))")
        }
        if let k = x[a], let l = y[b], k != l {
            throw LayerError(.invalidInputShape, "\(name): axis \(a) of \(describe(x)) and axis \(b) of \(describe(y)) must have the same extent")
        }
        var rest = Array(x.enumerated().filter { $0.offset != a && $0.offset != 0 }.map(\.element))
        rest += y.enumerated().filter { $0.offset != b && $0.offset != 0 }.map(\.element)
        return ((a, b), [x[0]] + (rest.isEmpty ? [1] : rest))
    }

    public func outputShapes(forInputShapes inputShapes: [[Int?]]) throws -> [[Int?]] { [try plan(inputShapes).shape] }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try forward([input], masks: [mask], training: training)
    }

    public func forwardRecording(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        let output = try forward(inputs, masks: masks, training: training)
        records.append((inputs[0], inputs[1]))
        return output
    }

    /// The two inputs with their contracted axes moved inner (`x`: last, `y`: second), before
    /// normalization, and the orders that moved them.
    private func operands(
        _ first: Tensor<Scalar>, _ second: Tensor<Scalar>
    ) throws -> (x: Tensor<Scalar>, y: Tensor<Scalar>, xOrder: [Int], yOrder: [Int], shape: [Int?]) {
        let ((a, b), shape) = try plan([optionalShape(first.shape), optionalShape(second.shape)])
        let xOrder = (0..<first.rank).filter { $0 != a } + [a], yOrder = [0, b] + (1..<second.rank).filter { $0 != b }
        let x = try first.transposed(xOrder), y = try second.transposed(yOrder)
        guard y.shape[0] == x.shape[0] else {
            throw LayerError(.invalidInputShape, "\(name): inputs of shapes \(first.shape) and \(second.shape) have different batch sizes")
        }
        return (x, y, xOrder, yOrder, shape)
    }

    /// Runs `body` on the layout of each vector Keras normalizes: for `x` its rows, for `y` per
    /// sample its columns (rows, width, stride, step, offset as ``l2Normalized``).
    private func forEachVectorLayout(x: Tensor<Scalar>, y: Tensor<Scalar>, _ body: (_ isX: Bool, _ rows: Int, _ width: Int, _ stride: Int, _ step: Int, _ offset: Int) -> Void) {
        let batch = x.shape[0], k = x.shape[x.rank - 1]
        body(true, x.scalarCount / max(k, 1), k, 1, k, 0)
        let n = y.scalarCount / max(batch * k, 1)
        for sample in 0..<batch { body(false, n, k, n, 1, sample * k * n) }
    }

    /// Per sample, with the contracted axes moved inner: dX = G·Yᵀ and dY = Xᵀ·G, moved back;
    /// with `normalize`, through the L2 normalization of each vector.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let (first, second) = try popRecord(&records, layer: name)
        let (rawX, rawY, xOrder, yOrder, shape) = try operands(first, second)
        var x = rawX, y = rawY
        if normalize {
            forEachVectorLayout(x: rawX, y: rawY) { isX, rows, width, stride, step, offset in
                if isX { x = l2Normalized(x, rows: rows, width: width, stride: stride, step: step, offset: offset) }
                else { y = l2Normalized(y, rows: rows, width: width, stride: stride, step: step, offset: offset) }
            }
        }
        let g = try gradient(outputGradients, 0, shape: shape.map { $0 ?? 0 })
        let batch = x.shape[0], k = x.shape[x.rank - 1]
        let m = x.scalarCount / max(batch * k, 1), n = y.scalarCount / max(batch * k, 1)
        var dx = [Scalar](), dy = [Scalar]()
        for sample in 0..<batch {
            let left = try Tensor(shape: [m, k], scalars: Array(x.scalars[(sample * m * k)..<((sample + 1) * m * k)]))
            let right = try Tensor(shape: [k, n], scalars: Array(y.scalars[(sample * k * n)..<((sample + 1) * k * n)]))
            let gs = try Tensor(shape: [m, n], scalars: Array(g.scalars[(sample * m * n)..<((sample + 1) * m * n)]))
            dx += try gs.matmul(right.transposed([1, 0])).scalars
            dy += try left.transposed([1, 0]).matmul(gs).scalars
        }
        if normalize {
            forEachVectorLayout(x: rawX, y: rawY) { isX, rows, width, stride, step, offset in
                if isX { l2NormalizationBackward(rawX.scalars, &dx, rows: rows, width: width, stride: stride, step: step, offset: offset) }
                else { l2NormalizationBackward(rawY.scalars, &dy, rows: rows, width: width, stride: stride, step: step, offset: offset) }
            }
        }
        func inverse(_ order: [Int]) -> [Int] {
            var result = [Int](repeating: 0, count: order.count)
            for (i, axis) in order.enumerated() { result[axis] = i }
            return result
        }
        var gradients = LayerGradients(input: try Tensor(shape: x.shape, scalars: dx).transposed(inverse(xOrder)))
        gradients.otherInputs = [try Tensor(shape: y.shape, scalars: dy).transposed(inverse(yOrder))]
        return gradients
    }

    public func clearRecords() { records.removeAll() }

    public func forward(_ inputs: [Tensor<Scalar>], masks: [Tensor<Bool>?], training: Bool) throws -> LayerOutput<Scalar> {
        guard inputs.count == 2 else { throw LayerError(.invalidArgument, "layer '\(name)' (Dot) takes two inputs, got \(inputs.count)") }
        var (x, y, _, _, shape) = try operands(inputs[0], inputs[1])
        if normalize {
            forEachVectorLayout(x: x, y: y) { isX, rows, width, stride, step, offset in
                if isX { x = l2Normalized(x, rows: rows, width: width, stride: stride, step: step, offset: offset) }
                else { y = l2Normalized(y, rows: rows, width: width, stride: stride, step: step, offset: offset) }
            }
        }
        let batch = x.shape[0], k = x.shape[x.rank - 1]
        let m = x.scalarCount / max(batch * k, 1), n = y.scalarCount / max(batch * k, 1)
        var output = [Scalar]()
        output.reserveCapacity(batch * m * n)
        for sample in 0..<batch {
            let left = try Tensor(shape: [m, k], scalars: Array(x.scalars[(sample * m * k)..<((sample + 1) * m * k)]))
            let right = try Tensor(shape: [k, n], scalars: Array(y.scalars[(sample * k * n)..<((sample + 1) * k * n)]))
            output += try left.matmul(right).scalars
        }
        return LayerOutput(try Tensor(shape: shape.map { $0 ?? 0 }, scalars: output))
    }

    /// Turns the gradients of normalized vectors into those of the raw vectors `v`, in place:
    /// with s = 1/max(|v|, 1e-6) and v̂ = s v, dv = s (g - v̂ (v̂·g)), or s g where the floor holds.
    private func l2NormalizationBackward(
        _ v: [Scalar], _ g: inout [Scalar], rows: Int, width: Int, stride: Int, step: Int, offset: Int
    ) {
        for r in 0..<rows {
            var squares: Scalar = 0
            for i in 0..<width { squares += v[offset + r * step + i * stride] * v[offset + r * step + i * stride] }
            let floored = squares <= 1e-12
            let scale = 1 / Scalar.sqrt(Swift.max(squares, 1e-12))
            var dot: Scalar = 0
            if !floored {
                for i in 0..<width { dot += v[offset + r * step + i * stride] * scale * g[offset + r * step + i * stride] }
            }
            for i in 0..<width {
                let index = offset + r * step + i * stride
                g[index] = scale * (g[index] - (floored ? 0 : v[index] * scale * dot))
            }
        }
    }

    /// Scales `rows` vectors of `width` values (the i-th value of row r at
    /// `offset + r * step + i * stride`) to unit L2 norm, as Keras' `l2_normalize`.
    private func l2Normalized(_ t: Tensor<Scalar>, rows: Int, width: Int, stride: Int, step: Int, offset: Int = 0) -> Tensor<Scalar> {
        var t = t
        t.withUnsafeMutableBufferPointer { values in
            for r in 0..<rows {
                var squares: Scalar = 0
                for i in 0..<width { squares += values[offset + r * step + i * stride] * values[offset + r * step + i * stride] }
                let scale = 1 / Scalar.sqrt(Swift.max(squares, 1e-12))
                for i in 0..<width { values[offset + r * step + i * stride] *= scale }
            }
        }
        return t
    }
}
