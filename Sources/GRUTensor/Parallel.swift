import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body(0) ... body(count - 1)` on the machine's cores and returns when all are done.
///
/// The body may write through pointers to disjoint memory; it is run
/// synchronously, so nothing it captures outlives the call.
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { escaping in
        let box = UncheckedSendable(escaping)
        DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
    }
}

/// How many workers to split work of `total` units over, given the least work worth a worker.
public func parallelWorkers(total: Int, minimumPerWorker: Int) -> Int {
    guard minimumPerWorker > 0 else { return activeCores }
    return Swift.max(1, Swift.min(activeCores, total / minimumPerWorker))
}

/// The number of cores work is split over.
public let activeCores: Int = Swift.max(1, sysconfCores())

private func sysconfCores() -> Int {
    #if canImport(Glibc)
    return Int(Glibc.sysconf(Int32(Glibc._SC_NPROCESSORS_ONLN)))
    #elseif canImport(Darwin)
    return Int(Darwin.sysconf(Darwin._SC_NPROCESSORS_ONLN))
    #else
    return 1
    #endif
}

/// Carries a value that is used from several threads in a way the caller has
/// made safe (disjoint writes, or reads only).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
