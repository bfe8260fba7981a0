import Foundation
import Testing
@testable import KerasFiles
import SwiftGRU

/// Compiled models saved by Keras before training, trained for 2 epochs with
/// shuffle = FALSE: Swift reaches the weights Keras reached.
@Suite("Training like Keras")
struct KerasTrainingTests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let inputs: Int
        let batch_size: Int
        let epochs: Int
        let loss: [Double]
        /// Keras' whole history: the loss and the compiled metrics, and their val_ versions.
        let history: [String: [Double]]
        let validated: Bool
        var description: String { name }
    }

    struct Resume: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let batch_size: Int
        var description: String { name }
    }

    struct CallbackCase: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let epochs: Int
        let batch_size: Int
        let validated: Bool
        let history: [String: [Double]]
        var description: String { name }
    }

    struct WeightedCase: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let batch_size: Int
        let epochs: Int
        let class_weight: [String: Double]
        let history: [String: [Double]]
        var description: String { name }
    }

    struct Manifest: Decodable {
        let cases: [Case]
        let resumes: [Resume]
        let callbacks: [CallbackCase]
        let weighted: [WeightedCase]
    }

    static let manifest: Manifest? = {
        guard let data = try? ModelFixtures.bytes("training/manifest.json") else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: Data(data))
    }()

    static let cases: [Case] = manifest?.cases ?? []
    static let resumes: [Resume] = manifest?.resumes ?? []
    static let callbackCases: [CallbackCase] = manifest?.callbacks ?? []
    static let weightedCases: [WeightedCase] = manifest?.weighted ?? []

    @Test func weightedCasesArePresent() { #expect(Self.weightedCases.count >= 3) }

    /// Keras fits with sample_weight (on masked tokens too) and class_weight: the same history
    /// (`metrics` unweighted, `weighted_metrics` weighted, a name in both reported as
    /// `weighted_<name>`) and weights.
    @Test(arguments: weightedCases)
    func sampleAndClassWeightsActAsInKeras(entry: WeightedCase) throws {
        let (file, trainer) = try Self.compiled("training/\(entry.name).keras")
        let x = try ModelFixtures.array("training/\(entry.name).x0.npy").tensor(of: Float.self)
        let y = try ModelFixtures.array("training/\(entry.name).y0.npy").tensor(of: Float.self)
        let sampleWeight = try? ModelFixtures.array("training/\(entry.name).sample_weight.npy").tensor(of: Float.self)
        let classWeight = entry.class_weight.isEmpty ? nil : Dictionary(uniqueKeysWithValues: entry.class_weight.compactMap { k, v in Int(k).map { ($0, v) } })
        let history = try trainer.fit(
            x: [x], y: [y], batchSize: entry.batch_size, epochs: entry.epochs, shuffle: false, sampleWeight: sampleWeight,
            classWeight: classWeight)
        #expect(Set(history.history.keys) == Set(entry.history.keys), "\(entry.name): \(history.history.keys.sorted())")
        for (metric, values) in entry.history {
            let ours = try #require(history[metric])
            for (a, b) in zip(ours, values) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(entry.name) \(metric): \(a) vs Keras \(b)") }
        }
        let expected = try NumPyArray.arrays(npz: ModelFixtures.bytes("training/\(entry.name).after.npz")).map { $0.array.tensor(of: Float.self) }
        for (k, (w, e)) in zip(file.model.layers.flatMap { $0.weights }, expected).enumerated() {
            #expect(try w.maxAbsoluteDifference(to: e) <= 2e-5, "\(entry.name) weight \(k)")
        }
        // Both at once, a class without a weight, or a wrong count are refused before training.
        #expect(throws: LayerError.self) { try trainer.fit(x: [x], y: [y], sampleWeight: Tensor(repeating: 1, shape: [3])) }
        #expect(throws: LayerError.self) {
            try trainer.fit(x: [x], y: [y], sampleWeight: Tensor(repeating: 1, shape: [10]), classWeight: [0: 1])
        }
    }

    /// The callbacks each Keras run used (Scripts/fixtures/make-training-fixtures.py), by case name.
    static func callbacks(for name: String, csv: String) throws -> [any TrainingCallback<Float>] {
        switch name {
        case "callbacks_early_stopping": return [try EarlyStopping<Float>(monitor: "loss", patience: 2, mode: .max, restoreBestWeights: true)]
        case "callbacks_early_stopping_val": return [try EarlyStopping<Float>(monitor: "val_loss", minDelta: 0.07, patience: 1)]
        case "callbacks_reduce_lr":
            return [try ReduceLROnPlateau<Float>(monitor: "loss", factor: 0.5, patience: 1, mode: .max, cooldown: 1, minLearningRate: 0.004)]
        case "callbacks_scheduler_csv":
            return [LearningRateScheduler<Float> { epoch, rate in epoch < 1 ? rate : rate * 0.5 }, CSVLogger<Float>(path: csv)]
        default: return []
        }
    }

    /// A fixture model and a trainer with its compile_config's optimizer, loss and metrics.
    static func compiled(_ path: String) throws -> (KerasModelFile, Trainer<Float>) {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path(path))
        let trainer = Trainer(
            model: file.model, optimizer: try KerasCompileConfig.optimizer(from: file.compileConfig),
            loss: try KerasCompileConfig.loss(from: file.compileConfig), metrics: try KerasCompileConfig.metrics(from: file.compileConfig))
        return (file, trainer)
    }

    @Test func callbackCasesArePresent() { #expect(Self.callbackCases.count >= 4) }

    /// Keras' callbacks change a fit the same way here: early stopping (restoring the best
    /// weights; on val_loss with min_delta), ReduceLROnPlateau with cooldown and a floor,
    /// LearningRateScheduler, and CSVLogger's file.
    @Test(arguments: callbackCases)
    func callbacksActAsInKeras(entry: CallbackCase) throws {
        let (file, trainer) = try Self.compiled("training/\(entry.name).keras")
        let x = try ModelFixtures.array("training/\(entry.name).x0.npy").tensor(of: Float.self)
        let y = try ModelFixtures.array("training/\(entry.name).y0.npy").tensor(of: Float.self)
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("callbacks-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let history = try trainer.fit(
            x: [x], y: [y], batchSize: entry.batch_size, epochs: entry.epochs, shuffle: false,
            validationData: entry.validated ? ([x], [y]) : nil, callbacks: Self.callbacks(for: entry.name, csv: csv))
        #expect(Set(history.history.keys) == Set(entry.history.keys))
        for (metric, values) in entry.history {
            let ours = try #require(history[metric])
            #expect(ours.count == values.count, "\(entry.name) \(metric): \(ours.count) epochs vs Keras \(values.count)")
            for (a, b) in zip(ours, values) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(entry.name) \(metric): \(a) vs Keras \(b)") }
        }
        let expected = try NumPyArray.arrays(npz: ModelFixtures.bytes("training/\(entry.name).after.npz")).map { $0.array.tensor(of: Float.self) }
        for (k, (w, e)) in zip(file.model.layers.flatMap { $0.weights }, expected).enumerated() {
            #expect(try w.maxAbsoluteDifference(to: e) <= 2e-5, "\(entry.name) weight \(k)")
        }
        if entry.name == "callbacks_scheduler_csv" {
            let ours = try String(contentsOfFile: csv, encoding: .utf8), theirs = try String(decoding: ModelFixtures.bytes("training/callbacks_scheduler_csv.csv"), as: UTF8.self)
            let rows = { (text: String) in text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") } }
            let (a, b) = (rows(ours), rows(theirs))
            #expect(a.first == b.first && a.count == b.count)
            for (rowA, rowB) in zip(a.dropFirst(), b.dropFirst()) {
                for (cellA, cellB) in zip(rowA, rowB) {
                    if let u = Double(cellA), let v = Double(cellB) { #expect(abs(u - v) <= 1e-4 * max(1, abs(v))) } else { #expect(cellA == cellB) }
                }
            }
        }
    }

    @Test func resumesArePresent() { #expect(Self.resumes.count >= 6) }

    /// Keras trained one epoch and saved the model with its optimizer state; going on from
    /// that file for one epoch reaches the weights Keras reached after two.
    @Test(arguments: resumes)
    func resumesFromKerasOptimizerState(entry: Resume) throws {
        let (file, trainer) = try Self.compiled("training/\(entry.name).epoch1.keras")
        #expect(!file.optimizerVariables.isEmpty)
        try trainer.restoreOptimizerState(kerasVariables: file.optimizerVariables)
        #expect(trainer.optimizerState.iterations == 3)
        let x = try ModelFixtures.array("training/\(entry.name).x0.npy").tensor(of: Float.self)
        let y = try ModelFixtures.array("training/\(entry.name).y0.npy").tensor(of: Float.self)
        try trainer.fit(x: [x], y: [y], batchSize: entry.batch_size, epochs: 1, shuffle: false)
        let expected = try NumPyArray.arrays(npz: ModelFixtures.bytes("training/\(entry.name).epoch2.npz")).map { $0.array.tensor(of: Float.self) }
        for (k, (w, e)) in zip(file.model.layers.flatMap { $0.weights }, expected).enumerated() {
            #expect(try w.maxAbsoluteDifference(to: e) <= 2e-5, "\(entry.name) weight \(k)")
        }
        // Saved and read again, the state is the same, and Keras' layout is kept.
        let saved = try KerasModelFile(bytes: KerasModelFile.kerasBytes(
            for: file.model, compileConfig: file.compileConfig, optimizerVariables: trainer.kerasOptimizerVariables))
        #expect(saved.optimizerVariables.map(\.shape) == file.optimizerVariables.map(\.shape))
        #expect(saved.optimizerVariables.first?.scalars == [6])
    }

    /// A state that does not fit the optimizer is an error naming what is missing.
    @Test func mismatchedOptimizerStateIsAnError() throws {
        let file = try KerasModelFile(contentsOf: ModelFixtures.path("training/resume_adam_amsgrad.epoch1.keras"))
        let trainer = Trainer(model: file.model, optimizer: .sgd(momentum: 0.9), loss: .meanSquaredError)
        #expect(throws: LayerError.self) { try trainer.restoreOptimizerState(kerasVariables: file.optimizerVariables) }
    }

    @Test func casesArePresent() { #expect(Self.cases.count >= 12) }

    @Test(arguments: cases)
    func reachesKerasWeights(entry: Case) throws {
        let (file, trainer) = try Self.compiled("training/\(entry.name).keras")
        let x = try (0..<entry.inputs).map { try ModelFixtures.array("training/\(entry.name).x\($0).npy").tensor(of: Float.self) }
        let y = [try ModelFixtures.array("training/\(entry.name).y0.npy").tensor(of: Float.self)]
        let history = try trainer.fit(
            x: x, y: y, batchSize: entry.batch_size, epochs: entry.epochs, shuffle: false, validationData: entry.validated ? (x, y) : nil)
        let expected = try NumPyArray.arrays(npz: ModelFixtures.bytes("training/\(entry.name).after.npz")).map { $0.array.tensor(of: Float.self) }
        let weights = file.model.layers.flatMap { $0.weights }
        #expect(weights.count == expected.count)
        for (k, (w, e)) in zip(weights, expected).enumerated() {
            #expect(w.shape == e.shape, "weight \(k)")
            if w.shape == e.shape {
                let error = try w.maxAbsoluteDifference(to: e)
                #expect(error <= 2e-4, "\(entry.name) weight \(k): max abs error \(error)")
            }
        }
        #expect(Set(history.history.keys) == Set(entry.history.keys), "\(entry.name): metrics \(history.history.keys.sorted()) vs Keras \(entry.history.keys.sorted())")
        for (metric, values) in entry.history {
            let ours = try #require(history[metric], "\(entry.name): no \(metric)")
            for (epoch, (a, b)) in zip(ours, values).enumerated() {
                #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(entry.name) epoch \(epoch + 1) \(metric): \(a) vs Keras \(b)")
            }
        }
    }

    @Test func compileConfigRoundTrips() throws {
        let optimizers: [Optimizer] = [
            .sgd(momentum: 0.9, nesterov: true), .adam(amsgrad: true), .adamW(), .rmsprop(centered: true), .adagrad(), .nadam(beta2: 0.99),
            .adamax(), .adadelta(rho: 0.9), .lion(beta1: 0.8), .ftrl(l1: 0.01, beta: 0.1),
            Optimizer(Adam(), learningRate: 0.01, learningRateSchedule: .cosineDecay(initial: 0.01, decaySteps: 5, alpha: 0, warmupTarget: 0.1, warmupSteps: 2)),
        ]
        for optimizer in optimizers {
            let losses: [Loss] = [
                .meanSquaredError, .meanAbsoluteError, .binaryCrossentropy(fromLogits: true), .categoricalCrossentropy(),
                .sparseCategoricalCrossentropy(fromLogits: true), .huber(delta: 0.5), .logCosh, .kullbackLeiblerDivergence, .poisson,
                .cosineSimilarity, .binaryCrossentropy(labelSmoothing: 0.1), .categoricalCrossentropy(fromLogits: true, labelSmoothing: 0.2),
            ]
            for loss in losses {
                var clipped = optimizer
                clipped.clipnorm = 0.5
                let config = KerasCompileConfig.make(optimizer: clipped, loss: loss)
                #expect(try KerasCompileConfig.optimizer(from: config) == clipped)
                #expect(try KerasCompileConfig.loss(from: config) == loss)
            }
        }
        #expect(throws: FileFormatError.self) { try KerasCompileConfig.optimizer(from: ["optimizer": ["class_name": "Muon", "config": [:]]]) }
        #expect(throws: FileFormatError.self) { try KerasCompileConfig.loss(from: ["loss": "hinge"]) }
        #expect(throws: FileFormatError.self) {
            try KerasCompileConfig.loss(from: ["loss": ["class_name": "SparseCategoricalCrossentropy", "config": ["label_smoothing": 0.1]]])
        }
        #expect(throws: FileFormatError.self) { try KerasCompileConfig.loss(from: nil) }
    }

    /// A learning-rate schedule is read (an unknown one is refused, never replaced by a
    /// constant without a word); a constant rate given explicitly replaces it. Metrics are
    /// read by name and as objects; one that is not computed here is an error, never dropped.
    @Test func compileConfigsSayWhatTheyCannotDo() throws {
        let config = try JSONValue(parsing: Array(#"{"optimizer": {"class_name": "SGD", "config": {"learning_rate": {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9}}}}, "loss": "mse", "metrics": ["accuracy", {"class_name": "AUC", "config": {"name": "auc"}}]}"#.utf8), what: "test")
        let scheduled = try KerasCompileConfig.optimizer(from: config)
        #expect(scheduled.learningRateSchedule == .exponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.9, staircase: false))
        #expect(try KerasCompileConfig.optimizer(from: config, learningRate: 0.05).learningRate == 0.05)
        #expect(try KerasCompileConfig.optimizer(from: config, learningRate: 0.05).learningRateSchedule == nil)
        let unknown = try JSONValue(parsing: Array(#"{"optimizer": {"class_name": "SGD", "config": {"learning_rate": {"class_name": "MySchedule", "config": {}}}}}"#.utf8), what: "test")
        let error = #expect(throws: FileFormatError.self) { _ = try KerasCompileConfig.optimizer(from: unknown) }
        #expect(error?.message.contains("MySchedule") == true)
        #expect(try KerasCompileConfig.metrics(from: config) == [Metric(.accuracy, name: "accuracy"), Metric(.auc(thresholds: 200), name: "auc")])
        let objects = try JSONValue(parsing: Array(#"{"metrics": [[{"class_name": "Precision", "config": {"name": "p", "thresholds": 0.3}}, "mae"]], "weighted_metrics": [{"class_name": "TopKCategoricalAccuracy", "config": {"name": "top3", "k": 3}}]}"#.utf8), what: "test")
        #expect(try KerasCompileConfig.metrics(from: objects).map(\.kind) == [.precision(threshold: 0.3), .meanAbsoluteError, .topKCategoricalAccuracy(k: 3)])
        for bad in [#"{"metrics": ["hinge_accuracy"]}"#, #"{"metrics": [{"class_name": "F1Score", "config": {}}]}"#,
                    #"{"metrics": [{"class_name": "AUC", "config": {"curve": "PR"}}]}"#] {
            #expect(throws: FileFormatError.self) { try KerasCompileConfig.metrics(from: JSONValue(parsing: Array(bad.utf8), what: "test")) }
        }
    }
}
