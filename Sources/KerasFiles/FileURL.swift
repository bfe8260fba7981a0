import Foundation

extension URL {
    /// The file system path of a `file:` URL, for the APIs that take paths.
    ///
    /// - Throws: ``FileFormatError`` for a URL of another scheme (`https:`, ...), which no
    ///   file API here reads or writes.
    func filePath() throws -> String {
        guard isFileURL else { throw FileFormatError("'\(absoluteString)' is not a file URL; files are read and written on this machine only") }
        return path(percentEncoded: false)
    }
}
