import Foundation
import KerasFiles
import Testing

/// The `gru` tool as a user runs it: the built executable on fixture files, checking what
/// it prints, what it writes and its exit status, for good and bad input.
@Suite("gru command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    static let productsDirectory = Bundle.main.bundleURL
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("KerasFilesTests/Fixtures")

    static func gru(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("gru")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gru-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func model(_ name: String) -> String { fixtures.appendingPathComponent("models/\(name)").path }

    @Test func helpListsTheSubcommands() throws {
        let run = try Self.gru(["--help"])
        #expect(run.status == 0)
        for command in ["demo", "fit", "evaluate", "predict", "summary", "convert", "bench", "gpu-check"] {
            #expect(run.output.contains(command), "help does not list \(command)")
        }
    }

    @Test func predictWritesKerasNumbers() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.npy").path
        let run = try Self.gru([
            "predict", Self.model("seq_gru.keras"), Self.model("seq_gru.input0.npy"), "-o", output, "--batch-size", "4",
            "--device", "cpu",
        ])
        #expect(run.status == 0, "\(run.error)")
        let got = try NumPyArray(npy: Array(try Data(contentsOf: URL(fileURLWithPath: output))))
        let expected = try NumPyArray(npy: Array(try Data(contentsOf: URL(fileURLWithPath: Self.model("seq_gru.expected.npy")))))
        #expect(got.shape == expected.shape)
        let a: [Float] = got.tensor().scalars, b: [Float] = expected.tensor().scalars
        #expect(zip(a, b).map { abs($0 - $1) }.max() ?? 1 <= 1e-5)
    }

    /// A stateful model streams its declared batch at a time, each batch going on from the
    /// states the one before left: Keras' numbers; a runtime error prints no usage text.
    @Test func streamingAStatefulModelTakesItsBatches() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.npy").path
        let run = try Self.gru(["predict", Self.model("seq_stateful.keras"), Self.model("seq_stateful.input0.npy"), "-o", output, "--stream", "2"])
        #expect(run.status == 0, "\(run.error)")
        let got = try NumPyArray(npy: Array(try Data(contentsOf: URL(fileURLWithPath: output)))).tensor(of: Float.self)
        let expected = try NumPyArray(npy: Array(try Data(contentsOf: URL(fileURLWithPath: Self.model("seq_stateful.expected.npy"))))).tensor(of: Float.self)
        #expect(got.shape == expected.shape && zip(got.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
        let mismatched = try Self.gru(["predict", Self.model("seq_gru.keras"), Self.model("seq_stateful.input0.npy")])
        #expect(mismatched.status != 0 && !mismatched.error.contains("Usage:"), "\(mismatched.error)")
    }

    /// Keras' fit arguments and callbacks as the command line takes them: validation files,
    /// steps and frequency, a learning-rate schedule, checkpoints every N batches into a folder
    /// made for them; a loss that overflows stops training with Keras' message, and the
    /// history holds it as Python writes it; a CSV log that cannot be written fails first.
    @Test func fitTakesKerasArgumentsAndCallbacks() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = Self.fixtures.appendingPathComponent("distributed").path
        let (model, x, y) = (data + "/sgd.keras", data + "/sgd.x.npy", data + "/sgd.y.npy")
        let history = directory.appendingPathComponent("history.json").path
        let run = try Self.gru([
            "fit", model, x, y, "-o", directory.appendingPathComponent("out.keras").path, "--epochs", "3", "--no-shuffle",
            "--validation-data", x, y, "--validation-freq", "2", "--validation-steps", "1", "--history", history,
            "--callback", "learning_rate_scheduler:schedule=epoch < 1 ? lr : lr * 0.5",
            "--callback", "model_checkpoint:filepath=\(directory.path)/made/ck-{epoch}.keras,save_freq=2",
        ])
        #expect(run.status == 0, "\(run.error)")
        let logs = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: history))) as? [String: [Double]]
        #expect(logs?["val_loss"]?.count == 1 && logs?["loss"]?.count == 3)
        #expect(logs?["learning_rate"].map { zip($0, [0.05, 0.025, 0.0125]).allSatisfy { abs($0 - $1) < 1e-6 } } == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/made").sorted() == ["ck-1.keras", "ck-2.keras", "ck-3.keras"])

        let overflow = directory.appendingPathComponent("overflow.json").path
        let diverging = try Self.gru([
            "fit", model, x, y, "-o", directory.appendingPathComponent("diverged.keras").path, "--epochs", "3", "--optimizer", "sgd",
            "--learning-rate", "1e30", "--callback", "terminate_on_nan", "--history", overflow,
        ])
        #expect(diverging.status == 0 && diverging.output.contains("Invalid loss, terminating training"), "\(diverging.output)")
        #expect(try String(contentsOfFile: overflow, encoding: .utf8).contains("Infinity") || String(contentsOfFile: overflow, encoding: .utf8).contains("NaN"))
        let raising = try Self.gru([
            "fit", model, x, y, "-o", directory.appendingPathComponent("never.keras").path, "--optimizer", "sgd", "--learning-rate", "1e30",
            "--callback", "terminate_on_nan:raise_error=true",
        ])
        #expect(raising.status != 0 && raising.error.contains("Invalid loss"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("never.keras").path))

        let unwritable = try Self.gru([
            "fit", model, x, y, "-o", directory.appendingPathComponent("nolog.keras").path, "--callback", "csv_logger:filename=/nonexistent/log.csv",
        ])
        #expect(unwritable.status != 0 && unwritable.error.contains("/nonexistent/log.csv") && !unwritable.output.contains("Epoch"))
    }

    @Test func predictPrintsWithoutAnOutputFile() throws {
        let run = try Self.gru(["predict", Self.model("seq_gru.keras"), Self.model("seq_gru.input0.npy")])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("dense"))
    }

    @Test func badInputIsAClearErrorNotACrash() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try Self.gru(["predict", directory.appendingPathComponent("none.keras").path, Self.model("seq_gru.input0.npy")])
        #expect(missing.status == 1)
        #expect(missing.error.contains("none.keras"))
        // An input of the wrong width.
        let wrong = try Self.gru(["predict", Self.model("seq_gru.keras"), Self.model("fn_encoder_decoder.input1.npy")])
        #expect(wrong.status != 0)
        #expect(wrong.error.lowercased().contains("shape"))
        // A file that is not a model.
        let notModel = directory.appendingPathComponent("bad.keras")
        try Data("not a zip".utf8).write(to: notModel)
        let garbage = try Self.gru(["summary", notModel.path])
        #expect(garbage.status == 1)
        #expect(!garbage.error.isEmpty)
        // Arguments the parser refuses exit with status 64 and say why.
        let units = try Self.gru(["bench", "--units", "0"])
        #expect(units.status == 64)
        #expect(units.error.contains("--units"))
        let device = try Self.gru(["predict", Self.model("seq_gru.keras"), Self.model("seq_gru.input0.npy"), "--device", "tpu"])
        #expect(device.status == 64)
    }

    @Test func aFailedWriteLeavesTheOldFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A model that cannot be read does not touch the output it was asked to write.
        let output = directory.appendingPathComponent("out.keras")
        try Data("keep me".utf8).write(to: output)
        let run = try Self.gru(["convert", directory.appendingPathComponent("missing.h5").path, output.path])
        #expect(run.status == 1)
        #expect(try String(contentsOf: output, encoding: .utf8) == "keep me")
    }

    @Test func summaryNamesTheLayers() throws {
        let run = try Self.gru(["summary", Self.model("seq_stacked.keras")])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("GRU"))
        #expect(run.output.contains("Total params"))
    }

    @Test func fitTrainsAndSavesAModelThatPredicts() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let training = Self.fixtures.appendingPathComponent("training")
        let saved = directory.appendingPathComponent("trained.keras").path
        let history = directory.appendingPathComponent("history.json").path
        let run = try Self.gru([
            "fit", training.appendingPathComponent("adam_binary_crossentropy.keras").path,
            training.appendingPathComponent("adam_binary_crossentropy.x0.npy").path,
            training.appendingPathComponent("adam_binary_crossentropy.y0.npy").path,
            "--epochs", "2", "--no-shuffle", "-o", saved, "--history", history, "--device", "cpu",
        ])
        #expect(run.status == 0, "\(run.error)")
        #expect(FileManager.default.fileExists(atPath: saved))
        #expect(try String(contentsOfFile: history, encoding: .utf8).contains("loss"))
        let evaluate = try Self.gru([
            "evaluate", saved, training.appendingPathComponent("adam_binary_crossentropy.x0.npy").path,
            training.appendingPathComponent("adam_binary_crossentropy.y0.npy").path,
        ])
        #expect(evaluate.status == 0, "\(evaluate.error)")
        #expect(evaluate.output.contains("loss"))
        // The compile_config's metrics are computed, and shown.
        #expect(evaluate.output.contains("accuracy=") && evaluate.output.contains("auc="))
        #expect(try String(contentsOfFile: history, encoding: .utf8).contains("\"auc\""))
    }

    /// `--verbose` as Keras' `verbose`: 2 writes `Epoch 1/2` and `N/N - 0s - 3ms/step - loss: ...`
    /// per epoch, 0 nothing but the saved file's name; anything else is refused.
    @Test func fitPrintsAsVerboseAsks() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let training = Self.fixtures.appendingPathComponent("training")
        func fit(_ verbose: String) throws -> Run {
            try Self.gru([
                "fit", training.appendingPathComponent("adam_binary_crossentropy.keras").path,
                training.appendingPathComponent("adam_binary_crossentropy.x0.npy").path,
                training.appendingPathComponent("adam_binary_crossentropy.y0.npy").path,
                "--epochs", "2", "-o", directory.appendingPathComponent("out.keras").path, "--device", "cpu", "--verbose", verbose,
            ])
        }
        let lines = try fit("2")
        #expect(lines.status == 0, "\(lines.error)")
        let printed = lines.output.split(separator: "\n").map(String.init)
        #expect(printed.count == 5, "\(printed)")
        #expect(printed.first == "Epoch 1/2")
        let line = try #require(printed.dropFirst().first)
        #expect(line.wholeMatch(of: /(\d+)\/\1 - \d+s - \d+(ms|us|s)\/step - loss: \d\.\d{4}(e-\d+)? - accuracy: .*/) != nil, "\(line)")
        let silent = try fit("0")
        #expect(silent.status == 0, "\(silent.error)")
        #expect(silent.output.split(separator: "\n").count == 1)
        #expect(silent.output.hasPrefix("saved "))
        let refused = try fit("3")
        #expect(refused.status != 0)
        #expect(refused.error.contains("'3' is invalid for '--verbose"), "\(refused.error)")
    }

    /// Callbacks from the command line: a checkpoint per epoch, a CSV log, early stopping.
    /// A bad callback, argument or metric is an error before any epoch runs, and nothing
    /// is written.
    @Test func fitRunsCallbacksAndRefusesBadOnesFirst() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let training = Self.fixtures.appendingPathComponent("training")
        let data = ["sgd_mse.keras", "sgd_mse.x0.npy", "sgd_mse.y0.npy"].map { training.appendingPathComponent($0).path }
        let saved = directory.appendingPathComponent("trained.keras").path
        let checkpoint = directory.appendingPathComponent("ckpt-{epoch:02d}.keras").path
        let csv = directory.appendingPathComponent("log.csv").path
        let run = try Self.gru(["fit"] + data + [
            "--epochs", "3", "--no-shuffle", "-o", saved, "--validation-split", "0.2", "--metrics", "mae",
            "--callback", "model_checkpoint:filepath=\(checkpoint)", "--callback", "csv_logger:filename=\(csv)",
            "--callback", "early_stopping:monitor=val_loss,patience=5,restore_best_weights=true",
        ])
        #expect(run.status == 0, "\(run.error)")
        for epoch in ["01", "02", "03"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("ckpt-\(epoch).keras").path))
        }
        let log = try String(contentsOfFile: csv, encoding: .utf8)
        #expect(log.hasPrefix("epoch,loss,mae,val_loss,val_mae\r\n") && log.components(separatedBy: "\r\n").count == 5)
        for bad in [["--callback", "early_stoping:patience=1"], ["--callback", "early_stopping:patiense=1"],
                    ["--callback", "reduce_lr_on_plateau:factor=2"], ["--metrics", "accuracyy"],
                    ["--callback", "model_checkpoint:filepath=model.h5"]] {
            let refused = directory.appendingPathComponent("refused.keras").path
            let result = try Self.gru(["fit"] + data + ["--epochs", "1", "-o", refused] + bad)
            #expect(result.status != 0 && !result.error.isEmpty, "\(bad)")
            #expect(!FileManager.default.fileExists(atPath: refused), "\(bad)")
            #expect(!result.output.contains("Epoch"), "\(bad): training started")
        }
    }

    @Test func benchPrintsOneJSONLine() throws {
        let run = try Self.gru(["bench", "--batch", "2", "--steps", "3", "--features", "4", "--units", "5", "--repeats", "2", "--json"])
        #expect(run.status == 0, "\(run.error)")
        let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        #expect(object?["device"] as? String == "cpu")
        #expect((object?["median_seconds"] as? Double ?? 0) > 0)
    }

    /// Without a GPU, asking for one is an error that says what is missing.
    @Test func gpuWithoutAGPUIsAClearError() throws {
        let check = try Self.gru(["gpu-check"], environment: ["GRU_CUDA_LIBRARY_PATH": "/nonexistent"])
        guard check.status != 0 else { return }  // this machine has a GPU: nothing to check here
        #expect(check.error.contains("no GPU can be used"))
        let predict = try Self.gru(["predict", Self.model("seq_gru.keras"), Self.model("seq_gru.input0.npy"), "--device", "gpu"])
        #expect(predict.status == 64)
        #expect(predict.error.contains("--device gpu"))
    }
}
