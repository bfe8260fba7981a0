import RealModule

extension Initializer {
    /// Whether initializers draw their values; off while a model is built from a file whose
    /// weights replace every value drawn (an orthogonal draw costs more than reading the file).
    @TaskLocal package static var drawsValues = true

    /// Creates a tensor of the given shape filled by this initializer.
    ///
    /// - Throws: ``LayerError`` when the initializer cannot fill this shape
    ///   (orthogonal needs two or more axes, identity exactly two), or when the shape is
    ///   negative or absurdly large (see ``WeightLimits``).
    public func makeTensor<Scalar: TensorScalar>(shape: [Int]) throws -> Tensor<Scalar> {
        let count = try WeightLimits.scalarCount(of: shape)
        guard Self.drawsValues else { return Tensor(zeros: shape) }
        let values: [Double]
        switch self {
        case .zeros: values = Array(repeating: 0, count: count)
        case .ones: values = Array(repeating: 1, count: count)
        case .constant(let value): values = Array(repeating: value, count: count)
        case .randomNormal(let mean, let stddev, let seed):
            var rng = Self.generator(seed)
            values = (0..<count).map { _ in mean + stddev * rng.nextNormal() }
        case .randomUniform(let low, let high, let seed):
            var rng = Self.generator(seed)
            values = (0..<count).map { _ in low + (high - low) * rng.nextUniform() }
        case .truncatedNormal(let mean, let stddev, let seed):
            var rng = Self.generator(seed)
            values = (0..<count).map { _ in mean + stddev * Self.truncatedNormal(&rng) }
        case .varianceScaling(let scale, let mode, let distribution, let seed):
            values = Self.varianceScaling(count: count, shape: shape, scale: scale, mode: mode, distribution: distribution, seed: seed)
        case .glorotUniform(let seed):
            values = Self.varianceScaling(count: count, shape: shape, scale: 1, mode: .fanAvg, distribution: .uniform, seed: seed)
        case .glorotNormal(let seed):
            values = Self.varianceScaling(count: count, shape: shape, scale: 1, mode: .fanAvg, distribution: .truncatedNormal, seed: seed)
        case .heUniform(let seed):
            values = Self.varianceScaling(count: count, shape: shape, scale: 2, mode: .fanIn, distribution: .uniform, seed: seed)
        case .heNormal(let seed):
            values = Self.varianceScaling(count: count, shape: shape, scale: 2, mode: .fanIn, distribution: .truncatedNormal, seed: seed)
        case .lecunUniform(let seed):
            values = Self.varianceScaling(count: count, shape: shape, scale: 1, mode: .fanIn, distribution: .uniform, seed: seed)
        case .lecunNormal(let seed):
            values = Self.varianceScaling(count: count, shape: shape, scale: 1, mode: .fanIn, distribution: .truncatedNormal, seed: seed)
        case .orthogonal(let gain, let seed):
            guard shape.count >= 2 else {
                throw LayerError(.invalidArgument, "the orthogonal initializer needs a weight of two or more axes, got shape \(shape)")
            }
            values = Self.orthogonal(rows: shape.dropLast().reduce(1, *), columns: shape[shape.count - 1], gain: gain, seed: seed)
        case .identity(let gain):
            guard shape.count == 2 else {
                throw LayerError(.invalidArgument, "the identity initializer needs a 2-D weight, got shape \(shape)")
            }
            var v = [Double](repeating: 0, count: count)
            for i in 0..<min(shape[0], shape[1]) { v[i * shape[1] + i] = gain }
            values = v
        }
        return try Tensor(shape: shape, scalars: values.map { Scalar($0) })
    }

    private static func generator(_ seed: UInt64?) -> RandomGenerator {
        RandomGenerator(seed: seed ?? GlobalRandom.nextSeed())
    }

    private static func truncatedNormal(_ rng: inout RandomGenerator) -> Double {
        while true {
            let x = rng.nextNormal()
            if abs(x) <= 2 { return x }
        }
    }

    /// Keras' fan computation: the last axis is fan-out, the rest (times the
    /// receptive field for convolutions) fan-in; a vector counts its length twice.
    static func fans(_ shape: [Int]) -> (fanIn: Double, fanOut: Double) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (Double(shape[0]), Double(shape[0]))
        case 2: return (Double(shape[0]), Double(shape[1]))
        default:
            let receptive = Double(shape.dropLast(2).reduce(1, *))
            return (Double(shape[shape.count - 2]) * receptive, Double(shape[shape.count - 1]) * receptive)
        }
    }

    private static func varianceScaling(
        count: Int, shape: [Int], scale: Double, mode: FanMode, distribution: Distribution, seed: UInt64?
    ) -> [Double] {
        let (fanIn, fanOut) = fans(shape)
        let n: Double
        switch mode {
        case .fanIn: n = fanIn
        case .fanOut: n = fanOut
        case .fanAvg: n = (fanIn + fanOut) / 2
        }
        let variance = scale / Swift.max(1, n)
        var rng = generator(seed)
        switch distribution {
        case .truncatedNormal:
            // The standard deviation of a unit normal truncated at +-2.
            let stddev = variance.squareRoot() / 0.87962566103423978
            return (0..<count).map { _ in stddev * truncatedNormal(&rng) }
        case .untruncatedNormal:
            let stddev = variance.squareRoot()
            return (0..<count).map { _ in stddev * rng.nextNormal() }
        case .uniform:
            let limit = (3 * variance).squareRoot()
            return (0..<count).map { _ in limit * (2 * rng.nextUniform() - 1) }
        }
    }

    /// A `rows x columns` matrix with orthonormal rows or columns (whichever are fewer).
    private static func orthogonal(rows: Int, columns: Int, gain: Double, seed: UInt64?) -> [Double] {
        let tall = max(rows, columns), wide = min(rows, columns)
        guard wide > 0 else { return [] }
        var rng = generator(seed)
        // a: tall x wide, column-major for the Householder sweep.
        var a = [Double](repeating: 0, count: tall * wide)
        for i in 0..<tall { for j in 0..<wide { a[j * tall + i] = rng.nextNormal() } }
        let q = householderQ(&a, rows: tall, columns: wide)
        // q: tall x wide (column-major), already multiplied by sign(diag R).
        var result = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<columns {
                // rows >= columns: result = q; otherwise result = q transposed.
                result[i * columns + j] = gain * (rows >= columns ? q[j * tall + i] : q[i * tall + j])
            }
        }
        return result
    }

    /// The reduced Q of `a = QR` (column-major, `rows >= columns`), with each
    /// column multiplied by the sign of the matching diagonal entry of R.
    private static func householderQ(_ a: inout [Double], rows m: Int, columns n: Int) -> [Double] {
        var reflectors = [[Double]]()
        var diagonal = [Double](repeating: 0, count: n)
        for k in 0..<n {
            var v = (k..<m).map { a[k * m + $0] }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let alpha = v[0] >= 0 ? -norm : norm
            v[0] -= alpha
            let vNorm = v.reduce(0) { $0 + $1 * $1 }
            diagonal[k] = alpha
            if vNorm > 0 {
                for j in k..<n {
                    var dot = 0.0
                    for i in k..<m { dot += v[i - k] * a[j * m + i] }
                    let factor = 2 * dot / vNorm
                    for i in k..<m { a[j * m + i] -= factor * v[i - k] }
                }
            }
            reflectors.append(vNorm > 0 ? v.map { $0 / vNorm.squareRoot() } : [])
        }
        // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
        var q = [Double](repeating: 0, count: m * n)
        for j in 0..<n { q[j * m + j] = 1 }
        for k in stride(from: n - 1, through: 0, by: -1) where !reflectors[k].isEmpty {
            let v = reflectors[k]
            for j in 0..<n {
                var dot = 0.0
                for i in k..<m { dot += v[i - k] * q[j * m + i] }
                for i in k..<m { q[j * m + i] -= 2 * dot * v[i - k] }
            }
        }
        for j in 0..<n where diagonal[j] < 0 {
            for i in 0..<m { q[j * m + i] = -q[j * m + i] }
        }
        return q
    }
}
