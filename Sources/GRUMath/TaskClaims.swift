import Synchronization

/// Hands out numbered pieces of work to two threads without making either wait on the
/// other's start: whoever claims a piece first computes it, and a thread waits only for a
/// piece that is being computed. Nothing relies on both threads running: a thread that
/// finds a piece unclaimed may do it itself. Used for input projections computed on one
/// core while the other runs the recurrence, and for the halves of the steps of one
/// sequence shared by two cores.
final class TaskClaims: @unchecked Sendable {
    private static let unclaimed = 0, claimed = 1, done = 2
    /// One state per piece, each on its own cache line so that the two threads' pieces
    /// do not share one.
    private static let stride = 8
    private let states: UnsafeMutablePointer<Atomic<Int>>
    let count: Int

    init(count: Int) {
        self.count = count
        states = .allocate(capacity: Swift.max(count, 1) * Self.stride)
        for i in 0..<(Swift.max(count, 1) * Self.stride) { (states + i).initialize(to: Atomic(Self.unclaimed)) }
    }

    deinit {
        states.deinitialize(count: Swift.max(count, 1) * Self.stride)
        states.deallocate()
    }

    private func state(_ i: Int) -> Int { states[i * Self.stride].load(ordering: .acquiring) }

    /// Claims piece `i`; returns `false` when the other thread has it.
    func claim(_ i: Int) -> Bool {
        states[i * Self.stride].compareExchange(expected: Self.unclaimed, desired: Self.claimed, ordering: .acquiring).exchanged
    }

    /// Marks piece `i` computed.
    func finish(_ i: Int) {
        states[i * Self.stride].store(Self.done, ordering: .releasing)
    }

    /// Whether nobody has claimed piece `i` yet.
    func isUnclaimed(_ i: Int) -> Bool { state(i) == Self.unclaimed }

    /// Whether piece `i` is computed.
    func isDone(_ i: Int) -> Bool { state(i) == Self.done }

    /// Makes sure piece `i` is computed: computes it here when nobody has started it, else,
    /// while the thread that did computes it, takes the last pieces nobody has claimed (the
    /// other thread claims from the front), and then waits. So when the pieces outweigh
    /// the work between the waits (input projections wider than the recurrence), both
    /// threads compute them instead of one waiting on the other.
    func ensure(_ i: Int, compute: (Int) -> Void) {
        if isDone(i) { return }
        if claim(i) {
            compute(i)
            finish(i)
            return
        }
        var last = count - 1
        while !isDone(i) {
            while last > i, !isUnclaimed(last) { last -= 1 }
            guard last > i else { break }
            if claim(last) {
                compute(last)
                finish(last)
            }
        }
        spinWait { isDone(i) }
    }
}
