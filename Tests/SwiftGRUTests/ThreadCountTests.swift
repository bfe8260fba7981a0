import Testing

@testable import SwiftGRU

/// Results must not depend on how many threads the kernels use.
@Suite("Thread count", .serialized)
struct ThreadCountTests {
    /// Forward and backward bits for a batch split over workers, and for one sequence
    /// (whose steps two threads share by units).
    @Test(arguments: [(7, 96), (1, 160), (40, 200)])
    func resultsAreIdenticalForOneTwoAndThreeThreads(batch: Int, units: Int) throws {
        defer { ThreadCount.reset() }
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 5).makeTensor(shape: [batch, 12, 48])
        var results = [[Tensor<Float>]]()
        for threads in [1, 2, 3] {
            ThreadCount.current = threads
            #expect(ThreadCount.current == threads)
            let gru = try GRU<Float>(
                units: units, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2),
                biasInitializer: .randomNormal(stddev: 0.3, seed: 3), returnSequences: true, useCuDNN: false)
            let output = try gru.forwardRecording(x, mask: nil, initialState: [], training: true).output
            let gradient: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 6).makeTensor(shape: output.shape)
            let g = try gru.backward([gradient])
            results.append([output, try #require(g.input)] + g.weights)
        }
        for other in results.dropFirst() {
            for (a, b) in zip(results[0], other) { #expect(a.scalars == b.scalars) }
        }
    }

    @Test func theDefaultIsWithinTheMachine() {
        ThreadCount.reset()
        #expect(ThreadCount.available >= 1)
        #expect(ThreadCount.current >= 1)
    }
}
