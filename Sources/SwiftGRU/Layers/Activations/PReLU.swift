/// The parametric rectifier (Keras' `PReLU`): `x` above zero, `alpha * x` below, with a
/// learned `alpha` per input position, shared along `sharedAxes`.
///
/// The mask passes through.
public final class PReLU<Scalar: TensorScalar>: Layer, RecordsInputs {
    /// Axes (counted from 1, after the batch) along which one `alpha` is shared.
    public let sharedAxes: [Int]
    public let alphaInitializer: Initializer
    /// Alpha's penalty in the training loss (Keras' `alpha_regularizer`).
    public var alphaRegularizer: Regularizer?
    /// Applied to alpha after each update (Keras' `alpha_constraint`).
    public var alphaConstraint: Constraint?
    public var name: String
    public var trainable = true
    /// The slopes: the input's shape after the batch, 1 along shared axes.
    public private(set) var alpha: Tensor<Scalar>?
    /// Recorded calls: the inputs.
    var records: [Tensor<Scalar>] = []

    /// Creates the layer with Keras' defaults (slopes start at zero).
    public init(alphaInitializer: Initializer = .zeros, sharedAxes: [Int] = [], name: String? = nil) {
        self.alphaInitializer = alphaInitializer
        self.sharedAxes = sharedAxes
        self.name = name ?? "p_re_lu"
    }

    public var isBuilt: Bool { alpha != nil }

    private func alphaShape(_ inputShape: [Int?]) throws -> [Int] {
        var shape = [Int]()
        for axis in 1..<max(inputShape.count, 1) {
            if sharedAxes.contains(axis) { shape.append(1); continue }
            guard let extent = inputShape[axis], extent > 0 else {
                throw LayerError(.invalidInputShape, "\(name): axis \(axis) of shape \(describe(inputShape)) must be known or shared")
            }
            shape.append(extent)
        }
        return shape
    }

    public func build(inputShape: [Int?]) throws {
        let shape = try alphaShape(inputShape)
        if let alpha {
            guard alpha.shape == shape else {
                throw LayerError(.invalidInputShape, "\(name): built for slopes \(alpha.shape), input shape \(describe(inputShape)) needs \(shape)")
            }
            return
        }
        alpha = try alphaInitializer.makeTensor(shape: shape)
    }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] { inputShape }
    public var weights: [Tensor<Scalar>] { alpha.map { [$0] } ?? [] }

    public var weightRegularizers: [Regularizer?] { weights.map { _ in alphaRegularizer } }

    public var weightConstraints: [Constraint?] { weights.map { _ in alphaConstraint } }

    public func setWeights(_ weights: [Tensor<Scalar>]) throws {
        try checkWeights(weights, expected: [alpha?.shape ?? weights.first?.shape ?? []])
        alpha = weights[0]
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        try build(inputShape: optionalShape(input.shape))
        guard let alpha else { return LayerOutput(input, mask: mask) }
        let slopes = try broadcast(alpha, to: Array(input.shape.dropFirst()), layer: name)
        var output = input
        let width = slopes.count
        output.withUnsafeMutableBufferPointer { values in
            for i in values.indices where values[i] < 0 { values[i] *= slopes[i % width] }
        }
        return LayerOutput(output, mask: mask)
    }

    /// dL/dx is g where x > 0, else g * alpha; dL/d(alpha) sums g * x over the batch and the
    /// shared axes where x < 0.
    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        guard let alpha else { throw LayerError(.unsupported, "\(name): not built") }
        let g = try gradient(outputGradients, 0, shape: input.shape)
        let inner = Array(input.shape.dropFirst())
        let slopes = try broadcast(alpha, to: inner, layer: name)
        let width = slopes.count
        var dx = g.scalars, dAlpha = [Scalar](repeating: 0, count: alpha.scalarCount)
        var strides = [Int](repeating: 1, count: inner.count)
        for axis in stride(from: inner.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * alpha.shape[axis + 1] }
        for i in 0..<input.scalarCount where input.scalars[i] <= 0 {
            let position = i % width
            // At zero neither part of relu(x) - alpha * relu(-x) passes a gradient (as TensorFlow's relu).
            dx[i] = input.scalars[i] < 0 ? g.scalars[i] * slopes[position] : 0
            guard input.scalars[i] < 0 else { continue }
            var rest = position, source = 0
            for axis in stride(from: inner.count - 1, through: 0, by: -1) {
                let coordinate = rest % inner[axis]
                rest /= inner[axis]
                if alpha.shape[axis] != 1 { source += coordinate * strides[axis] }
            }
            dAlpha[source] += g.scalars[i] * input.scalars[i]
        }
        return LayerGradients(input: try Tensor(shape: input.shape, scalars: dx), weights: [try Tensor(shape: alpha.shape, scalars: dAlpha)])
    }

}

/// `tensor` repeated along its axes of extent 1 to fill `shape` (same rank), row-major.
func broadcast<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>, to shape: [Int], layer: String) throws -> [Scalar] {
    guard tensor.rank == shape.count, zip(tensor.shape, shape).allSatisfy({ $0 == $1 || $0 == 1 }) else {
        throw LayerError(.invalidInputShape, "\(layer): weights of shape \(tensor.shape) do not fit inputs of shape \(shape)")
    }
    let count = try WeightLimits.scalarCount(of: shape)
    var values = [Scalar](repeating: 0, count: count)
    var sourceStrides = [Int](repeating: 1, count: shape.count)
    for axis in stride(from: shape.count - 2, through: 0, by: -1) { sourceStrides[axis] = sourceStrides[axis + 1] * tensor.shape[axis + 1] }
    for i in 0..<count {
        var rest = i, source = 0
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let coordinate = rest % shape[axis]
            rest /= shape[axis]
            if tensor.shape[axis] != 1 { source += coordinate * sourceStrides[axis] }
        }
        values[i] = tensor.scalars[source]
    }
    return values
}

extension PReLU {
    public var stepScope: StepScope {
        guard let alpha, alpha.rank >= 2, !sharedAxes.contains(1) else { return .eachStep }
        return .acrossSteps("has a slope per step position")
    }
}
