import Foundation

/// Writing a file so that a failure leaves what was there untouched.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a
    /// reader sees the old file or the whole new one, and a failed write changes nothing.
    ///
    /// - Throws: ``FileFormatError`` naming the path when the file cannot be written.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FileFormatError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}
