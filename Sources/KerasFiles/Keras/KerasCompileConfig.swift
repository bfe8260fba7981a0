import SwiftGRU

/// Reads and writes the `compile_config` of a `.keras` file: the optimizer and
/// the loss that `model.compile` was given.
public enum KerasCompileConfig {
    /// The optimizer of a compile_config.
    ///
    /// - Parameters:
    ///   - learningRate: A constant rate that replaces the file's (its schedule too).
    ///   - tfKeras2: The configuration comes from a tf.keras 2 file, whose optimizers tf.keras
    ///     trains with its own formulas (`Optimizer/epsilonOutsideSquareRoot`).
    /// - Throws: ``FileFormatError`` when there is none or it is not supported, or when its
    ///   learning rate is a schedule that is not.
    public static func optimizer(from compileConfig: JSONValue?, learningRate: Double? = nil, tfKeras2: Bool = false) throws -> Optimizer {
        guard let object = compileConfig?["optimizer"], !object.isNull else {
            throw FileFormatError("the model was not compiled: its file has no optimizer (give one explicitly)")
        }
        let className = object.string ?? object["class_name"]?.string ?? ""
        guard let declaration = OptimizerDeclarations.declaration(named: className) else {
            throw FileFormatError("unsupported optimizer '\(className)'; supported: \(OptimizerDeclarations.names)")
        }
        let c = KerasConfig(object["config"] ?? .null)
        func optional(_ key: String) throws -> Double? {
            guard let value = c[key], !value.isNull else { return nil }
            guard let number = value.double else { throw FileFormatError("optimizer \(className): \(key) \(value) is not a number") }
            return number
        }
        var schedule: LearningRateSchedule?
        let rate = c["learning_rate"]
        if let rate, !rate.isNull, rate.double == nil, learningRate == nil {
            schedule = try Self.schedule(rate, optimizer: className)
        }
        if c["use_ema"]?.bool == true { throw FileFormatError("optimizer \(className): use_ema is not supported") }
        if let steps = c["gradient_accumulation_steps"]?.int, steps > 1 {
            throw FileFormatError("optimizer \(className): gradient_accumulation_steps is not supported")
        }
        if let factor = c["loss_scale_factor"], !factor.isNull {
            throw FileFormatError("optimizer \(className): loss_scale_factor \(factor) is not supported")
        }
        var optimizer: Optimizer
        do {
            optimizer = Optimizer(
                try declaration.decode(c), learningRate: rate?.double ?? declaration.defaultLearningRate,
                weightDecay: try optional("weight_decay") ?? declaration.defaultWeightDecay, clipnorm: try optional("clipnorm"),
                clipvalue: try optional("clipvalue"), globalClipnorm: try optional("global_clipnorm"), className: declaration.className)
        } catch let error as FileFormatError {
            throw FileFormatError("optimizer \(className): \(error.message)", underlying: error)
        }
        for (key, value) in c.unread where !optimizerInertKeys.contains(key) {
            throw FileFormatError("optimizer \(className): the configuration key '\(key)' (\(value)) is not supported; the model cannot train as Keras trains it")
        }
        if let learningRate { optimizer.learningRate = learningRate }
        if let schedule {
            optimizer.learningRateSchedule = schedule
            optimizer.learningRate = schedule.learningRate(atStep: 0)
        }
        optimizer.epsilonOutsideSquareRoot = tfKeras2
        return optimizer
    }

    /// Keys every Keras optimizer's configuration may hold that change nothing it computes:
    /// its name, the EMA settings read only with `use_ema` (refused above), tf.keras 2.11's
    /// `jit_compile` and `is_legacy_optimizer`.
    private static let optimizerInertKeys: Set<String> = [
        "name", "ema_momentum", "ema_overwrite_frequency", "jit_compile", "is_legacy_optimizer",
    ]

    /// The optimizer Keras makes of a class name alone (`"adam"`), with Keras' defaults.
    ///
    /// - Throws: ``FileFormatError`` for a name that is not a supported optimizer.
    public static func optimizer(named name: String) throws -> Optimizer {
        guard let declaration = OptimizerDeclarations.declaration(named: name) else {
            throw FileFormatError("unknown optimizer '\(name)'; supported: \(OptimizerDeclarations.names)")
        }
        return try declaration.defaultOptimizer
    }

    /// The compile_config equivalent of a Keras 2 `training_config` (the attribute tf.keras 2
    /// writes into `.h5` model files): the optimizer with `lr` read as `learning_rate` and Keras
    /// 2's per-step `decay` as the InverseTimeDecay schedule it computes
    /// (`lr / (1 + decay * iterations)`), the loss and loss weights as they are, and the metrics
    /// with the full names tf.keras reports them under (`mape` as `mean_absolute_percentage_error`).
    ///
    /// - Throws: ``FileFormatError`` when the optimizer entry is not an object.
    public static func compileConfig(fromTrainingConfig trainingConfig: JSONValue) throws -> JSONValue {
        var compile: [String: JSONValue] = [:]
        for key in ["loss", "loss_weights", "metrics", "weighted_metrics"] { compile[key] = trainingConfig[key] ?? .null }
        // tf.keras reports the short names of its metric functions under their full names.
        let fullNames: [String: JSONValue] = [
            "mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
            "msle": "mean_squared_logarithmic_error",
        ]
        func expand(_ value: JSONValue) -> JSONValue {
            if let name = value.string { return fullNames[name] ?? value }
            if let list = value.array { return .array(list.map(expand)) }
            if let object = value.object, value["class_name"] == nil { return .object(object.mapValues(expand)) }
            return value
        }
        for key in ["metrics", "weighted_metrics"] { compile[key] = compile[key].map(expand) }
        if let optimizer = trainingConfig["optimizer_config"], !optimizer.isNull {
            guard let className = optimizer["class_name"]?.string, var c = (optimizer["config"] ?? [:]).object else {
                throw FileFormatError("training_config: the optimizer \(optimizer) has no class_name or config")
            }
            if c["learning_rate"] == nil, let lr = c["lr"] { c["learning_rate"] = lr }
            c["lr"] = nil
            if let decay = c["decay"]?.double, decay != 0, let rate = c["learning_rate"]?.double {
                c["learning_rate"] = [
                    "class_name": "InverseTimeDecay",
                    "config": ["initial_learning_rate": .number(rate), "decay_steps": 1, "decay_rate": .number(decay), "staircase": false],
                ]
            }
            c["decay"] = nil
            compile["optimizer"] = ["class_name": .string(className), "config": .object(c)]
        }
        return .object(compile)
    }

    /// A serialized learning-rate schedule (`keras.optimizers.schedules`).
    static func schedule(_ value: JSONValue, optimizer: String) throws -> LearningRateSchedule {
        let className = value["class_name"]?.string ?? "?"
        let c = value["config"] ?? .null
        func number(_ key: String) throws -> Double {
            guard let v = c[key]?.double else {
                throw FileFormatError("optimizer \(optimizer): learning-rate schedule \(className) has no number '\(key)'")
            }
            return v
        }
        func numbers(_ key: String) throws -> [Double] {
            guard let list = c[key]?.array?.compactMap(\.double), list.count == c[key]?.array?.count else {
                throw FileFormatError("optimizer \(optimizer): learning-rate schedule \(className) has no list of numbers '\(key)'")
            }
            return list
        }
        let schedule: LearningRateSchedule
        switch className {
        case "ExponentialDecay":
            schedule = .exponentialDecay(
                initial: try number("initial_learning_rate"), decaySteps: try number("decay_steps"), decayRate: try number("decay_rate"),
                staircase: c["staircase"]?.bool ?? false)
        case "InverseTimeDecay":
            schedule = .inverseTimeDecay(
                initial: try number("initial_learning_rate"), decaySteps: try number("decay_steps"), decayRate: try number("decay_rate"),
                staircase: c["staircase"]?.bool ?? false)
        case "PiecewiseConstantDecay":
            schedule = .piecewiseConstant(boundaries: try numbers("boundaries"), values: try numbers("values"))
        case "PolynomialDecay":
            schedule = .polynomialDecay(
                initial: try number("initial_learning_rate"), decaySteps: try number("decay_steps"),
                end: c["end_learning_rate"]?.double ?? 0.0001, power: c["power"]?.double ?? 1, cycle: c["cycle"]?.bool ?? false)
        case "CosineDecay":
            schedule = .cosineDecay(
                initial: try number("initial_learning_rate"), decaySteps: try number("decay_steps"), alpha: c["alpha"]?.double ?? 0,
                warmupTarget: c["warmup_target"]?.double, warmupSteps: c["warmup_steps"]?.double ?? 0)
        case "CosineDecayRestarts":
            schedule = .cosineDecayRestarts(
                initial: try number("initial_learning_rate"), firstDecaySteps: try number("first_decay_steps"),
                tMul: c["t_mul"]?.double ?? 2, mMul: c["m_mul"]?.double ?? 1, alpha: c["alpha"]?.double ?? 0)
        default:
            throw FileFormatError("optimizer \(optimizer): the learning-rate schedule \(className) is not supported; supported: ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay, CosineDecayRestarts (or give a constant learning rate: gru fit --learning-rate)")
        }
        do { return try schedule.validated() } catch let error as LayerError {
            throw FileFormatError("optimizer \(optimizer): \(error.message)", underlying: error)
        }
    }

    /// A schedule as Keras serializes it.
    static func encode(_ schedule: LearningRateSchedule) -> JSONValue {
        var c: [String: JSONValue] = ["name": .string(schedule.className)]
        switch schedule {
        case .exponentialDecay(let initial, let steps, let rate, let staircase), .inverseTimeDecay(let initial, let steps, let rate, let staircase):
            c["initial_learning_rate"] = .number(initial)
            c["decay_steps"] = .number(steps)
            c["decay_rate"] = .number(rate)
            c["staircase"] = .bool(staircase)
        case .piecewiseConstant(let boundaries, let values):
            c["boundaries"] = .array(boundaries.map(JSONValue.number))
            c["values"] = .array(values.map(JSONValue.number))
        case .polynomialDecay(let initial, let steps, let end, let power, let cycle):
            c["initial_learning_rate"] = .number(initial)
            c["decay_steps"] = .number(steps)
            c["end_learning_rate"] = .number(end)
            c["power"] = .number(power)
            c["cycle"] = .bool(cycle)
        case .cosineDecay(let initial, let steps, let alpha, let target, let warmup):
            c["initial_learning_rate"] = .number(initial)
            c["decay_steps"] = .number(steps)
            c["alpha"] = .number(alpha)
            c["warmup_target"] = target.map(JSONValue.number) ?? .null
            c["warmup_steps"] = .number(warmup)
        case .cosineDecayRestarts(let initial, let first, let tMul, let mMul, let alpha):
            c["initial_learning_rate"] = .number(initial)
            c["first_decay_steps"] = .number(first)
            c["t_mul"] = .number(tMul)
            c["m_mul"] = .number(mMul)
            c["alpha"] = .number(alpha)
        }
        return ["module": "keras.optimizers.schedules", "class_name": .string(schedule.className), "config": .object(c), "registered_name": nil]
    }

    /// The metrics a compile_config asks for (`metrics` and `weighted_metrics`): names
    /// (`"accuracy"`, `"mae"`) and serialized metric objects (`AUC`, `Precision`,
    /// `TopKCategoricalAccuracy`, ...), for every output alike.
    ///
    /// - Throws: ``FileFormatError`` naming a metric that is not computed here, or a setting of
    ///   one that is not supported; never a silent default.
    public static func metrics(from compileConfig: JSONValue?) throws -> [Metric] {
        var found = [Metric]()
        func read(_ value: JSONValue?) throws {
            guard let value, !value.isNull else { return }
            if let name = value.string {
                do { found.append(try Metric(named: name)) } catch let error as LayerError {
                    throw FileFormatError("compile_config: \(error.message)", underlying: error)
                }
                return
            }
            if let className = value["class_name"]?.string, let config = value["config"] {
                found.append(try metric(className, config))
                return
            }
            for item in value.array ?? value.object.map({ $0.keys.sorted().compactMap { key in value[key] } }) ?? [] { try read(item) }
        }
        try read(compileConfig?["metrics"])
        let unweighted = found.count
        try read(compileConfig?["weighted_metrics"])
        // A weighted metric named as an unweighted one is reported as `weighted_<name>`, as Keras does.
        let names = Set(found.prefix(unweighted).map(\.name))
        for k in unweighted..<found.count {
            found[k].weighted = true
            if names.contains(found[k].name) { found[k].name = "weighted_" + found[k].name }
        }
        var seen = Set<String>()
        return found.filter { seen.insert($0.name).inserted }
    }

    /// The metrics of a compile_config given per output, one list per output, as Keras 3 reads
    /// them for a model of several outputs: a list with one entry (a metric or a list) per
    /// output, or an object keyed by output name; `nil` when the same metrics go to every output.
    ///
    /// - Throws: ``FileFormatError`` as ``metrics(from:)``.
    public static func outputMetrics(from compileConfig: JSONValue?, outputNames: [String]) throws -> [[Metric]]? {
        guard outputNames.count > 1 else { return nil }
        func lists(_ key: String) throws -> [JSONValue?]? {
            guard let value = compileConfig?[key], !value.isNull else { return nil }
            if let list = value.array, list.count != outputNames.count { return nil }
            return try perOutput(value, outputNames: outputNames, what: key)
        }
        let plain = try lists("metrics"), weighted = try lists("weighted_metrics")
        guard plain != nil || weighted != nil else { return nil }
        return try outputNames.indices.map { index in
            try metrics(from: ["metrics": plain?[index] ?? .null, "weighted_metrics": weighted?[index] ?? .null])
        }
    }

    /// A serialized Keras metric object.
    private static func metric(_ className: String, _ c: JSONValue) throws -> Metric {
        let name = c["name"]?.string
        func threshold() throws -> Double {
            guard let value = c["thresholds"], !value.isNull else { return 0.5 }
            if let single = value.double { return single }
            throw FileFormatError("compile_config: metric \(className) with thresholds \(value) is not supported (one threshold is)")
        }
        let kind: Metric.Kind
        switch className {
        case "MeanMetricWrapper":
            // A function wrapped by Keras: its name says which.
            guard let function = c["fn"]?.string ?? name else { throw FileFormatError("compile_config: a wrapped metric without a name") }
            let metric: Metric
            do { metric = try Metric(named: function) } catch let error as LayerError {
                throw FileFormatError("compile_config: \(error.message)", underlying: error)
            }
            return Metric(metric.kind, name: name ?? metric.name)
        case "Accuracy": throw FileFormatError("compile_config: metric Accuracy (exact equality of values) is not computed here; 'accuracy' is")
        case "BinaryAccuracy": kind = .binaryAccuracy(threshold: c["threshold"]?.double ?? 0.5)
        case "CategoricalAccuracy": kind = .categoricalAccuracy
        case "SparseCategoricalAccuracy": kind = .sparseCategoricalAccuracy
        case "TopKCategoricalAccuracy": kind = .topKCategoricalAccuracy(k: c["k"]?.int ?? 5)
        case "SparseTopKCategoricalAccuracy": kind = .sparseTopKCategoricalAccuracy(k: c["k"]?.int ?? 5)
        case "MeanAbsoluteError": kind = .meanAbsoluteError
        case "MeanSquaredError": kind = .meanSquaredError
        case "RootMeanSquaredError": kind = .rootMeanSquaredError
        case "MeanAbsolutePercentageError": kind = .meanAbsolutePercentageError
        case "MeanSquaredLogarithmicError": kind = .meanSquaredLogarithmicError
        case "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy":
            if c["from_logits"]?.bool == true || (c["label_smoothing"]?.double ?? 0) != 0 {
                throw FileFormatError("compile_config: metric \(className) with from_logits or label_smoothing is not supported")
            }
            kind = .loss(try loss(named: className))
        case "Precision":
            guard c["top_k"].map({ $0.isNull }) ?? true, c["class_id"].map({ $0.isNull }) ?? true else {
                throw FileFormatError("compile_config: metric Precision with top_k or class_id is not supported")
            }
            kind = .precision(threshold: try threshold())
        case "Recall":
            guard c["top_k"].map({ $0.isNull }) ?? true, c["class_id"].map({ $0.isNull }) ?? true else {
                throw FileFormatError("compile_config: metric Recall with top_k or class_id is not supported")
            }
            kind = .recall(threshold: try threshold())
        case "AUC":
            let curve = c["curve"]?.string ?? "ROC", summation = c["summation_method"]?.string ?? "interpolation"
            guard curve == "ROC", summation == "interpolation", c["multi_label"]?.bool != true,
                  c["thresholds"].map({ $0.isNull }) ?? true else {
                throw FileFormatError("compile_config: metric AUC with curve \(curve), summation \(summation), multi_label or explicit thresholds is not supported (ROC with interpolation is)")
            }
            kind = .auc(thresholds: max(c["num_thresholds"]?.int ?? 200, 2))
        default:
            throw FileFormatError("compile_config: metric \(className) is not computed here; known: \(Metric.knownNames.joined(separator: ", "))")
        }
        return Metric(kind, name: name ?? KerasConfigDecoder.snakeCase(className))
    }

    private static func loss(named className: String) throws -> Loss {
        do { return try Loss(named: KerasConfigDecoder.snakeCase(className)) } catch let error as LayerError {
            throw FileFormatError("compile_config: \(error.message)", underlying: error)
        }
    }

    /// The loss of a compile_config that gives one loss for every output.
    ///
    /// - Throws: ``FileFormatError`` when there is none, it is not supported, or the file gives
    ///   one per output (read those with ``losses(from:outputNames:)``).
    public static func loss(from compileConfig: JSONValue?) throws -> Loss {
        guard let object = compileConfig?["loss"], !object.isNull else {
            throw FileFormatError("the model was not compiled: its file has no loss (give one explicitly)")
        }
        if let weights = compileConfig?["loss_weights"], !weights.isNull {
            throw FileFormatError("the compile_config has loss_weights: read its losses per output")
        }
        return try loss(object)
    }

    /// The losses of a compile_config: one for every output (``LossSettings/loss``), or one
    /// per output given as a list or by output name (``LossSettings/outputLosses``, `nil` for
    /// an output without one), and the `loss_weights`.
    ///
    /// - Parameter outputNames: The model's outputs, in order (`Model/outputNames`).
    /// - Throws: ``FileFormatError`` when there is no loss, one is not supported, or the lists
    ///   and names do not fit the outputs.
    public static func losses(from compileConfig: JSONValue?, outputNames: [String]) throws -> LossSettings {
        guard let object = compileConfig?["loss"], !object.isNull else {
            throw FileFormatError("the model was not compiled: its file has no loss (give one explicitly)")
        }
        var settings = LossSettings(loss: .meanSquaredError)
        if let perOutput = try perOutput(object, outputNames: outputNames, what: "loss") {
            settings.outputLosses = try perOutput.map { try $0.map(loss) }
            settings.loss = settings.outputLosses?.lazy.compactMap { $0 }.first ?? .meanSquaredError
        } else {
            settings.loss = try loss(object)
        }
        if let weights = compileConfig?["loss_weights"], !weights.isNull {
            let entries = try perOutput(weights, outputNames: outputNames, what: "loss_weights")
                ?? (weights.double.map { Array(repeating: JSONValue.number($0), count: outputNames.count) })
            settings.lossWeights = try entries?.map { entry in
                guard let value = entry?.double, value.isFinite else {
                    throw FileFormatError("compile_config: loss_weights \(weights) must give a finite number for every output")
                }
                return value
            }
        }
        return settings
    }

    /// A value given per output: a list with one entry per output, or an object keyed by output
    /// names (missing names are `nil`); `nil` when the value is a single entry for all outputs.
    private static func perOutput(_ value: JSONValue, outputNames: [String], what: String) throws -> [JSONValue?]? {
        if let list = value.array {
            guard list.count == outputNames.count else {
                throw FileFormatError("compile_config: \(what) lists \(list.count) entries for the \(outputNames.count) output(s) \(outputNames)")
            }
            return list.map { $0.isNull ? JSONValue?.none : $0 }
        }
        guard value["class_name"] == nil, let object = value.object else { return nil }
        let unknown = object.keys.filter { !outputNames.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw FileFormatError("compile_config: \(what) names \(unknown), which are not outputs of the model (\(outputNames))")
        }
        return outputNames.map { name in object[name].flatMap { $0.isNull ? JSONValue?.none : $0 } }
    }

    /// One serialized loss: a name or a `{"class_name", "config"}` object.
    private static func loss(_ object: JSONValue) throws -> Loss {
        if let name = object.string {
            do { return try Loss(named: name) } catch let error as LayerError { throw FileFormatError(error.message, underlying: error) }
        }
        guard let className = object["class_name"]?.string else {
            throw FileFormatError("unsupported loss configuration \(object)")
        }
        let c = object["config"] ?? .null
        if let reduction = c["reduction"]?.string, reduction != "sum_over_batch_size" {
            throw FileFormatError("loss \(className): reduction '\(reduction)' is not supported (sum_over_batch_size is)")
        }
        if let axis = c["axis"]?.int, axis != -1 {
            throw FileFormatError("loss \(className): axis \(axis) is not supported (the last axis is)")
        }
        var loss: Loss
        do {
            loss = try Loss(named: className, fromLogits: c["from_logits"]?.bool ?? false)
        } catch let error as LayerError {
            throw FileFormatError(error.message)
        }
        let smoothing = c["label_smoothing"]?.double ?? 0
        switch loss {
        case .binaryCrossentropy(let logits, _): loss = .binaryCrossentropy(fromLogits: logits, labelSmoothing: smoothing)
        case .categoricalCrossentropy(let logits, _): loss = .categoricalCrossentropy(fromLogits: logits, labelSmoothing: smoothing)
        case .huber: loss = .huber(delta: c["delta"]?.double ?? 1)
        default:
            if smoothing != 0 { throw FileFormatError("loss \(className): label_smoothing is not supported for it (as in Keras)") }
        }
        return loss
    }

    /// A compile_config holding `optimizer`, `loss` (or one loss per output) and `loss_weights`,
    /// as Keras writes it.
    public static func make(optimizer: Optimizer, loss: Loss, outputLosses: [Loss?]? = nil, lossWeights: [Double]? = nil) -> JSONValue {
        var c: [String: JSONValue] = [
            "name": .string(KerasConfigDecoder.snakeCase(optimizer.className)),
            "learning_rate": optimizer.learningRateSchedule.map(encode) ?? .number(optimizer.learningRate),
            "weight_decay": optimizer.weightDecay.map(JSONValue.number) ?? .null,
            "clipnorm": optimizer.clipnorm.map(JSONValue.number) ?? .null,
            "global_clipnorm": optimizer.globalClipnorm.map(JSONValue.number) ?? .null,
            "clipvalue": optimizer.clipvalue.map(JSONValue.number) ?? .null,
            "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": nil, "loss_scale_factor": nil,
            "gradient_accumulation_steps": nil,
        ]
        if let declaration = OptimizerDeclarations.declaration(for: optimizer.rule) {
            c.merge(declaration.encode(optimizer.rule)) { $1 }
        }
        return [
            "optimizer": ["module": "keras.optimizers", "class_name": .string(optimizer.className), "config": .object(c), "registered_name": nil],
            "loss": outputLosses.map { .array($0.map { $0.map(encode) ?? .null }) } ?? encode(loss),
            "loss_weights": lossWeights.map { .array($0.map(JSONValue.number)) } ?? .null,
            "metrics": nil, "weighted_metrics": nil, "run_eagerly": false,
            "steps_per_execution": 1, "jit_compile": false,
        ]
    }

    /// A loss as Keras serializes it.
    private static func encode(_ loss: Loss) -> JSONValue {
        let lossClass: String
        var fromLogits = false
        switch loss {
        case .meanSquaredError: lossClass = "MeanSquaredError"
        case .meanAbsoluteError: lossClass = "MeanAbsoluteError"
        case .binaryCrossentropy(let logits, _): lossClass = "BinaryCrossentropy"; fromLogits = logits
        case .categoricalCrossentropy(let logits, _): lossClass = "CategoricalCrossentropy"; fromLogits = logits
        case .sparseCategoricalCrossentropy(let logits): lossClass = "SparseCategoricalCrossentropy"; fromLogits = logits
        case .huber: lossClass = "Huber"
        case .logCosh: lossClass = "LogCosh"
        case .kullbackLeiblerDivergence: lossClass = "KLDivergence"
        case .poisson: lossClass = "Poisson"
        case .cosineSimilarity: lossClass = "CosineSimilarity"
        }
        var lossConfig: [String: JSONValue] = ["name": .string(loss.name), "reduction": "sum_over_batch_size"]
        if lossClass.hasSuffix("Crossentropy") { lossConfig["from_logits"] = .bool(fromLogits) }
        switch loss {
        case .binaryCrossentropy(_, let smoothing), .categoricalCrossentropy(_, let smoothing): lossConfig["label_smoothing"] = .number(smoothing)
        case .huber(let delta): lossConfig["delta"] = .number(delta)
        case .cosineSimilarity: lossConfig["axis"] = -1
        default: break
        }
        return ["module": "keras.losses", "class_name": .string(lossClass), "config": .object(lossConfig), "registered_name": nil]
    }
}

/// The losses of a compile_config (``KerasCompileConfig/losses(from:outputNames:)``), as
/// `Trainer` takes them.
public struct LossSettings: Sendable {
    /// The loss of every output that ``outputLosses`` does not set.
    public var loss: Loss
    /// One loss per output, `nil` for an output without one; `nil` when ``loss`` goes to all.
    public var outputLosses: [Loss?]?
    /// Keras' `loss_weights`, one per output.
    public var lossWeights: [Double]?

    public init(loss: Loss, outputLosses: [Loss?]? = nil, lossWeights: [Double]? = nil) {
        self.loss = loss
        self.outputLosses = outputLosses
        self.lossWeights = lossWeights
    }
}
