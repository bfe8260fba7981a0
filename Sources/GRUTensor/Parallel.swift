import CGRUKernels
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body(0) ... body(count - 1)` on the machine's cores and returns when all are done.
///
/// The body may write through pointers to disjoint memory; it is run
/// synchronously, so nothing it captures outlives the call.
package func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    // Within one of two halves run at once, the workers count that half's threads too.
    let budget = gru_kernels_thread_budget()
    withoutActuallyEscaping(body) { escaping in
        let box = UncheckedSendable(escaping)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            guard budget > 0 else { return box.value(index) }
            let outer = gru_kernels_thread_budget()
            gru_kernels_set_thread_budget(budget)
            defer { gru_kernels_set_thread_budget(outer) }
            box.value(index)
        }
    }
}

/// Runs `first` and `second` at once, each on half of the threads in force (``activeCores``),
/// and returns both results; one after the other when there is one thread. What either
/// computes does not depend on the split (see ``ThreadCount``).
///
/// - Throws: The first one's error, else the second one's.
package func concurrently<A, B>(_ first: () throws -> A, _ second: () throws -> B) throws -> (A, B) {
    let cores = activeCores
    guard cores > 1 else { return (try first(), try second()) }
    var a: Result<A, any Error>?, b: Result<B, any Error>?
    withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            withUnsafeMutablePointer(to: &a) { a in
                withUnsafeMutablePointer(to: &b) { b in
                    // Each half writes its own result only.
                    let box = UncheckedSendable((first, second, a, b))
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        let outer = gru_kernels_thread_budget()
                        gru_kernels_set_thread_budget(Int32(half == 0 ? cores / 2 : cores - cores / 2))
                        defer { gru_kernels_set_thread_budget(outer) }
                        if half == 0 {
                            box.value.2.pointee = Result { try box.value.0() }
                        } else {
                            box.value.3.pointee = Result { try box.value.1() }
                        }
                    }
                }
            }
        }
    }
    guard let a, let b else { throw TensorError("a concurrent half did not run") }
    return (try a.get(), try b.get())
}

/// How many workers to split work of `total` units over, given the least work worth a worker.
package func parallelWorkers(total: Int, minimumPerWorker: Int) -> Int {
    guard minimumPerWorker > 0 else { return activeCores }
    return Swift.max(1, Swift.min(activeCores, total / minimumPerWorker))
}

/// How a batch's rows split over workers that each run whole rows through every step of a
/// sequence: rows never interact, so the workers meet only at the end, and a sequence's
/// whole work (not one step's) pays for them.
package struct RowWorkers: Sendable {
    /// Rows per worker; the last worker takes the rest.
    package let chunk: Int
    /// The number of workers.
    package let count: Int

    /// Splits `batch` rows of `steps` steps of `workPerRowStep` multiply-adds.
    ///
    /// - Parameter minimumRows: The fewest rows a worker takes (the last included) when
    ///   there are several, so that a worker's products run on the kernel the whole batch's
    ///   would (their sums then round the same for any thread count).
    package init(batch: Int, steps: Int, workPerRowStep: Int, minimumRows: Int) {
        let rowSteps = batch.multipliedReportingOverflow(by: steps)
        let work = rowSteps.partialValue.multipliedReportingOverflow(by: workPerRowStep)
        let total = rowSteps.overflow || work.overflow ? Int.max : work.partialValue
        var count = Swift.min(parallelWorkers(total: total, minimumPerWorker: 1 << 21), batch / Swift.max(1, minimumRows))
        count = Swift.max(1, count)
        var chunk = (batch + count - 1) / count
        while count > 1, batch - (count - 1) * chunk < minimumRows {
            count -= 1
            chunk = (batch + count - 1) / count
        }
        self.count = count
        self.chunk = Swift.max(1, chunk)
    }
}

/// The number of threads work is split over: ``ThreadCount/current``.
package var activeCores: Int { ThreadCount.current }

/// How many threads the kernels split work over.
///
/// By default the CPUs this process may run on: the CPU affinity mask (`taskset`, a
/// container's cpuset) and the cgroup CPU quota (`docker --cpus`) both count, as in ONNX
/// Runtime and OpenBLAS. `GRU_NUM_THREADS` overrides the default. Results do not depend
/// on the count: every thread computes whole rows or whole units, never part of a sum.
public enum ThreadCount {
    private static let setting = Atomic<Int>(0)

    /// The count in force: set by ``current``'s setter, else `GRU_NUM_THREADS`, else ``available``.
    public static var current: Int {
        get {
            // Within one of two halves run at once (``concurrently(_:_:)``), its share.
            let budget = Int(gru_kernels_thread_budget())
            if budget > 0 { return budget }
            let chosen = setting.load(ordering: .relaxed)
            return chosen > 0 ? chosen : configured
        }
        set { setting.store(Swift.max(0, newValue), ordering: .relaxed) }
    }

    /// Goes back to the default (`GRU_NUM_THREADS` or ``available``).
    public static func reset() { setting.store(0, ordering: .relaxed) }

    /// `GRU_NUM_THREADS` when it is a positive number, else ``available``.
    private static let configured: Int = {
        if let text = getenv("GRU_NUM_THREADS").map({ String(cString: $0) }), let count = Int(text), count > 0 {
            return count
        }
        return available
    }()

    /// The CPUs this process may use: online CPUs, narrowed by the affinity mask and the
    /// cgroup CPU quota.
    public static let available: Int = {
        var count = onlineCores()
        if let allowed = affinityCores() { count = Swift.min(count, allowed) }
        if let quota = cgroupQuota() { count = Swift.min(count, quota) }
        return Swift.max(1, count)
    }()

    private static func onlineCores() -> Int {
        #if canImport(Glibc)
        return Int(Glibc.sysconf(Int32(Glibc._SC_NPROCESSORS_ONLN)))
        #elseif canImport(Darwin)
        return Int(Darwin.sysconf(Darwin._SC_NPROCESSORS_ONLN))
        #else
        return 1
        #endif
    }

    private static func affinityCores() -> Int? {
        let count = Int(gru_kernels_affinity_cpus())
        return count > 0 ? count : nil
    }

    /// `ceil(quota / period)` from cgroup v2's `cpu.max` or v1's `cpu.cfs_quota_us`, when limited.
    private static func cgroupQuota() -> Int? {
        if let line = readSmallFile("/sys/fs/cgroup/cpu.max") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0, period > 0 {
                return (quota + period - 1) / period
            }
            return nil
        }
        if let quotaText = readSmallFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
           let periodText = readSmallFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
           let quota = Int(quotaText), let period = Int(periodText), quota > 0, period > 0 {
            return (quota + period - 1) / period
        }
        return nil
    }

    private static func readSmallFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.trimmingCharacters(in: " \n")
    }
}

extension String {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

/// Carries a value that is used from several threads in a way the caller has
/// made safe (disjoint writes, or reads only).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
