import CGRUMPI
import SwiftGRU

/// A ``GradientReducer`` over MPI (Open MPI, or MPICH), for data-parallel training started
/// under `mpirun -np N`: each process of the job is a worker.
///
/// MPI is loaded at run time (`dlopen`), so building and running in one process need no MPI;
/// `GRU_MPI_LIBRARY` names the library when it is not found by its usual names. A worker
/// that dies ends the job: MPI's launcher stops every other worker.
public final class MPIGradientReducer: GradientReducer {
    public let rank: Int
    public let size: Int

    /// Joins the MPI job (`MPI_Init`, once per process).
    ///
    /// - Throws: ``MPIError`` when no MPI library can be loaded or MPI cannot start.
    public init() throws {
        var message = [CChar](repeating: 0, count: 512)
        guard gru_mpi_init(&message, message.count) != 0 else {
            let text = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            throw MPIError(String(decoding: text, as: UTF8.self))
        }
        rank = Int(gru_mpi_rank())
        size = Int(gru_mpi_size())
    }

    /// Whether an MPI library can be loaded on this machine (nothing is started).
    public static var isAvailable: Bool {
        var message = [CChar](repeating: 0, count: 512)
        return gru_mpi_load(&message, message.count) != 0
    }

    public func sum(_ values: inout [Double]) throws {
        guard size > 1, !values.isEmpty else { return }
        let done = values.withUnsafeMutableBufferPointer { gru_mpi_sum_doubles($0.baseAddress, $0.count) }
        guard done != 0 else { throw MPIError("MPI_Allreduce of \(values.count) values failed") }
    }

    public func broadcast(_ values: inout [Double], from root: Int) throws {
        guard size > 1, !values.isEmpty else { return }
        guard root >= 0, root < size else { throw MPIError("no worker \(root) among \(size)") }
        let done = values.withUnsafeMutableBytes { gru_mpi_broadcast_bytes($0.baseAddress, $0.count, Int32(root)) }
        guard done != 0 else { throw MPIError("MPI_Bcast of \(values.count) values failed") }
    }

    /// Leaves the job (`MPI_Finalize`); call once, when the work is done.
    public func finish() { gru_mpi_finalize() }

    /// Ends every worker of the job with `code` (`MPI_Abort`): for a worker that cannot go on.
    public func abort(code: Int32) -> Never {
        gru_mpi_abort(code)
    }
}

/// Why MPI could not be used: no library, a failed start, or a failed collective call.
public struct MPIError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
