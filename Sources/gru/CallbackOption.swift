import ArgumentParser
import KerasFiles
import SwiftGRU

/// `--callback name:key=value,...`: one of Keras' callbacks with its arguments by their Keras
/// names, e.g. `early_stopping:monitor=val_loss,patience=3,restore_best_weights=true`.
struct CallbackOption {
    let name: String
    let arguments: [String: String]

    static let known = ["early_stopping", "reduce_lr_on_plateau", "model_checkpoint", "csv_logger", "terminate_on_nan", "learning_rate_scheduler", "backup_and_restore"]

    init(_ text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        name = (parts.first ?? "").lowercased().replacingOccurrences(of: "-", with: "_")
        guard Self.known.contains(name) else {
            throw ValidationError("unknown callback '\(parts.first ?? "")'; known: \(Self.known.joined(separator: ", "))")
        }
        var arguments = [String: String]()
        for pair in parts.count > 1 ? parts[1].split(separator: ",") : [] {
            let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[0].isEmpty else { throw ValidationError("callback \(name): '\(pair)' is not key=value") }
            arguments[kv[0]] = String(kv[1].filter { $0 != "\"" && $0 != "'" })
        }
        self.arguments = arguments
    }

    /// The callback, its arguments checked before any epoch runs.
    func make(compileConfig: JSONValue?) throws -> any TrainingCallback<Float> {
        var unused = Set(arguments.keys)
        func string(_ key: String, _ fallback: String) -> String {
            unused.remove(key)
            return arguments[key] ?? fallback
        }
        func number(_ key: String, _ fallback: Double) throws -> Double {
            unused.remove(key)
            guard let text = arguments[key] else { return fallback }
            guard let value = Double(text), value.isFinite else { throw ValidationError("callback \(name): \(key) must be a number, got '\(text)'") }
            return value
        }
        func integer(_ key: String, _ fallback: Int) throws -> Int {
            let value = try number(key, Double(fallback))
            guard value.rounded() == value, abs(value) < 1e9 else { throw ValidationError("callback \(name): \(key) must be a whole number") }
            return Int(value)
        }
        func flag(_ key: String, _ fallback: Bool) throws -> Bool {
            unused.remove(key)
            guard let text = arguments[key]?.lowercased() else { return fallback }
            switch text {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw ValidationError("callback \(name): \(key) must be true or false, got '\(text)'")
            }
        }
        func mode() throws -> MonitorMode {
            let text = string("mode", "auto")
            guard let mode = MonitorMode(rawValue: text) else { throw ValidationError("callback \(name): mode must be auto, min or max, got '\(text)'") }
            return mode
        }
        let callback: any TrainingCallback<Float>
        do {
            switch name {
            case "early_stopping":
                let baseline = try arguments["baseline"].map { _ in try number("baseline", 0) }
                callback = try EarlyStopping<Float>(
                    monitor: string("monitor", "val_loss"), minDelta: number("min_delta", 0), patience: integer("patience", 0),
                    mode: mode(), baseline: baseline, restoreBestWeights: flag("restore_best_weights", false),
                    startFromEpoch: integer("start_from_epoch", 0))
            case "reduce_lr_on_plateau":
                callback = try ReduceLROnPlateau<Float>(
                    monitor: string("monitor", "val_loss"), factor: number("factor", 0.1), patience: integer("patience", 10),
                    mode: mode(), minDelta: number("min_delta", 1e-4), cooldown: integer("cooldown", 0), minLearningRate: number("min_lr", 0))
            case "model_checkpoint":
                unused.remove("filepath")
                guard let path = arguments["filepath"] else { throw ValidationError("callback model_checkpoint needs filepath=...") }
                let threshold = try arguments["initial_value_threshold"].map { _ in try number("initial_value_threshold", 0) }
                let frequency = string("save_freq", "epoch")
                guard frequency == "epoch" || Int(frequency).map({ $0 > 0 }) == true else {
                    throw ValidationError("callback model_checkpoint: save_freq must be 'epoch' or a positive number of batches, got '\(frequency)'")
                }
                callback = try ModelCheckpoint(
                    filepath: path, monitor: string("monitor", "val_loss"), saveBestOnly: flag("save_best_only", false),
                    saveWeightsOnly: flag("save_weights_only", false), mode: mode(), initialValueThreshold: threshold,
                    saveFrequency: Int(frequency), compileConfig: compileConfig)
            case "learning_rate_scheduler":
                // `schedule=` an expression of epoch and lr, or `rates=` one rate per epoch
                // separated by ';' (the last one goes on).
                if let rates = arguments["rates"] {
                    unused.remove("rates")
                    let values = rates.split(separator: ";").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                    guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                        throw ValidationError("callback learning_rate_scheduler: rates must be non-negative numbers separated by ';', got '\(rates)'")
                    }
                    let list = values.compactMap { $0 }
                    callback = LearningRateScheduler<Float> { epoch, _ in list[min(epoch, list.count - 1)] }
                } else {
                    unused.remove("schedule")
                    guard let text = arguments["schedule"] else {
                        throw ValidationError("callback learning_rate_scheduler needs schedule=<expression of epoch and lr> or rates=<r0;r1;...>")
                    }
                    let expression = try ScheduleExpression(text)
                    callback = LearningRateScheduler<Float> { epoch, rate in expression.rate(epoch: epoch, learningRate: rate) }
                }
            case "backup_and_restore":
                unused.remove("backup_dir")
                guard let folder = arguments["backup_dir"], !folder.isEmpty else {
                    throw ValidationError("callback backup_and_restore needs backup_dir=...")
                }
                let frequency = string("save_freq", "epoch")
                guard frequency == "epoch" || Int(frequency).map({ $0 > 0 }) == true else {
                    throw ValidationError("callback backup_and_restore: save_freq must be 'epoch' or a positive number of batches, got '\(frequency)'")
                }
                callback = try BackupAndRestore(
                    backupDirectory: folder, saveFrequency: Int(frequency), doubleCheckpoint: flag("double_checkpoint", false),
                    deleteCheckpoint: flag("delete_checkpoint", true))
            case "csv_logger":
                unused.remove("filename")
                guard let path = arguments["filename"] else { throw ValidationError("callback csv_logger needs filename=...") }
                callback = CSVLogger<Float>(path: path, separator: string("separator", ","), append: try flag("append", false))
            default:
                callback = TerminateOnNaN<Float>(raiseError: try flag("raise_error", false))
            }
        } catch let error as LayerError {
            throw ValidationError("callback \(name): \(error.message)")
        } catch let error as FileFormatError {
            throw ValidationError(error.message)
        }
        guard unused.isEmpty else {
            throw ValidationError("callback \(name): unknown argument(s) \(unused.sorted().joined(separator: ", "))")
        }
        return callback
    }
}
