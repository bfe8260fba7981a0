import CGRUKernels

/// An opt-in for processes that train: keep freed memory for reuse.
///
/// Training allocates buffers of many megabytes per call. glibc hands blocks that large
/// back to the system when they are freed, so every call faults in fresh pages (measured:
/// up to 20% of a training step). ``keepFreedMemory()`` raises glibc's thresholds for the
/// whole process (`mallopt`: blocks up to 32 MiB from the heap, up to 1 GiB of free heap
/// kept), which is why the library never does it by itself; the `gru` tool does.
public enum MemoryReuse {
    /// Asks glibc to keep freed memory for reuse, for the rest of the process. Does nothing
    /// with other C libraries.
    public static func keepFreedMemory() { gru_kernels_keep_freed_memory() }
}

/// Runs `body` with the matrix kernels' scratch allocations failing on the calling thread
/// (other threads, and the workers `body` may start, are unaffected), so that tests reach
/// the paths that compute without scratch memory.
package func withScratchAllocationsFailing(_ body: () throws -> Void) rethrows {
    gru_kernels_fail_scratch_allocations(1)
    defer { gru_kernels_fail_scratch_allocations(0) }
    try body()
}
