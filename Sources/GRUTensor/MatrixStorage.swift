import CGRUKernels

/// Memory for a matrix that products read over and over, such as a packed kernel: aligned
/// for vector loads and, when large, laid out so that it stays in cache whatever physical
/// pages it gets (see `gru_matrix_alloc`). `nil` when the memory cannot be had.
package func allocateMatrix<Scalar>(capacity: Int) -> UnsafeMutablePointer<Scalar>? {
    guard capacity > 0, let raw = gru_matrix_alloc(capacity * MemoryLayout<Scalar>.stride) else { return nil }
    return raw.bindMemory(to: Scalar.self, capacity: capacity)
}

/// Frees memory from ``allocateMatrix(capacity:)``.
package func deallocateMatrix<Scalar>(_ pointer: UnsafeMutablePointer<Scalar>) {
    gru_matrix_free(UnsafeMutableRawPointer(pointer))
}
