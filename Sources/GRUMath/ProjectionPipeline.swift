import Synchronization

/// Hands out chunks of work to two threads without waiting on each other: whoever
/// claims a chunk first computes it, and the other waits only for a chunk that is
/// being computed. Used to compute input projections on one core while the other
/// runs the recurrence.
final class ProjectionPipeline: @unchecked Sendable {
    /// 0: not started, 1: being computed, 2: done.
    private let states: UnsafeMutablePointer<Atomic<Int>>
    let count: Int

    init(chunks: Int) {
        count = chunks
        states = .allocate(capacity: Swift.max(chunks, 1))
        for i in 0..<chunks { (states + i).initialize(to: Atomic(0)) }
    }

    deinit {
        states.deinitialize(count: count)
        states.deallocate()
    }

    /// Claims chunk `i`; returns `false` when the other thread has it already.
    func claim(_ i: Int) -> Bool {
        states[i].compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged
    }

    /// Marks chunk `i` computed.
    func finish(_ i: Int) {
        states[i].store(2, ordering: .releasing)
    }

    /// Makes sure chunk `i` is computed: computes it here when nobody has started it,
    /// else waits for the thread that did.
    func ensure(_ i: Int, compute: (Int) -> Void) {
        if claim(i) {
            compute(i)
            finish(i)
            return
        }
        spinWait { states[i].load(ordering: .acquiring) == 2 }
    }
}
