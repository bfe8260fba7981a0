import Foundation
import KerasFiles
import Testing

/// `gru fit --callback backup_and_restore:...` as a user meets it: a run killed part-way and
/// started again with the same command ends with the weights of a run never interrupted.
@Suite("gru fit: backup and restore")
struct BackupAndRestoreTests {
    static func fixture(_ name: String) -> String { CommandLineTests.fixtures.appendingPathComponent("distributed/\(name)").path }

    /// The command for the dropout model (GRU dropout and recurrent dropout, a Dropout layer),
    /// shuffled, with a validation split, so that every random draw of a run matters.
    static func fit(_ output: String, _ extra: [String]) -> [String] {
        ["fit", fixture("dropout.keras"), fixture("sgd.x.npy"), fixture("sgd.y.npy"), "-o", output, "--epochs", "4",
         "--batch-size", "16", "--seed", "7", "--device", "cpu", "--validation-split", "0.25"] + extra
    }

    static func weights(_ path: String) throws -> [[Float]] {
        try KerasModelFile(contentsOf: path).model.layers.flatMap { $0.weights.map(\.scalars) }
    }

    @Test(arguments: [
        // Killed as epoch 2 begins, backed up at each epoch's end, plain SGD.
        (["--test-kill-epoch", "2"], "epoch", [String]()),
        // Killed after batch 1 of epoch 1, backed up every 2 batches: part-way through an epoch,
        // with Adam's moments and step count.
        (["--test-kill-epoch", "1", "--test-kill-batch", "1"], "2", ["--optimizer", "adam"]),
        // The learning rate ReduceLROnPlateau lowered at every epoch's end comes back with the
        // optimizer's state (Keras' learning_rate variable).
        (["--test-kill-epoch", "3"], "epoch", ["--callback", "reduce_lr_on_plateau:monitor=loss,factor=0.5,patience=0,min_delta=10"]),
    ])
    func aKilledRunGoesOnToTheUninterruptedWeights(kill: [String], frequency: String, optimizer: [String]) throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = directory.appendingPathComponent("full.keras").path
        let uninterrupted = try CommandLineTests.gru(Self.fit(full, optimizer))
        #expect(uninterrupted.status == 0, "\(uninterrupted.error)")

        let backup = directory.appendingPathComponent("backup").path
        let resumedPath = directory.appendingPathComponent("resumed.keras").path
        let callback = ["--callback", "backup_and_restore:backup_dir=\(backup),save_freq=\(frequency)"]
        let killed = try CommandLineTests.gru(Self.fit(resumedPath, optimizer + callback + ["--test-kill-rank", "0"] + kill))
        #expect(killed.status != 0)
        #expect(!FileManager.default.fileExists(atPath: resumedPath))
        #expect(FileManager.default.fileExists(atPath: backup + "/latest.weights.h5"))
        #expect(FileManager.default.fileExists(atPath: backup + "/training_metadata.json"))

        // The same command again goes on from the backup, and removes it at the end.
        let resumed = try CommandLineTests.gru(Self.fit(resumedPath, optimizer + callback))
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(!FileManager.default.fileExists(atPath: backup))
        #expect(try Self.weights(resumedPath) == Self.weights(full), "the resumed run ends elsewhere than the uninterrupted one")
    }

    /// Keras reads gru's backup (its `epoch`), and a run with other arguments than the backup's
    /// stops, naming the difference, instead of training from a position that does not exist.
    @Test func aBackupIsKerasShapedAndChecked() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let backup = directory.appendingPathComponent("backup").path
        let output = directory.appendingPathComponent("out.keras").path
        let callback = ["--callback", "backup_and_restore:backup_dir=\(backup),delete_checkpoint=false"]
        let killed = try CommandLineTests.gru(Self.fit(output, callback + ["--test-kill-rank", "0", "--test-kill-epoch", "1"]))
        #expect(killed.status != 0)
        let metadata = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: backup + "/training_metadata.json"))), what: "metadata")
        #expect(metadata["epoch"]?.int == 1)
        #expect(metadata["batch"]?.int == 0)

        var other = Self.fit(output, callback)
        other[other.firstIndex(of: "16")!] = "8"
        let refused = try CommandLineTests.gru(other)
        #expect(refused.status != 0)
        #expect(refused.error.contains("batch size 16; this run has 8"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: output))

        // delete_checkpoint=false keeps the backup after a finished run.
        let finished = try CommandLineTests.gru(Self.fit(output, callback))
        #expect(finished.status == 0, "\(finished.error)")
        #expect(FileManager.default.fileExists(atPath: backup + "/latest.weights.h5"))
        let last = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: backup + "/training_metadata.json"))), what: "metadata")
        #expect(last["epoch"]?.int == 4)
    }
}
