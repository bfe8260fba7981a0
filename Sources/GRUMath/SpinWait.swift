#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Spins until `done()` returns `true`, for waits of a few microseconds between two
/// threads. After a while it gives its core away at each turn: with more threads than
/// cores, the thread being waited for may need this one's core.
func spinWait(until done: () -> Bool) {
    var spins = 0
    while !done() {
        spins += 1
        if spins > 4096 { sched_yield() }
    }
}
