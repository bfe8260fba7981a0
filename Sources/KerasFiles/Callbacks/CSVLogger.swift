import Foundation
import SwiftGRU

/// Writes each epoch's logs to a CSV file (Keras' `CSVLogger`): a header of `epoch` and the
/// log names in sorted order (with `val_` columns, `NA` in them, when there is no validation,
/// as Keras writes), then one row per epoch (counted from 0), lines ending in CRLF as Python's
/// csv module writes them. The file is rewritten whole after each epoch.
public final class CSVLogger<Scalar: TensorScalar>: TrainingCallback {
    public let path: String
    public let separator: String
    /// Keeps the rows already in the file and adds to them (Keras' `append`).
    public let append: Bool
    private var keys: [String]?
    private var lines: [String] = []

    /// Creates the callback.
    public init(path: String, separator: String = ",", append: Bool = false) {
        self.path = path
        self.separator = separator
        self.append = append
    }

    /// Creates the callback for a file URL.
    ///
    /// - Throws: ``FileFormatError`` for a URL that is not a file URL.
    public convenience init(url: URL, separator: String = ",", append: Bool = false) throws {
        self.init(path: try url.filePath(), separator: separator, append: append)
    }

    /// Opens the log as Keras does before the first epoch: a path that cannot be written fails
    /// here, not after an epoch of training.
    public func trainingBegins(_ trainer: Trainer<Scalar>) throws {
        keys = nil
        lines = []
        if append, let existing = try? KerasModelFile.read(path) {
            lines = String(decoding: existing, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
            if let header = lines.first { keys = Array(header.components(separatedBy: separator).dropFirst()) }
        }
        try AtomicFile.write(Array(lines.map { $0 + "\r\n" }.joined().utf8), to: path)
    }

    public func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Scalar>) throws {
        if keys == nil {
            var names = logs.keys.sorted()
            if !names.isEmpty, !names.contains(where: { $0.hasPrefix("val_") }) { names += names.map { "val_" + $0 } }
            keys = names
            lines.append((["epoch"] + names).joined(separator: separator))
        }
        let row = [String(epoch)] + (keys ?? []).map { key in logs[key].map { "\($0)" } ?? "NA" }
        lines.append(row.joined(separator: separator))
        try AtomicFile.write(Array(lines.map { $0 + "\r\n" }.joined().utf8), to: path)
    }
}
