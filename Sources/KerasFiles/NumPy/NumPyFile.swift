import Foundation
import SwiftGRU

/// A `.npy` file read in place: its header is checked when it is opened, and samples (rows of
/// the first axis) are read from the file and converted to Float only when asked for, so that
/// a model can predict or train on a file larger than memory, a batch at a time.
///
/// Files in C order are read in place; a Fortran-order file (the transpose on disk) is read
/// whole when opened.
public final class NumPyFile: BatchSource, @unchecked Sendable {
    public typealias Scalar = Float

    /// The array's shape.
    public let shape: [Int]
    /// The array's dtype (`<f4`, `<f8`, `<i4`, `<i8`, `|b1`).
    public let descriptor: String
    private let handle: FileHandle?
    private let dataStart: Int, width: Int, sampleValues: Int
    private let loaded: Tensor<Float>?
    // The file handle is read with one positioned read at a time.
    private let lock = NSLock()

    /// Opens the `.npy` file at a file URL, as ``init(contentsOf:)-(String)``.
    ///
    /// - Throws: ``FileFormatError`` as the path version, or for a URL that is not a file URL.
    public convenience init(contentsOf url: URL) throws {
        try self.init(contentsOf: try url.filePath())
    }

    /// Opens the file and checks its header and length.
    ///
    /// - Throws: ``FileFormatError`` when the file cannot be read, is not a `.npy` file, has an
    ///   unsupported dtype, or is shorter or longer than its shape says.
    public init(contentsOf path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileFormatError("cannot read '\(path)': no such file or no permission")
        }
        let size: Int, prefix: [UInt8]
        do {
            size = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            prefix = [UInt8](try handle.read(upToCount: 1 << 16) ?? Data())
        } catch {
            throw FileFormatError("cannot read '\(path)': \(error.localizedDescription)")
        }
        let layout = try NumPyArray.npyLayout(prefix)
        let data = size - layout.dataStart
        guard layout.count <= data / layout.width, data == layout.count * layout.width else {
            throw FileFormatError("\(path): shape \(layout.shape) of \(layout.descriptor) needs \(layout.count) values of \(layout.width) bytes, the file has \(data) data bytes")
        }
        guard let first = layout.shape.first else { throw FileFormatError("\(path) holds a scalar, not samples along a first axis") }
        shape = layout.shape
        descriptor = layout.descriptor
        dataStart = layout.dataStart
        width = layout.width
        sampleValues = first == 0 ? 0 : layout.count / first
        if layout.fortranOrder {
            loaded = try NumPyArray(npy: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).tensor(of: Float.self)
            self.handle = nil
            try? handle.close()
        } else {
            loaded = nil
            self.handle = handle
        }
    }

    deinit { try? handle?.close() }

    public var sampleCount: Int { shape[0] }
    public var sampleShape: [Int] { Array(shape.dropFirst()) }

    /// The samples at `indices`, read from the file (runs of consecutive indices in one read).
    ///
    /// - Throws: ``FileFormatError`` when an index is out of range or the file cannot be read.
    public func samples(at indices: [Int]) throws -> Tensor<Float> {
        if let loaded {
            do { return try loaded.samples(at: indices) } catch let error as TensorError {
                throw FileFormatError("cannot read samples: \(error.message)")
            }
        }
        guard let handle else { throw FileFormatError("the .npy file is closed") }
        let rowBytes = sampleValues * width
        var values = [Float]()
        values.reserveCapacity(indices.count * sampleValues)
        var k = 0
        while k < indices.count {
            let start = indices[k]
            guard start >= 0, start < sampleCount else {
                throw FileFormatError("sample \(start) is out of range: the file has \(sampleCount)")
            }
            var end = k + 1
            while end < indices.count, indices[end] == indices[end - 1] + 1, indices[end] < sampleCount { end += 1 }
            let rows = end - k
            let bytes: Data
            do {
                lock.lock()
                defer { lock.unlock() }
                try handle.seek(toOffset: UInt64(dataStart + start * rowBytes))
                bytes = try handle.read(upToCount: rows * rowBytes) ?? Data()
            } catch {
                throw FileFormatError("cannot read samples \(start)..<\(start + rows): \(error.localizedDescription)")
            }
            guard bytes.count == rows * rowBytes else { throw FileFormatError("the .npy file ended early (was it changed while read?)") }
            bytes.withUnsafeBytes { raw in append(raw, to: &values) }
            k = end
        }
        return try Tensor(shape: [indices.count] + sampleShape, scalars: values)
    }

    /// Converts little-endian values of the file's dtype to Float.
    private func append(_ raw: UnsafeRawBufferPointer, to values: inout [Float]) {
        let count = raw.count / width
        switch descriptor {
        case "<f4": for i in 0..<count { values.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))) }
        case "<f8": for i in 0..<count { values.append(Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))) }
        case "<i4": for i in 0..<count { values.append(Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))) }
        case "<i8": for i in 0..<count { values.append(Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))) }
        default: for i in 0..<count { values.append(raw[i] != 0 ? 1 : 0) }
        }
    }
}

/// A `.npy` file of float32 values written a batch of samples at a time, for outputs larger
/// than memory: the header (the whole shape, known in advance) first, then the samples in
/// order. It is written beside its destination and moved there by ``finish()``, so that a
/// failure leaves what was there untouched.
public final class NumPyFileWriter {
    public let path: String
    public let shape: [Int]
    private let temporary: String
    private let handle: FileHandle
    private var written = 0
    private var finished = false

    /// Starts the file at a file URL, as ``init(path:shape:)``.
    ///
    /// - Throws: ``FileFormatError`` as the path version, or for a URL that is not a file URL.
    public convenience init(url: URL, shape: [Int]) throws {
        try self.init(path: try url.filePath(), shape: shape)
    }

    /// Starts the file.
    ///
    /// - Throws: ``FileFormatError`` when the shape is empty or too large, or the file cannot
    ///   be created.
    public init(path: String, shape: [Int]) throws {
        guard let first = shape.first, first >= 0, shape.allSatisfy({ $0 >= 0 }) else {
            throw FileFormatError("a .npy file written in batches needs samples along a first axis, got shape \(shape)")
        }
        _ = first
        self.path = path
        self.shape = shape
        temporary = path + ".partial-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw FileFormatError("cannot write '\(path)': the folder is missing or not writable")
        }
        self.handle = handle
        do { try handle.write(contentsOf: NumPyArray.npyHeader(descriptor: "<f4", shape: shape)) } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw FileFormatError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }

    deinit {
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }

    /// Appends the next samples.
    ///
    /// - Throws: ``FileFormatError`` when their shape does not fit or they go past the shape.
    public func append(_ samples: Tensor<Float>) throws {
        guard samples.shape.dropFirst().elementsEqual(shape.dropFirst()), written + samples.sampleCount <= shape[0] else {
            throw FileFormatError("samples of shape \(samples.shape) do not fit \(path) of shape \(shape) after \(written) samples")
        }
        var bytes = Data(capacity: samples.scalarCount * 4)
        for value in samples.scalars { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        do { try handle.write(contentsOf: bytes) } catch {
            throw FileFormatError("cannot write '\(path)': \(error.localizedDescription)")
        }
        written += samples.sampleCount
    }

    /// Checks that every sample was written, and moves the file into place.
    ///
    /// - Throws: ``FileFormatError`` when samples are missing or the file cannot be moved.
    public func finish() throws {
        guard written == shape[0] else { throw FileFormatError("\(path): \(written) of \(shape[0]) samples written") }
        do { try handle.close() } catch {
            throw FileFormatError("cannot write '\(path)': \(error.localizedDescription)")
        }
        // rename(2) replaces the destination in one step.
        guard rename(temporary, path) == 0 else {
            throw FileFormatError("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        finished = true
    }
}
