import Foundation
import SwiftGRU

/// Saves the model as a `.keras` file (compile settings and optimizer state included) at the
/// end of epochs, or every `saveFrequency` batches (Keras' `ModelCheckpoint`): every time, or
/// only when a monitored quantity improves. The path may hold Keras' placeholders, `{epoch}` or
/// `{epoch:02d}` (counted from 1) and a log value such as `{val_loss:.4f}`; its folder is
/// created, as Keras creates it. Each file is written whole before it replaces an existing one.
public final class ModelCheckpoint: TrainingCallback {
    public typealias Scalar = Float
    public let filepath: String
    public let monitor: String
    public let saveBestOnly: Bool
    /// Saves `.weights.h5` files (`model.save_weights`) instead of whole models.
    public let saveWeightsOnly: Bool
    public let mode: MonitorMode
    /// Saves every this many batches, counted across epochs, with the batch's logs (Keras'
    /// `save_freq` given a number); `nil` saves at the end of each epoch (`"epoch"`).
    public let saveFrequency: Int?
    private var batches = 0, epoch = 0
    /// The compile_config written into each file.
    public let compileConfig: JSONValue?
    /// The files written, in order.
    public private(set) var saved: [String] = []
    private var best: Double?

    /// Creates the callback with Keras' defaults.
    ///
    /// - Parameter initialValueThreshold: A value the quantity must beat before the first
    ///   save when saving only the best (Keras' `initial_value_threshold`).
    /// - Throws: ``FileFormatError`` for a path that does not end in `.keras` (or
    ///   `.weights.h5` when saving weights only), as Keras requires.
    public init(
        filepath: String, monitor: String = "val_loss", saveBestOnly: Bool = false, saveWeightsOnly: Bool = false,
        mode: MonitorMode = .auto, initialValueThreshold: Double? = nil, saveFrequency: Int? = nil, compileConfig: JSONValue? = nil
    ) throws {
        if let saveFrequency, saveFrequency < 1 {
            throw FileFormatError("ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches, got \(saveFrequency)")
        }
        self.saveFrequency = saveFrequency
        let suffix = saveWeightsOnly ? ".weights.h5" : ".keras"
        guard filepath.hasSuffix(suffix) else {
            throw FileFormatError("ModelCheckpoint: the file path must end in \(suffix), got '\(filepath)'")
        }
        self.filepath = filepath
        self.monitor = monitor
        self.saveBestOnly = saveBestOnly
        self.saveWeightsOnly = saveWeightsOnly
        self.mode = mode
        self.compileConfig = compileConfig
        best = initialValueThreshold
    }

    /// Creates the callback for a file URL (its path may hold Keras' placeholders).
    ///
    /// - Throws: ``FileFormatError`` as ``init(filepath:monitor:saveBestOnly:saveWeightsOnly:mode:initialValueThreshold:saveFrequency:compileConfig:)``,
    ///   or for a URL that is not a file URL.
    public convenience init(
        url: URL, monitor: String = "val_loss", saveBestOnly: Bool = false, saveWeightsOnly: Bool = false,
        mode: MonitorMode = .auto, initialValueThreshold: Double? = nil, saveFrequency: Int? = nil, compileConfig: JSONValue? = nil
    ) throws {
        try self.init(
            filepath: try url.filePath(), monitor: monitor, saveBestOnly: saveBestOnly, saveWeightsOnly: saveWeightsOnly, mode: mode,
            initialValueThreshold: initialValueThreshold, saveFrequency: saveFrequency, compileConfig: compileConfig)
    }

    /// Creates the folder of the path before the first epoch, as Keras does before it saves.
    public func trainingBegins(_ trainer: Trainer<Float>) throws {
        batches = 0
        let folder = (filepath as NSString).deletingLastPathComponent
        guard !folder.isEmpty, !folder.contains("{") else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw FileFormatError("ModelCheckpoint: cannot create the folder '\(folder)': \(error.localizedDescription)")
        }
    }

    public func epochBegins(_ epoch: Int, _ trainer: Trainer<Float>) throws {
        self.epoch = epoch
    }

    public func batchEnds(_ batch: Int, logs: [String: Double], _ trainer: Trainer<Float>) throws {
        guard let saveFrequency else { return }
        batches += 1
        if batches % saveFrequency == 0 { try save(epoch: epoch, logs: logs, trainer) }
    }

    public func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Float>) throws {
        guard saveFrequency == nil else { return }
        try save(epoch: epoch, logs: logs, trainer)
    }

    private func save(epoch: Int, logs: [String: Double], _ trainer: Trainer<Float>) throws {
        if saveBestOnly {
            guard let current = logs[monitor] else { return }
            guard try MonitoredQuantity(name: monitor, mode: mode).isImprovement(current, over: best, metrics: trainer.metrics) else { return }
            best = current
        }
        let path = try Self.format(filepath, epoch: epoch + 1, logs: logs)
        if saveWeightsOnly {
            try KerasModelFile.saveWeights(of: trainer.model, to: path)
        } else {
            try KerasModelFile.save(
                trainer.model, compileConfig: compileConfig, optimizerVariables: trainer.kerasOptimizerVariables, to: path)
        }
        saved.append(path)
    }

    /// Fills Keras' placeholders: `{epoch}`, `{epoch:02d}`, `{name}`, `{name:.4f}`.
    static func format(_ template: String, epoch: Int, logs: [String: Double]) throws -> String {
        var out = "", rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw FileFormatError("ModelCheckpoint: unclosed '{' in '\(template)'")
            }
            let field = rest[rest.index(after: open)..<close]
            let parts = field.split(separator: ":", maxSplits: 1).map(String.init)
            let name = parts.first ?? "", spec = parts.count > 1 ? parts[1] : ""
            if name == "epoch" {
                let width = Int(spec.filter(\.isNumber)) ?? 0
                let digits = String(epoch)
                out += (spec.hasPrefix("0") ? String(repeating: "0", count: max(0, width - digits.count)) : "") + digits
            } else if let value = logs[name] {
                out += spec.hasPrefix(".") && spec.hasSuffix("f") ? fixed(value, decimals: Int(spec.dropFirst().dropLast()) ?? 6) : "\(value)"
            } else {
                throw FileFormatError("ModelCheckpoint: '{\(field)}' in '\(template)' names no log value; known: epoch, \(logs.keys.sorted().joined(separator: ", "))")
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// `value` with `decimals` digits after the point, rounded half away from zero.
    private static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        let digits = min(max(decimals, 0), 12)
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale), fraction = Int(scaled - Double(whole) * scale)
        let fractionText = String(fraction)
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole)"
            + (digits > 0 ? "." + String(repeating: "0", count: digits - fractionText.count) + fractionText : "")
    }
}
