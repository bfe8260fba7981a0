import Testing
import SwiftGRU

@Suite("Initializers")
struct InitializerTests {
    static func stats(_ t: Tensor<Double>) -> (mean: Double, variance: Double) {
        let n = Double(t.scalarCount)
        let mean = t.scalars.reduce(0, +) / n
        return (mean, t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n)
    }

    @Test func glorotUniformHasKerasLimitAndVariance() throws {
        let t: Tensor<Double> = try Initializer.glorotUniform(seed: 3).makeTensor(shape: [200, 300])
        let limit = (6.0 / 500).squareRoot()
        #expect(t.scalars.allSatisfy { abs($0) <= limit })
        let (mean, variance) = Self.stats(t)
        #expect(abs(mean) < 0.002)
        #expect(abs(variance - limit * limit / 3) / (limit * limit / 3) < 0.02)
    }

    static let varianceCases: [(Initializer, Double)] = [
        (.heNormal(seed: 1), 2.0 / 400), (.lecunNormal(seed: 2), 1.0 / 400),
        (.glorotNormal(seed: 4), 2.0 / 700), (.heUniform(seed: 5), 2.0 / 400),
        (.lecunUniform(seed: 6), 1.0 / 400),
        (.varianceScaling(scale: 3, mode: .fanOut, distribution: .untruncatedNormal, seed: 7), 3.0 / 300),
    ]

    @Test(arguments: varianceCases)
    func varianceScalingFamilies(initializer: Initializer, expectedVariance: Double) throws {
        let t: Tensor<Double> = try initializer.makeTensor(shape: [400, 300])
        let (mean, variance) = Self.stats(t)
        #expect(abs(mean) < 0.003)
        #expect(abs(variance - expectedVariance) / expectedVariance < 0.03, "variance \(variance)")
    }

    @Test func randomNormalUniformAndTruncated() throws {
        let normal: Tensor<Double> = try Initializer.randomNormal(mean: 1, stddev: 2, seed: 1).makeTensor(shape: [100_000])
        let (m, v) = Self.stats(normal)
        #expect(abs(m - 1) < 0.03 && abs(v - 4) < 0.1)

        let uniform: Tensor<Double> = try Initializer.randomUniform(seed: 2).makeTensor(shape: [100_000])
        #expect(uniform.scalars.allSatisfy { $0 >= -0.05 && $0 < 0.05 })
        #expect(abs(Self.stats(uniform).variance - 0.01 / 12) < 1e-4)

        let truncated: Tensor<Double> = try Initializer.truncatedNormal(seed: 3).makeTensor(shape: [100_000])
        #expect(truncated.scalars.allSatisfy { abs($0) <= 0.1 })
        // A unit normal cut at +-2 has variance 0.774.
        #expect(abs(Self.stats(truncated).variance / 0.0025 - 0.774) < 0.02)
    }

    @Test(arguments: [[6, 6], [12, 4], [4, 12], [3, 2, 5]])
    func orthogonalIsOrthonormal(shape: [Int]) throws {
        let t: Tensor<Double> = try Initializer.orthogonal(gain: 2, seed: 9).makeTensor(shape: shape)
        let rows = shape.dropLast().reduce(1, *), columns = shape[shape.count - 1]
        // Q^T Q = gain^2 I over the smaller dimension.
        let byColumns = rows >= columns
        let n = min(rows, columns), length = max(rows, columns)
        for i in 0..<n {
            for j in 0..<n {
                var dot = 0.0
                for k in 0..<length {
                    let a = byColumns ? t.scalars[k * columns + i] : t.scalars[i * columns + k]
                    let b = byColumns ? t.scalars[k * columns + j] : t.scalars[j * columns + k]
                    dot += a * b
                }
                #expect(abs(dot - (i == j ? 4 : 0)) < 1e-9)
            }
        }
    }

    @Test func constantsAndIdentity() throws {
        let zeros: Tensor<Float> = try Initializer.zeros.makeTensor(shape: [2, 3])
        let ones: Tensor<Float> = try Initializer.ones.makeTensor(shape: [2, 3])
        let constant: Tensor<Float> = try Initializer.constant(0.5).makeTensor(shape: [4])
        let identity: Tensor<Float> = try Initializer.identity(gain: 3).makeTensor(shape: [2, 3])
        #expect(zeros.scalars == [0, 0, 0, 0, 0, 0] && ones.scalars == [1, 1, 1, 1, 1, 1])
        #expect(constant.scalars == [0.5, 0.5, 0.5, 0.5])
        #expect(identity.scalars == [3, 0, 0, 0, 3, 0])
        #expect(throws: LayerError.self) { let _: Tensor<Float> = try Initializer.identity().makeTensor(shape: [2, 2, 2]) }
        #expect(throws: LayerError.self) { let _: Tensor<Float> = try Initializer.orthogonal().makeTensor(shape: [4]) }
    }

    @Test func seedsAreReproducibleAndDistinct() throws {
        for initializer in [Initializer.glorotUniform(seed: 11), .orthogonal(seed: 11), .randomNormal(seed: 11), .truncatedNormal(seed: 11), .heUniform(seed: 11)] {
            let a: Tensor<Float> = try initializer.makeTensor(shape: [5, 7])
            let b: Tensor<Float> = try initializer.makeTensor(shape: [5, 7])
            #expect(a == b, "\(initializer.name) with a seed repeats")
        }
        let a: Tensor<Float> = try Initializer.glorotUniform(seed: 1).makeTensor(shape: [5, 7])
        let b: Tensor<Float> = try Initializer.glorotUniform(seed: 2).makeTensor(shape: [5, 7])
        #expect(a != b)
    }

    @Test func namesResolveAndUnknownNamesThrow() throws {
        #expect(try Initializer(named: "glorot_uniform") == .glorotUniform())
        #expect(try Initializer(named: "Orthogonal") == .orthogonal())
        #expect(try Initializer(named: "he_normal").name == "he_normal")
        let error = #expect(throws: LayerError.self) { try Initializer(named: "glorot_unifrom") }
        #expect(error?.message.contains("glorot_unifrom") == true)
        #expect(error?.kind == .unknownName)
    }

    @Test func gruUsesItsInitializers() throws {
        let layer = try GRU<Float>(units: 4, kernelInitializer: .ones, recurrentInitializer: .identity(), biasInitializer: .constant(2))
        try layer.build(inputShape: [nil, 3, 5])
        #expect(layer.kernel?.shape == [5, 12] && layer.kernel?.scalars.allSatisfy { $0 == 1 } == true)
        #expect(layer.recurrentKernel?.shape == [4, 12] && layer.recurrentKernel?[1, 1] == 1 && layer.recurrentKernel?[1, 5] == 0)
        #expect(layer.bias?.shape == [2, 12] && layer.bias?.scalars.allSatisfy { $0 == 2 } == true)
        let old = try GRU<Float>(units: 4, resetAfter: false)
        try old.build(inputShape: [nil, 3, 5])
        #expect(old.bias?.shape == [12])
        let noBias = try GRU<Float>(units: 4, useBias: false)
        try noBias.build(inputShape: [nil, 3, 5])
        #expect(noBias.bias == nil && noBias.weights.count == 2)
    }
}
