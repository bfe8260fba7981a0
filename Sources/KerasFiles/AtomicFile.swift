import Foundation

/// Writing a file so that a failure leaves what was there untouched.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path` (`.<name>.gru-<pid>.tmp`), flushes it
    /// to disk, then renames it over `path`: a reader sees the old file or the whole new one,
    /// and a failed write changes nothing. Temporary files that killed writers left beside
    /// `path` (their process is gone) are removed first.
    ///
    /// - Throws: ``FileFormatError`` naming the path when the file cannot be written.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path, name = url.lastPathComponent
        removeAbandoned(in: directory, name: name)
        let temporary = directory + "/." + name + ".gru-\(getpid()).tmp"
        func failure(_ why: String) -> FileFormatError {
            unlink(temporary)
            return FileFormatError("cannot write '\(path)': \(why)")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        var written = 0
        let status: Int32 = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = Foundation.write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += count
            }
            return fsync(descriptor) == 0 ? 0 : errno
        }
        close(descriptor)
        guard status == 0 else { throw failure(String(cString: strerror(status))) }
        guard rename(temporary, path) == 0 else { throw failure(String(cString: strerror(errno))) }
    }

    /// Writes `bytes` to a file URL as ``write(_:to:)-(_,String)`` writes to a path.
    ///
    /// - Throws: ``FileFormatError`` when the URL is not a file URL or the file cannot be written.
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        try write(bytes, to: try url.filePath())
    }

    /// Removes `.<name>.gru-<pid>.tmp` files of processes that no longer run.
    private static func removeAbandoned(in directory: String, name: String) {
        let prefix = "." + name + ".gru-", suffix = ".tmp"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(suffix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).dropLast(suffix.count)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { unlink(directory + "/" + entry) }
        }
    }
}
