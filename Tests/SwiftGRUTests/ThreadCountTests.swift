import Testing

@testable import SwiftGRU
@testable import GRUTensor

/// Results must not depend on how many threads the kernels use.
@Suite("Thread count", .serialized)
struct ThreadCountTests {
    /// Forward and backward bits for a batch split over workers, and for one sequence
    /// (whose steps two threads share by units): small batches of wide layers, whose rows
    /// would split into workers of one to four, and a batch of narrow ones.
    /// And a small batch over enough steps that with two threads or more the second computes
    /// the input projections a chunk ahead, which one thread computes up front.
    @Test(arguments: [(7, 96, 12), (1, 160, 12), (40, 200, 12), (2, 640, 12), (6, 320, 12), (12, 120, 12), (3, 40, 70)])
    func resultsAreIdenticalForOneTwoAndThreeThreads(batch: Int, units: Int, steps: Int) throws {
        defer { ThreadCount.reset() }
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 5).makeTensor(shape: [batch, steps, 48])
        var results = [[Tensor<Float>]]()
        for threads in [1, 2, 3] {
            ThreadCount.current = threads
            #expect(ThreadCount.current == threads)
            let gru = try GRU<Float>(
                // Not orthogonal: its factorization of a 640-unit kernel takes minutes in a debug build.
                units: units, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .glorotUniform(seed: 2),
                biasInitializer: .randomNormal(stddev: 0.3, seed: 3), returnSequences: true, useCuDNN: false)
            let output = try gru.forwardRecording(x, mask: nil, initialState: [], training: true).output
            let gradient: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 6).makeTensor(shape: output.shape)
            let g = try gru.backward([gradient])
            results.append([output, try #require(g.input)] + g.weights)
        }
        for (threads, other) in zip(2..., results.dropFirst()) {
            for (k, (a, b)) in zip(results[0], other).enumerated() {
                #expect(differingValues(a, b) == 0, "result \(k) with \(threads) threads")
            }
        }
    }

    /// A Bidirectional layer runs its halves at once with two threads or more, each on its
    /// share: the same bits as one after the other, masked and trained.
    @Test func bidirectionalHalvesAtOnceGiveTheSameBits() throws {
        defer { ThreadCount.reset() }
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 8).makeTensor(shape: [9, 14, 20])
        let lengths = [14, 3, 9, 1, 14, 7, 12, 5, 10]
        let mask = try Tensor<Bool>(shape: [9, 14], scalars: lengths.flatMap { n in (0..<14).map { $0 < n } })
        var results = [[Tensor<Float>]]()
        for threads in [1, 2, 3, 4] {
            ThreadCount.current = threads
            let layer = try Bidirectional(GRU<Float>(
                units: 24, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2),
                biasInitializer: .randomNormal(stddev: 0.3, seed: 3), returnSequences: true, useCuDNN: false))
            let inference = try layer.forward(x, mask: mask, training: false).output
            let output = try layer.forwardRecording(x, mask: mask, initialState: [], training: true).output
            let gradient: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 6).makeTensor(shape: output.shape)
            let g = try layer.backward([gradient])
            results.append([inference, output, try #require(g.input)] + g.weights)
        }
        for (threads, other) in zip(2..., results.dropFirst()) {
            #expect(other.count == results[0].count)
            for (k, (a, b)) in zip(results[0], other).enumerated() {
                #expect(differingValues(a, b) == 0, "result \(k) with \(threads) threads")
            }
        }
    }

    /// A batch's rows split into workers of at least the least rows asked for, no more
    /// workers than threads or than the sequence's work pays for, covering the batch.
    @Test func rowWorkersTakeTheirLeastRows() {
        defer { ThreadCount.reset() }
        for threads in [1, 2, 3, 8] {
            ThreadCount.current = threads
            for batch in 1...64 {
                for least in [1, 5] {
                    let split = RowWorkers(batch: batch, steps: 1000, workPerRowStep: 1 << 20, minimumRows: least)
                    #expect(split.count >= 1 && split.count <= Swift.min(threads, Swift.max(1, batch / least)))
                    #expect((batch + split.chunk - 1) / split.chunk == split.count, "batch \(batch)")
                    if split.count > 1 { #expect(batch - (split.count - 1) * split.chunk >= least, "batch \(batch)") }
                }
            }
        }
        ThreadCount.current = 8
        #expect(RowWorkers(batch: 64, steps: 2, workPerRowStep: 64, minimumRows: 5).count == 1)
        #expect(RowWorkers(batch: 64, steps: .max, workPerRowStep: .max, minimumRows: 5).count == 8)
    }

    @Test func halvesRunOnTheirShareOfTheThreads() throws {
        defer { ThreadCount.reset() }
        for (threads, shares) in [(1, [1, 1]), (2, [1, 1]), (3, [1, 2]), (8, [4, 4])] {
            ThreadCount.current = threads
            let (a, b) = try concurrently({ ThreadCount.current }, { ThreadCount.current })
            #expect([a, b] == shares, "\(threads) threads")
            #expect(ThreadCount.current == threads)
        }
        // A half's workers count its share too.
        ThreadCount.current = 8
        let (seen, _) = try concurrently({ () -> [Int] in
            var seen = [Int](repeating: 0, count: 4)
            seen.withUnsafeMutableBufferPointer { seen in parallelFor(4) { seen[$0] = ThreadCount.current } }
            return seen
        }, { 0 })
        #expect(seen == [4, 4, 4, 4])
        ThreadCount.current = 2
        #expect(throws: LayerError.self) {
            _ = try concurrently({ 1 }, { () throws -> Int in throw LayerError(.invalidArgument, "second") })
        }
    }

    @Test func theDefaultIsWithinTheMachine() {
        ThreadCount.reset()
        #expect(ThreadCount.available >= 1)
        #expect(ThreadCount.current >= 1)
    }
}

/// How many values of `a` and `b` differ in their bits (all of them when the shapes differ):
/// a count, not the arrays, so that a failure reports quickly.
private func differingValues(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Int {
    guard a.shape == b.shape else { return Swift.max(a.scalars.count, b.scalars.count) }
    return zip(a.scalars, b.scalars).reduce(0) { $0 + ($1.0.bitPattern == $1.1.bitPattern ? 0 : 1) }
}
