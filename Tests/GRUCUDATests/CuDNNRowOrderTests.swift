import Testing

@testable import GRUCUDA

/// The packed sequence-major layout cuDNN reads, checked on the CPU.
struct CuDNNRowOrderTests {
    @Test func rowsAreSortedLongestFirstAndStepsHoldTheRunningRows() {
        let rows = CuDNNRowOrder(lengths: [2, 4, 1, 4], steps: 4)
        #expect(rows.order == [1, 3, 0, 2])
        #expect(rows.sortedLengths == [4, 4, 2, 1])
        #expect(rows.total == 11)
        #expect(!rows.isIdentity)
        // Padded (steps 4, batch 4, width 1): value 10 * t + b.
        let padded = (0..<4).flatMap { t in (0..<4).map { b in Double(10 * t + b) } }
        #expect(rows.compact(padded, width: 1) == [1, 3, 0, 2, 11, 13, 10, 21, 23, 31, 33])
    }

    @Test(arguments: [[Int32]([3, 1, 2]), [5, 5, 5], [1], [2, 7, 7, 1, 4]])
    func packingRoundTrips(lengths: [Int32]) {
        let steps = Int(lengths.max() ?? 1) + 1, width = 3, batch = lengths.count
        let rows = CuDNNRowOrder(lengths: lengths, steps: steps)
        var padded = [Float](repeating: 0, count: steps * batch * width)
        for t in 0..<steps {
            for b in 0..<batch where t < Int(lengths[b]) {
                for j in 0..<width { padded[(t * batch + b) * width + j] = Float(100 * t + 10 * b + j + 1) }
            }
        }
        let packed = rows.compact(padded, width: width)
        #expect(packed.count == rows.total * width)
        #expect(rows.expand(packed, width: width) == padded)
        let states = (0..<(batch * width)).map(Float.init)
        #expect(rows.unpermute(rows.permute(states, width: width), width: width) == states)
    }

    @Test func equalLengthsAreTheIdentity() {
        let rows = CuDNNRowOrder(lengths: [3, 3], steps: 3)
        #expect(rows.isIdentity)
        #expect(rows.order == [0, 1])
    }
}
