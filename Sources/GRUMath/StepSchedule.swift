import Synchronization

/// Lets two threads share every step of one sequence, each computing a part (a role), in
/// lockstep: a thread publishes each step it finishes for its roles and waits for the
/// other role's thread to finish the same step.
///
/// Nothing relies on both threads running: a thread that reaches the first step's wait
/// while the other role is still unclaimed (the other thread has not started) claims that
/// role too and runs the whole sequence alone. Once both roles are claimed, each is held by
/// a running thread, so every wait ends.
final class StepSchedule: @unchecked Sendable {
    /// Per role, on its own cache line: claimed (0 or 1), then steps finished.
    private let slots: UnsafeMutablePointer<Atomic<Int>>
    private static let stride = 16
    static let roles = 2

    init() {
        slots = .allocate(capacity: Self.roles * Self.stride)
        for i in 0..<(Self.roles * Self.stride) { (slots + i).initialize(to: Atomic(0)) }
    }

    deinit {
        slots.deinitialize(count: Self.roles * Self.stride)
        slots.deallocate()
    }

    private func claimed(_ role: Int) -> UnsafeMutablePointer<Atomic<Int>> { slots + role * Self.stride }
    private func finished(_ role: Int) -> UnsafeMutablePointer<Atomic<Int>> { slots + role * Self.stride + 1 }

    /// Claims `role`; returns `false` when another thread has it.
    func claim(_ role: Int) -> Bool {
        claimed(role).pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged
    }

    /// Marks steps `0..<count` of `role` finished.
    func publish(_ role: Int, finishedSteps count: Int) {
        finished(role).pointee.store(count, ordering: .releasing)
    }

    /// Waits until `role` has finished `count` steps. When `role` is still unclaimed after
    /// `patience` (the other thread has not started), claims it instead and returns `true`:
    /// the caller then runs that role too. Use a patience only before the first step.
    func wait(for role: Int, finishedSteps count: Int, patience: Duration? = nil) -> Bool {
        let start = ContinuousClock.now
        var claimedHere = false
        spinWait {
            if finished(role).pointee.load(ordering: .acquiring) >= count { return true }
            guard let patience, claimed(role).pointee.load(ordering: .acquiring) == 0, ContinuousClock.now - start > patience else {
                return false
            }
            claimedHere = claim(role)
            return claimedHere
        }
        return claimedHere
    }
}
