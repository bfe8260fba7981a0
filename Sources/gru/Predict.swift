import ArgumentParser
import Foundation
import KerasFiles
import SwiftGRU

/// Runs a saved model on arrays from `.npy` or `.npz` files.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Keras model (.keras or tf.keras .h5) on inputs from .npy/.npz files.",
        discussion: """
            Several inputs: give one .npy per input, or one .npz with the arrays in input order.
            Several outputs: write an .npz with one array per output, in the model's output order.
            A stateful model keeps its state from batch to batch, as Keras' predict does.
            """
    )

    @Argument(help: "The model file (.keras, or a tf.keras 2 .h5).")
    var model: String

    @Argument(help: "Input arrays: one .npy per model input, or a single .npz.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Where to write the output: .npy (one output) or .npz.")
    var output: String?

    @Option(help: "Samples per batch (default 32, or the model's fixed batch size).")
    var batchSize: Int?

    @Option(help: ArgumentHelp(
        "Feed the inputs this many steps at a time through a streaming session (1: one step per call), as a real-time caller would, and print the time per call.",
        valueName: "steps"))
    var stream: Int?

    @OptionGroup var device: DeviceOption

    func validate() throws {
        if let stream, stream < 1 { throw ValidationError("--stream takes a positive number of steps") }
    }

    func run() throws {
        try device.apply()
        let file = try KerasModelFile.opening(model)
        let model = file.model
        let sources = try readInputs()
        guard sources.count == model.inputShapes.count || model.inputShapes.isEmpty else {
            throw RuntimeError("the model takes \(model.inputShapes.count) input(s); \(sources.count) given")
        }
        for (index, ((name, source), expected)) in zip(sources, model.inputShapes).enumerated() {
            let fits = source.shape.count == expected.count && zip(source.shape, expected).dropFirst().allSatisfy { $1 == nil || $0 == $1 }
            guard fits else {
                throw RuntimeError("input \(index) ('\(name)') has shape \(source.shape); the model expects \(Predict.describe(expected))")
            }
        }
        func names(_ count: Int) -> [String] {
            UniqueName.make((0..<count).map { $0 < model.outputNames.count ? model.outputNames[$0] : "output_\($0)" })
        }
        if let stream {
            try runStreaming(model, sources.map(\.source), chunk: stream, names: names)
            return
        }
        let count = sources.first?.source.sampleCount ?? 0
        let progress = PredictProgress(samples: count)
        // Outputs go to the file (or into the summary) batch by batch: memory stays at the
        // model and a few batches, however many samples the inputs hold.
        var writer: NumPyFileWriter?
        var kept = [[Tensor<Float>]]()
        var summaries = [OutputSummary]()
        try model.predict(sources.map(\.source), batchSize: batchSize) { range, outputs in
            switch output {
            case let path? where path.hasSuffix(".npz"):
                kept.append(outputs)
            case let path?:
                guard outputs.count == 1 else {
                    throw RuntimeError("the model has \(outputs.count) outputs; write them to an .npz file")
                }
                if writer == nil { writer = try NumPyFileWriter(path: path, shape: [count] + outputs[0].shape.dropFirst()) }
                try writer?.append(outputs[0])
            case nil:
                if summaries.isEmpty { summaries = outputs.map { _ in OutputSummary() } }
                for (k, tensor) in outputs.enumerated() { summaries[k].add(tensor, samples: count) }
            }
            progress.update(done: range.upperBound)
        }
        progress.finish()
        switch output {
        case let path? where path.hasSuffix(".npz"):
            let outputs = try (0..<(kept.first?.count ?? 0)).map { k in try Tensor.concatenate(kept.map { $0[k] }, alongAxis: 0) }
            let entries = zip(names(outputs.count), outputs).map { (name: $0, array: NumPyArray.float32($1)) }
            try AtomicFile.write(try NumPyArray.npzBytes(entries), to: path)
        case let path?:
            try (writer ?? NumPyFileWriter(path: path, shape: [0])).finish()
        case nil:
            for (name, summary) in zip(names(summaries.count), summaries) { print(summary.report(name)) }
        }
    }

    /// The whole inputs fed `chunk` steps at a time through a ``StreamingSession``: the outputs
    /// (per-step ones joined, the others after the last chunk) go where predict's go, and the
    /// time per call is printed.
    private func runStreaming(_ model: any Model<Float>, _ sources: [any BatchSource<Float>], chunk: Int, names: (Int) -> [String]) throws {
        let session = try StreamingSession(model: model)
        let inputs = try sources.map { try $0.samples(in: 0..<$0.sampleCount) }
        guard let steps = inputs.first?.shape.dropFirst().first else { throw RuntimeError("--stream needs inputs with a steps axis") }
        let total = inputs[0].shape[0]
        // A stateful model streams its declared batch at a time, each batch going on from the
        // states the one before left, as Keras' predict does; others all samples at once
        // unless --batch-size says otherwise.
        let batch = model.boundBatchSize ?? batchSize ?? total
        if let bound = model.boundBatchSize, let batchSize, batchSize != bound {
            throw ValidationError("--batch-size \(batchSize): the stateful model keeps its declared batch size of \(bound)")
        }
        guard batch > 0 else { throw ValidationError("--batch-size must be positive") }
        if model.boundBatchSize != nil, total % batch != 0 {
            throw RuntimeError("the stateful model takes batches of \(batch); \(total) samples are not a multiple of it")
        }
        var state = session.initialState(batchSize: min(batch, total))
        var batches = [[Tensor<Float>]](), times = [Double]()
        for first in stride(from: 0, to: total, by: batch) {
            let rows = first..<min(first + batch, total)
            if model.boundBatchSize == nil { state = session.initialState(batchSize: rows.count) }
            var pieces = [[Tensor<Float>]]()
            for start in stride(from: 0, to: steps, by: chunk) {
                let range = start..<min(start + chunk, steps)
                let parts = try inputs.map { try $0.slice(rows).steps(range) }
                let begin = DispatchTime.now().uptimeNanoseconds
                pieces.append(try session.predict(parts, state: &state))
                times.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1000)
            }
            batches.append(try session.outputsHaveSteps.enumerated().map { k, hasSteps in
                hasSteps ? try Tensor.concatenate(pieces.map { $0[k] }, alongAxis: 1) : pieces[pieces.count - 1][k]
            })
        }
        let outputs = try (0..<(batches.first?.count ?? 0)).map { k in try Tensor.concatenate(batches.map { $0[k] }, alongAxis: 0) }
        times.sort()
        let median = times[times.count / 2], p99 = times[min(times.count - 1, times.count * 99 / 100)]
        print(String(format: "streamed %d calls of %d step(s), batch %d: median %.1f µs, p99 %.1f µs per call", times.count, chunk, min(batch, total), median, p99))
        let labels = names(outputs.count)
        switch output {
        case let path? where path.hasSuffix(".npz"):
            try AtomicFile.write(try NumPyArray.npzBytes(zip(labels, outputs).map { (name: $0, array: NumPyArray.float32($1)) }), to: path)
        case let path?:
            guard outputs.count == 1 else { throw ValidationError("the model has \(outputs.count) outputs; write them to an .npz file") }
            try AtomicFile.write(NumPyArray.float32(outputs[0]).npyBytes(), to: path)
        case nil:
            for (name, tensor) in zip(labels, outputs) {
                var summary = OutputSummary()
                summary.add(tensor, samples: tensor.shape[0])
                print(summary.report(name))
            }
        }
    }

    /// Each input as samples to read a batch at a time: a `.npy` file is read in place, the
    /// arrays of an `.npz` are read into memory.
    private func readInputs() throws -> [(name: String, source: any BatchSource<Float>)] {
        if inputs.count == 1, inputs[0].hasSuffix(".npz") {
            return try NumPyArray.arrays(npz: try readFile(inputs[0])).map { ($0.name, $0.array.tensor(of: Float.self)) }
        }
        return try inputs.map { path in
            guard !path.hasSuffix(".npz") else { throw ValidationError("give either one .npz or one .npy per input") }
            return (path, try NumPyFile(contentsOf: path))
        }
    }

    static func describe(_ shape: [Int?]) -> String {
        "(" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
    }
}

/// The shape, range, mean and first values of an output, gathered batch by batch.
struct OutputSummary {
    private var shape = [Int](), minimum = Float.infinity, maximum = -Float.infinity, sum = 0.0, count = 0
    private var first = [Float]()

    mutating func add(_ tensor: Tensor<Float>, samples: Int) {
        if shape.isEmpty { shape = [samples] + tensor.shape.dropFirst() }
        for value in tensor.scalars {
            minimum = min(minimum, value)
            maximum = max(maximum, value)
            sum += Double(value)
        }
        count += tensor.scalarCount
        if first.count < 7 { first += tensor.scalars.prefix(7 - first.count) }
    }

    func report(_ name: String) -> String {
        let preview = first.prefix(6).map { String(format: "%.6g", Double($0)) }.joined(separator: ", ")
        let mean = count == 0 ? 0 : Float(sum / Double(count))
        return "\(name): shape \(shape), min \(count == 0 ? 0 : minimum), max \(count == 0 ? 0 : maximum), mean \(mean); first values [\(preview)\(first.count > 6 ? ", ..." : "")]"
    }
}

/// Keras' predict progress bar (`n/N ━━━━ 1s 3ms/step`), on a terminal only.
final class PredictProgress {
    private let interactive = isatty(STDOUT_FILENO) != 0
    private let samples: Int
    private let start = Date()
    private var lastDraw = Date.distantPast, steps = 0

    init(samples: Int) { self.samples = samples }

    func update(done: Int) {
        steps += 1
        guard interactive, Date().timeIntervalSince(lastDraw) > 0.05 else { return }
        lastDraw = Date()
        let width = 20, filled = done * width / max(samples, 1)
        let bar = String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
        let elapsed = Date().timeIntervalSince(start)
        let left = done > 0 ? elapsed / Double(done) * Double(samples - done) : 0
        print("\r\(done)/\(samples) \(bar) \(TrainingProgress.time(done < samples ? left : elapsed)) \(Int(elapsed / Double(max(steps, 1)) * 1000))ms/step", terminator: "")
        fflush(nil)
    }

    func finish() {
        guard interactive, steps > 0 else { return }
        lastDraw = .distantPast
        update(done: samples)
        steps -= 1
        print("")
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read '\(path)': no such file or no permission")
    }
    return [UInt8](data)
}

extension Tensor where Scalar == Float {
    /// The steps `range` of a `(batch, steps, ...)` tensor.
    func steps(_ range: Range<Int>) throws -> Tensor {
        let (batch, steps) = (shape[0], shape[1]), inner = shape.dropFirst(2).reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(batch * range.count * inner)
        for b in 0..<batch { values += scalars[((b * steps + range.lowerBound) * inner)..<((b * steps + range.upperBound) * inner)] }
        return try Tensor(shape: [batch, range.count] + shape.dropFirst(2), scalars: values)
    }
}
