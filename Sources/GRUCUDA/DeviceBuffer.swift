import CGRUCUDA

/// GPU memory, freed when the last reference goes.
package final class DeviceBuffer: @unchecked Sendable {
    package let pointer: UnsafeMutableRawPointer?
    package let bytes: Int
    private let libraries: CUDALibraries

    /// Allocates `bytes` on the GPU (nothing for zero bytes).
    ///
    /// - Throws: ``GPUError`` when the GPU has not that much memory free.
    package init(_ libraries: CUDALibraries, bytes: Int) throws {
        self.libraries = libraries
        self.bytes = bytes
        guard bytes > 0 else {
            pointer = nil
            return
        }
        var pointer: UnsafeMutableRawPointer?
        try libraries.check(cuda: libraries.api.cudaMalloc(&pointer, bytes), "cudaMalloc of \(bytes) bytes")
        self.pointer = pointer
    }

    /// Allocates room for `values` and copies them to the GPU.
    package convenience init<T>(_ libraries: CUDALibraries, copying values: [T]) throws {
        try self.init(libraries, bytes: values.count * MemoryLayout<T>.stride)
        try upload(values)
    }

    deinit {
        if let pointer { _ = libraries.api.cudaFree(pointer) }
    }

    /// Copies `values` to the start of the buffer.
    package func upload<T>(_ values: [T]) throws {
        let count = values.count * MemoryLayout<T>.stride
        guard count <= bytes else { throw GPUError("\(count) bytes do not fit a GPU buffer of \(bytes)") }
        guard count > 0 else { return }
        try values.withUnsafeBytes { source in
            try libraries.check(cuda: libraries.api.cudaMemcpy(pointer, source.baseAddress, count, 1), "cudaMemcpy to the GPU")
        }
    }

    /// Copies the first `count` values back from the GPU.
    package func download<T: Numeric>(_ count: Int, as type: T.Type = T.self) throws -> [T] {
        let byteCount = count * MemoryLayout<T>.stride
        guard byteCount <= bytes else { throw GPUError("\(byteCount) bytes asked of a GPU buffer of \(bytes)") }
        var values = [T](repeating: 0, count: count)
        guard byteCount > 0 else { return values }
        try values.withUnsafeMutableBytes { destination in
            try libraries.check(cuda: libraries.api.cudaMemcpy(destination.baseAddress, pointer, byteCount, 2), "cudaMemcpy from the GPU")
        }
        return values
    }

    /// Sets every byte to zero.
    package func zero() throws {
        guard bytes > 0 else { return }
        try libraries.check(cuda: libraries.api.cudaMemset(pointer, 0, bytes), "cudaMemset")
    }
}
