import Foundation
import KerasFiles
import Testing

/// `mpirun` on the PATH, if any.
private let mpirunPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// `gru fit --distributed` under `mpirun`, against the same fit in one process: the same
/// weights and history with 2 and 3 processes (Adam over masks and a Bidirectional GRU;
/// SGD with momentum over a GRU stack; seeded GRU dropout, Dropout and GaussianNoise; a
/// stateful GRU, with 4 processes too; with and without shuffling; validation shared out too), a clear error without
/// MPI, and a process that dies ending the job with the last checkpoint intact. Skipped where
/// no `mpirun` is on the PATH (`.ci/run` installs Open MPI).
@Suite("Data-parallel training over MPI", .serialized, .enabled(if: mpirunPath != nil, "no mpirun on the PATH"))
struct DistributedTests {
    static var mpirun: String? { mpirunPath }

    static func fixture(_ name: String) -> String { CommandLineTests.fixtures.appendingPathComponent("distributed/\(name)").path }

    /// Runs `gru` under `mpirun -np processes`.
    static func mpi(_ processes: Int, _ arguments: [String]) throws -> (run: CommandLineTests.Run, seconds: Double) {
        let start = Date()
        let run = try mpi(arguments: ["-np", "\(processes)", CommandLineTests.productsDirectory.appendingPathComponent("gru").path] + arguments)
        return (run, Date().timeIntervalSince(start))
    }

    static func version() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun ?? "mpirun")
        process.arguments = ["--version"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func weights(_ path: String) throws -> [[Float]] {
        try KerasModelFile(contentsOf: path).model.layers.flatMap { $0.weights.map(\.scalars) }
    }

    static func history(_ path: String) throws -> [String: [Double]] {
        try JSONDecoder().decode([String: [Double]].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test(arguments: [
        ("adam", "adam", 2, false), ("adam", "adam", 3, true), ("sgd", "sgd", 2, true), ("sgd", "sgd", 3, false),
        ("dropout", "sgd", 2, true), ("dropout", "sgd", 3, false), ("stateful", "stateful", 2, false), ("stateful", "stateful", 4, false),
    ])
    func reachesTheWeightsOfOneProcess(model: String, data: String, processes: Int, shuffle: Bool) throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func arguments(_ name: String) -> [String] {
            ["fit", Self.fixture("\(model).keras"), Self.fixture("\(data).x.npy"), Self.fixture("\(data).y.npy"),
             "-o", directory.appendingPathComponent("\(name).keras").path, "--history", directory.appendingPathComponent("\(name).json").path,
             "--epochs", "2", "--batch-size", "16", "--seed", "7", "--device", "cpu", "--validation-split", "0.25"]
                + (shuffle ? [] : ["--no-shuffle"])
        }
        let single = try CommandLineTests.gru(arguments("single"))
        #expect(single.status == 0, "\(single.error)")
        let (run, _) = try Self.mpi(processes, arguments("distributed") + ["--distributed"])
        #expect(run.status == 0, "\(run.error)")
        // Process 0 alone reports.
        #expect(run.output.components(separatedBy: "saved ").count == 2, "\(run.output)")
        let expected = try Self.weights(directory.appendingPathComponent("single.keras").path)
        let got = try Self.weights(directory.appendingPathComponent("distributed.keras").path)
        #expect(got.count == expected.count)
        let difference = zip(got, expected).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 1
        #expect(difference <= 1e-5, "\(processes) processes: weights \(difference) from one process")
        let history = try Self.history(directory.appendingPathComponent("distributed.json").path)
        let expectedHistory = try Self.history(directory.appendingPathComponent("single.json").path)
        #expect(expectedHistory["val_loss"] != nil)
        for (key, values) in expectedHistory {
            let other = try #require(history[key], "no \(key) in the distributed history")
            #expect(zip(values, other).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(key): \(values) against \(other)")
        }
    }

    @Test func aProcessThatDiesEndsTheJobAndKeepsTheCheckpoint() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("checkpoint.keras").path
        let (run, seconds) = try Self.mpi(2, [
            "fit", Self.fixture("sgd.keras"), Self.fixture("sgd.x.npy"), Self.fixture("sgd.y.npy"),
            "-o", directory.appendingPathComponent("never.keras").path, "--epochs", "4", "--batch-size", "16", "--distributed",
            "--callback", "model_checkpoint:filepath=\(checkpoint)", "--test-kill-rank", "1", "--test-kill-epoch", "2",
        ])
        #expect(run.status != 0)
        #expect(seconds < 30, "the job took \(seconds) s to end")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("never.keras").path))
        // Epoch 2's checkpoint, written before the other process died, reads back whole.
        #expect(try Self.weights(checkpoint).count == 8)
    }

    /// Processes whose data differ (here 70 rows and 64) stop before the first step, each
    /// naming the process and what differs, instead of summing buffers of other sizes.
    @Test func processesWithOtherDataStopWithTheReason() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func fit(_ data: String) -> [String] {
            [CommandLineTests.productsDirectory.appendingPathComponent("gru").path, "fit", Self.fixture("sgd.keras"),
             Self.fixture("\(data).x.npy"), Self.fixture("\(data).y.npy"), "-o", directory.appendingPathComponent("out.keras").path,
             "--epochs", "1", "--batch-size", "16", "--distributed"]
        }
        // MPMD: process 0 and process 1 run with different files.
        let run = try Self.mpi(arguments: ["-np", "1"] + fit("sgd") + [":", "-np", "1"] + fit("stateful"))
        #expect(run.status != 0)
        #expect(run.error.contains("process 1 has training samples 64 where process 0 has 70"), "\(run.error)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out.keras").path))
    }

    /// Runs `mpirun` with `arguments` as they are (MPMD jobs).
    static func mpi(arguments: [String]) throws -> CommandLineTests.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun ?? "mpirun")
        let openMPI = (try? version())?.contains("Open MPI") ?? false
        process.arguments = (openMPI ? ["--oversubscribe"] : []) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none"]) { $1 }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandLineTests.Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
    }

    @Test func withoutMPIDistributedIsAClearError() throws {
        let run = try CommandLineTests.gru(
            ["fit", Self.fixture("sgd.keras"), Self.fixture("sgd.x.npy"), Self.fixture("sgd.y.npy"), "-o", "/nonexistent/x.keras", "--distributed"],
            environment: ["GRU_MPI_LIBRARY": "/nonexistent/libmpi.so"])
        #expect(run.status != 0)
        #expect(run.error.contains("--distributed: no MPI library found"), "\(run.error)")
    }
}
