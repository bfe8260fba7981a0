import Foundation
import HDF5
import SwiftGRU

/// Backs up the training state so that a run killed part-way goes on where the last backup was
/// made when started again with the same arguments (Keras' `BackupAndRestore`).
///
/// At the end of each epoch, or every `saveFrequency` batches, it writes the folder's
/// `latest.weights.h5` (the weights and the optimizer state, as Keras' `save_weights`) and
/// `training_metadata.json` (the epoch and batch, as Keras writes them). When training begins and a backup
/// is there, the model, the optimizer and the epoch come back from it. When training ends
/// normally the backup is deleted (unless `deleteCheckpoint` is false); a run that was killed
/// or failed keeps it.
///
/// Beyond Keras, the weights file also holds the run's position (`FitPosition`, an attribute
/// Keras does not read, written in the same atomic write as the weights, so the two always
/// belong together): the batches of the epoch already trained, the shuffling and the dropout
/// generators. A run resumed from a backup of gru's therefore ends with the weights of the run
/// that was never interrupted, even from a backup made part-way through an epoch (Keras starts
/// that epoch again); only the resumed epoch's training loss and metrics then cover the
/// batches trained since the backup (its validation is whole), so a callback that acts on
/// that epoch's training metrics can act otherwise. A backup that Keras wrote resumes at its
/// epoch, as in Keras. The states of stateful recurrent layers are not kept, as in Keras.
public final class BackupAndRestore: TrainingCallback {
    public typealias Scalar = Float
    /// The folder of the backup.
    public let backupDirectory: String
    /// Backs up every this many batches, counted across epochs (Keras' `save_freq` given a
    /// number); `nil` backs up at the end of each epoch (`"epoch"`).
    public let saveFrequency: Int?
    /// Keeps the previous backup beside the latest, to fall back on when the latest cannot be
    /// read (Keras' `double_checkpoint`).
    public let doubleCheckpoint: Bool
    /// Deletes the backup when training ends normally (Keras' `delete_checkpoint`).
    public let deleteCheckpoint: Bool
    /// Whether this process writes and deletes the backup; in a data-parallel job every
    /// process reads it and process 0 alone writes it.
    public var writes = true
    /// Where the run went on from, once training has begun from a backup.
    public private(set) var restoredEpoch: Int?

    private var batchesSinceSave = 0
    private var weightsPath: String { (backupDirectory as NSString).appendingPathComponent("latest.weights.h5") }
    private var metadataPath: String { (backupDirectory as NSString).appendingPathComponent("training_metadata.json") }

    /// Creates the callback with Keras' defaults.
    ///
    /// - Throws: ``FileFormatError`` for an empty folder path or a save frequency below 1.
    public init(backupDirectory: String, saveFrequency: Int? = nil, doubleCheckpoint: Bool = false, deleteCheckpoint: Bool = true) throws {
        guard !backupDirectory.isEmpty else { throw FileFormatError("BackupAndRestore: backup_dir is empty") }
        if let saveFrequency, saveFrequency < 1 {
            throw FileFormatError("BackupAndRestore: save_freq must be 'epoch' or a positive number of batches, got \(saveFrequency)")
        }
        self.backupDirectory = backupDirectory
        self.saveFrequency = saveFrequency
        self.doubleCheckpoint = doubleCheckpoint
        self.deleteCheckpoint = deleteCheckpoint
    }

    /// Creates the callback for a folder's file URL.
    ///
    /// - Throws: ``FileFormatError`` as ``init(backupDirectory:saveFrequency:doubleCheckpoint:deleteCheckpoint:)``,
    ///   or for a URL that is not a file URL.
    public convenience init(backupDirectory url: URL, saveFrequency: Int? = nil, doubleCheckpoint: Bool = false, deleteCheckpoint: Bool = true) throws {
        try self.init(
            backupDirectory: try url.filePath(), saveFrequency: saveFrequency, doubleCheckpoint: doubleCheckpoint,
            deleteCheckpoint: deleteCheckpoint)
    }

    public func trainingBegins(_ trainer: Trainer<Float>) throws {
        batchesSinceSave = 0
        restoredEpoch = nil
        do {
            try restore(trainer, weights: weightsPath, metadata: metadataPath)
        } catch let error as FileFormatError {
            // As Keras: the previous backup when the latest cannot be read.
            let previous = (weightsPath + ".bkp", metadataPath + ".bkp")
            guard FileManager.default.fileExists(atPath: previous.0) else { throw error }
            try restore(trainer, weights: previous.0, metadata: previous.1)
        }
    }

    public func batchEnds(_ batch: Int, logs: [String: Double], _ trainer: Trainer<Float>) throws {
        guard let saveFrequency else { return }
        batchesSinceSave += 1
        if batchesSinceSave >= saveFrequency {
            batchesSinceSave = 0
            try save(trainer, kerasBatch: batch)
        }
    }

    public func epochEnds(_ epoch: Int, logs: inout [String: Double], _ trainer: Trainer<Float>) throws {
        if saveFrequency == nil { try save(trainer, kerasBatch: 0) }
    }

    public func trainingEnds(_ trainer: Trainer<Float>) throws {
        guard deleteCheckpoint, writes else { return }
        // Only the backup's own files go (Keras removes the whole folder).
        for path in [weightsPath, metadataPath, weightsPath + ".bkp", metadataPath + ".bkp"] where FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: path)
        }
        if (try? FileManager.default.contentsOfDirectory(atPath: backupDirectory))?.isEmpty == true {
            try? FileManager.default.removeItem(atPath: backupDirectory)
        }
    }

    // MARK: Saving and restoring

    private func save(_ trainer: Trainer<Float>, kerasBatch: Int) throws {
        guard writes, let position = trainer.fitPosition else { return }
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: backupDirectory, withIntermediateDirectories: true)
            if doubleCheckpoint {
                for path in [weightsPath, metadataPath] where files.fileExists(atPath: path) {
                    try AtomicFile.write(Array(try Data(contentsOf: URL(fileURLWithPath: path))), to: path + ".bkp")
                }
            }
        } catch let error as FileFormatError {
            throw error
        } catch {
            throw FileFormatError("BackupAndRestore: cannot write to '\(backupDirectory)': \(error.localizedDescription)")
        }
        // The position rides in the weights file, written whole or not at all; Keras' metadata
        // (its epoch) follows.
        var tree = try KerasModelFile.weightsTree(of: trainer.model, optimizerVariables: trainer.kerasOptimizerVariables)
        tree.attributes[Self.positionAttribute] = .string(String(decoding: Self.positionJSON(position).encoded(), as: UTF8.self))
        try AtomicFile.write(try HDF5Writer.encode(tree), to: weightsPath)
        try AtomicFile.write(JSONValue.object(["epoch": .integer(position.epoch), "batch": .integer(kerasBatch)]).encoded(), to: metadataPath)
    }

    /// The root attribute of the weights file that holds gru's position.
    static let positionAttribute = "swift_gru_fit_position"

    private func restore(_ trainer: Trainer<Float>, weights: String, metadata: String) throws {
        let files = FileManager.default
        var position: FitPosition?
        if files.fileExists(atPath: weights) {
            let file: HDF5File
            let variables: [Tensor<Double>]
            do {
                file = try HDF5File(bytes: try KerasModelFile.read(weights))
                variables = try KerasWeightLayout.optimizerVariables(in: file)
            } catch let error as HDF5Error {
                throw FileFormatError("\(weights): \(error.message)", underlying: error)
            }
            if let text = file.root.attributes[Self.positionAttribute]?.value.strings?.first {
                let entry = try JSONValue(parsing: Array(text.utf8), what: "\(weights): the training position")
                position = try Self.position(entry, path: weights)
            }
            try KerasWeightLayout.load(file, into: trainer.model.layers.map { ($0, $0.typeName) })
            do { try trainer.restoreOptimizerState(kerasVariables: variables) } catch let error as LayerError {
                throw FileFormatError("\(weights): the optimizer state does not fit this run's optimizer: \(error.message)", underlying: error)
            }
        }
        // A backup Keras wrote gives the epoch alone, in its metadata.
        if position == nil, files.fileExists(atPath: metadata) {
            let saved = try JSONValue(parsing: KerasModelFile.read(metadata), what: metadata)
            guard let epoch = saved["epoch"]?.int, epoch >= 0 else { throw FileFormatError("\(metadata) gives no epoch") }
            position = FitPosition(
                epoch: epoch, batchesDone: 0, logs: [:], epochGenerator: [], passGenerator: [], passBatch: 0, randomState: [],
                samples: 0, batchSize: 0, stepsPerEpoch: 0, shuffle: false)
        }
        guard let position else { return }
        do { try trainer.resumeFit(from: position) } catch let error as LayerError {
            throw FileFormatError("BackupAndRestore (\(backupDirectory)): \(error.message)", underlying: error)
        }
        restoredEpoch = position.epoch
    }

    /// The run's position as JSON (64-bit words as decimal strings, which JSON numbers cannot hold).
    static func positionJSON(_ position: FitPosition) -> JSONValue {
        func words(_ values: [UInt64]) -> JSONValue { .array(values.map { .string(String($0)) }) }
        return [
            "epoch": .integer(position.epoch),
            "batches_done": .integer(position.batchesDone),
            "logs": .object(position.logs.mapValues(JSONValue.number)),
            "epoch_generator": words(position.epochGenerator),
            "pass_generator": words(position.passGenerator),
            "pass_batch": .integer(position.passBatch),
            "random_state": words(position.randomState),
            "samples": .integer(position.samples),
            "batch_size": .integer(position.batchSize),
            "steps_per_epoch": .integer(position.stepsPerEpoch),
            "shuffle": .bool(position.shuffle),
        ]
    }

    /// The position ``positionJSON(_:)`` wrote.
    static func position(_ entry: JSONValue, path: String) throws -> FitPosition {
        func integer(_ key: String) throws -> Int {
            guard let value = entry[key]?.int, value >= 0 else { throw FileFormatError("\(path): the training position's \(key) is missing or not a count") }
            return value
        }
        func words(_ key: String) throws -> [UInt64] {
            guard let values = entry[key]?.array else { throw FileFormatError("\(path): the training position's \(key) is missing") }
            return try values.map {
                guard let word = $0.string.flatMap({ UInt64($0) }) else {
                    throw FileFormatError("\(path): the training position's \(key) holds a value that is not a 64-bit word")
                }
                return word
            }
        }
        guard let shuffle = entry["shuffle"]?.bool, let logs = entry["logs"]?.object else {
            throw FileFormatError("\(path): the training position's shuffle or logs is missing")
        }
        return FitPosition(
            epoch: try integer("epoch"), batchesDone: try integer("batches_done"), logs: logs.compactMapValues(\.double),
            epochGenerator: try words("epoch_generator"), passGenerator: try words("pass_generator"), passBatch: try integer("pass_batch"),
            randomState: try words("random_state"), samples: try integer("samples"), batchSize: try integer("batch_size"),
            stepsPerEpoch: try integer("steps_per_epoch"), shuffle: shuffle)
    }
}
