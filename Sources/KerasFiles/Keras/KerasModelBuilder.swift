import SwiftGRU

/// Builds a Swift model from a Keras model configuration (`config.json` or a
/// legacy `model_config`).
struct KerasModelBuilder {
    let decoder: KerasConfigDecoder

    /// A built model and the Keras class name of each of its layers, in the
    /// configuration's order (used to name weight groups).
    struct Built {
        let model: any Model<Float>
        let layerClasses: [(layer: any Layer<Float>, className: String)]
    }

    func model(_ object: JSONValue) throws -> Built {
        guard let className = object["class_name"]?.string, let config = object["config"] else {
            throw FileFormatError("the model configuration lacks class_name or config")
        }
        switch className {
        case "Sequential": return try sequential(config)
        case "Functional", "Model": return try functional(config)
        default: throw FileFormatError("unsupported model class '\(className)'; supported: Sequential, Functional")
        }
    }

    /// The dtype policy of a layer entry other than float32 (`mixed_float16`), by layer name.
    private static func policy(of entry: JSONValue) -> [String: String] {
        let config = entry["config"]
        guard let name = config?["name"]?.string,
              let policy = config?["dtype"]?.string ?? config?["dtype"]?["config"]?["name"]?.string,
              policy != "float32", policy.contains("float") else { return [:] }
        return [name: policy]
    }

    private static func shape(_ value: JSONValue?) -> [Int?]? {
        value?.array?.map { $0.int }
    }

    private func sequential(_ config: JSONValue) throws -> Built {
        var inputShape: [Int?]?
        var inputDType = DType.float32, inputName = "input_layer"
        var layers = [(layer: any Layer<Float>, className: String)]()
        var policies = [String: String]()
        // Keras 2.0 to 2.1 wrote a Sequential model's configuration as the list of its layers.
        guard let entries = config["layers"]?.array ?? config.array else {
            throw FileFormatError("the Sequential model configuration has no layers")
        }
        for entry in entries {
            let layerConfig = entry["config"]
            // Keras 3 writes batch_shape, Keras 2 batch_input_shape; input_shape leaves the batch out.
            let declared = Self.shape(layerConfig?["batch_shape"]) ?? Self.shape(layerConfig?["batch_input_shape"])
                ?? Self.shape(layerConfig?["input_shape"]).map { [nil] + $0 }
            if layers.isEmpty, inputShape == nil, let declared { inputShape = declared }
            if entry["class_name"]?.string == "InputLayer" {
                inputName = layerConfig?["name"]?.string ?? inputName
                inputDType = try Self.inputDType(layerConfig, input: inputName)
                continue
            }
            layers.append((try decoder.layer(entry), entry["class_name"]?.string ?? ""))
            policies.merge(Self.policy(of: entry)) { $1 }
        }
        if inputShape == nil { inputShape = Self.shape(config["build_input_shape"]) }
        let name = config["name"]?.string ?? "sequential"
        do {
            let model = try Sequential<Float>(
                inputShape: inputShape.map { Array($0.dropFirst()) }, batchSize: inputShape?.first ?? nil,
                layers: layers.map(\.layer), name: name)
            model.inputDType = inputDType
            model.inputName = inputName
            model.dtypePolicies = policies
            return Built(model: model, layerClasses: layers)
        } catch let error as LayerError {
            throw FileFormatError("model '\(name)': \(error.message)", underlying: error)
        }
    }

    /// The dtype an InputLayer declares: a number type, whose values are read as floats here.
    private static func inputDType(_ config: JSONValue?, input: String) throws -> DType {
        let text = config?["dtype"]?.string ?? config?["dtype"]?["config"]?["name"]?.string ?? "float32"
        guard let dtype = DType(rawValue: text) else {
            throw FileFormatError("input '\(input)' has dtype '\(text)'; inputs of numbers are supported (\(DType.names))")
        }
        return dtype
    }

    /// `["name", node, tensor]` or a list of those.
    private static func references(_ value: JSONValue?) -> [(String, Int, Int)] {
        guard let array = value?.array else { return [] }
        if array.first?.string != nil { return reference(value).map { [$0] } ?? [] }
        return array.compactMap(reference)
    }

    private static func reference(_ value: JSONValue?) -> (String, Int, Int)? {
        guard let a = value?.array, a.count >= 3, let name = a[0].string, let node = a[1].int, let tensor = a[2].int else { return nil }
        return (name, node, tensor)
    }

    /// The tensors a Keras 3 argument refers to, in order.
    private static func kerasTensors(_ value: JSONValue?) -> [(String, Int, Int)] {
        guard let value else { return [] }
        if value["class_name"]?.string == "__keras_tensor__" { return reference(value["config"]?["keras_history"]).map { [$0] } ?? [] }
        return value.array?.flatMap { kerasTensors($0) } ?? []
    }

    private func functional(_ config: JSONValue) throws -> Built {
        let name = config["name"]?.string ?? "functional"
        var inputs = [Functional<Float>.Input]()
        var inputIndex = [String: Int]()
        var policies = [String: String]()
        var pending = [(layer: any Layer<Float>, layerName: String, callIndex: Int, inputs: [(String, Int, Int)], states: [(String, Int, Int)])]()
        var layerClasses = [(layer: any Layer<Float>, className: String)]()
        // Keras 3 writes operations on tensors as nodes of keras.src.ops: the declared ones
        // (`h[:, -1]`, `ops.mean`, ...) run as the model's layers. The others are the mask
        // computations between layers (NotEqual, Any, LogicalOr, ...), whose results feed the
        // `mask` argument of the next layer, which the model here computes itself, the same way
        // (each layer's compute_mask): they are skipped. One whose result is data is refused by name.
        let entries = config["layers"]?.array ?? []
        var operations = [String: String]()
        for entry in entries where entry["module"]?.string?.hasPrefix("keras.src.ops") == true {
            operations[entry["name"]?.string ?? entry["config"]?["name"]?.string ?? ""] = entry["class_name"]?.string ?? "?"
        }
        // The mask computations: the operations not declared (a model reading one as data is
        // refused below), and the declared ones whose results reach no output through the data
        // of a call (Keras' NotEqual, ExpandDims or Concatenate of masks, read by `mask=` alone).
        var dataReads = [String: [String]]()
        for entry in entries {
            let entryName = entry["name"]?.string ?? entry["config"]?["name"]?.string ?? ""
            for node in entry["inbound_nodes"]?.array ?? [] {
                let kwargs = node["kwargs"]
                let tensors = node["args"] != nil
                    ? Self.kerasTensors(node["args"]) + ["query", "value", "key", "initial_state"].flatMap { Self.kerasTensors(kwargs?[$0]) }
                    : (node.array ?? []).compactMap(Self.reference)
                dataReads[entryName, default: []] += tensors.map(\.0)
            }
        }
        var reachesOutput = Set<String>(), unvisited = Self.references(config["output_layers"]).map(\.0)
        while let next = unvisited.popLast() {
            guard reachesOutput.insert(next).inserted else { continue }
            unvisited += dataReads[next] ?? []
        }
        let masking = Set(operations.keys.filter { OperationDeclarations.byClassName[operations[$0] ?? ""] == nil || !reachesOutput.contains($0) })
        // The mask a call is given is taken to be the one its inputs carry (Keras writes the
        // computations of propagated masks this way), which the model computes itself. That
        // holds only where a mask starts upstream: an Embedding with mask_zero, a Masking
        // layer, or a nested model. A mask computed from data that carries none would be
        // dropped, so it is refused.
        var entryByName = [String: JSONValue]()
        for entry in entries { entryByName[entry["name"]?.string ?? entry["config"]?["name"]?.string ?? ""] = entry }
        func startsMask(_ entry: JSONValue) -> Bool {
            switch entry["class_name"]?.string {
            case "Embedding": entry["config"]?["mask_zero"]?.bool == true
            case "Masking", "Functional", "Sequential", "Model": true
            default: false
            }
        }
        func carriesMask(_ sources: [String]) -> Bool {
            var seen = Set<String>(), unvisited = sources
            while let next = unvisited.popLast() {
                guard seen.insert(next).inserted else { continue }
                if let entry = entryByName[next], startsMask(entry) { return true }
                unvisited += dataReads[next] ?? []
            }
            return false
        }
        for entry in entries {
            let layerName = entry["name"]?.string ?? entry["config"]?["name"]?.string ?? ""
            if let className = operations[layerName] {
                guard !masking.contains(layerName), let operation = OperationDeclarations.byClassName[className] else { continue }
                let nodes = entry["inbound_nodes"]?.array ?? []
                guard nodes.count == 1, let node = nodes.first, let arguments = node["args"]?.array else {
                    throw FileFormatError("model '\(name)': operation '\(layerName)' (\(className)) must have one call with its arguments")
                }
                if let kwargs = node["kwargs"]?.object, let key = kwargs.keys.sorted().first {
                    throw FileFormatError("model '\(name)': operation '\(layerName)' (\(className)) is called with '\(key)', which is not supported")
                }
                let read = KerasConfig(entry["config"] ?? .null)
                let layer = try operation.decode(read, arguments, layerName, decoder)
                for (key, value) in read.unread where key != "name" {
                    throw FileFormatError("model '\(name)': operation '\(layerName)' (\(className)): the configuration key '\(key)' (\(value)) is not supported")
                }
                pending.append((layer, layerName, 0, Self.kerasTensors(node["args"]), []))
                continue
            }
            if entry["class_name"]?.string == "InputLayer" {
                let c = entry["config"]
                guard let shape = Self.shape(c?["batch_shape"]) ?? Self.shape(c?["batch_input_shape"]) else {
                    throw FileFormatError("model '\(name)': input '\(layerName)' has no shape")
                }
                inputIndex[layerName] = inputs.count
                inputs.append(.init(name: layerName, shape: shape, dtype: try Self.inputDType(c, input: layerName)))
                continue
            }
            let layer = try decoder.layer(entry)
            let className = entry["class_name"]?.string ?? ""
            layerClasses.append((layer, className))
            policies.merge(Self.policy(of: entry)) { $1 }
            let declaration = LayerDeclarations.byClassName[className]
            let recurrent = layer is RNN<Float> || layer is Bidirectional<Float>
            for (call, node) in (entry["inbound_nodes"]?.array ?? []).enumerated() {
                var inputs: [(String, Int, Int)], states: [(String, Int, Int)] = []
                if node["args"] != nil {
                    let kwargs = node["kwargs"]
                    // Tensors passed by keyword (`MultiHeadAttention(query=..., value=...)`) follow
                    // the positional ones, in the call's order.
                    inputs = Self.kerasTensors(node["args"]) + ["query", "value", "key"].flatMap { Self.kerasTensors(kwargs?[$0]) }
                    states = Self.kerasTensors(kwargs?["initial_state"])
                    let masks = ["mask", "query_mask", "value_mask", "key_mask"].flatMap { Self.kerasTensors(kwargs?[$0]) }
                    if let computed = masks.first(where: { operations[$0.0] == nil }) {
                        throw FileFormatError("model '\(name)': layer '\(layerName)' is given the mask '\(computed.0)', which is not a mask computation; explicit masks are not supported")
                    }
                    if let given = masks.first, !carriesMask(inputs.map(\.0)) {
                        throw FileFormatError("model '\(name)': layer '\(layerName)' is given a mask computed in the model ('\(given.0)') while its inputs carry none; explicit masks are not supported (mask the inputs with an Embedding's mask_zero or a Masking layer instead)")
                    }
                    try declaration?.readCallArguments(layer, kwargs)
                } else {
                    // tf.keras 2: one entry per tensor, each `[name, node, tensor, kwargs]`; a
                    // recurrent layer's after the first are its initial states, an attention
                    // layer's `value` and `key` come in the first one's kwargs.
                    let entries = node.array ?? []
                    inputs = entries.compactMap(Self.reference)
                    if recurrent { states = Array(inputs.dropFirst()); inputs = Array(inputs.prefix(1)) }
                    for entry in entries {
                        let kwargs = entry.array.flatMap { $0.count > 3 ? $0[3] : nil }
                        inputs += ["value", "key"].compactMap { Self.reference(kwargs?[$0]) }
                        try declaration?.readCallArguments(layer, kwargs)
                    }
                }
                guard !inputs.isEmpty else {
                    throw FileFormatError("model '\(name)': layer '\(layerName)' has a call without inputs")
                }
                if inputs.count > 1, recurrent {
                    throw FileFormatError("model '\(name)': layer '\(layerName)' takes \(inputs.count) inputs; a recurrent layer takes one")
                }
                pending.append((layer, layerName, call, inputs, states))
            }
        }
        // Order the calls so that each comes after the calls it reads from.
        var nodes = [Functional<Float>.Node]()
        var nodeIndex = [String: Int]()
        func source(_ reference: (String, Int, Int)) -> Functional<Float>.Source? {
            if let i = inputIndex[reference.0] { return .input(i) }
            return nodeIndex["\(reference.0)#\(reference.1)"].map { .output(node: $0, index: reference.2) }
        }
        while !pending.isEmpty {
            guard let ready = pending.firstIndex(where: { call in (call.inputs + call.states).allSatisfy { source($0) != nil } }) else {
                let call = pending[0]
                if let operation = (call.inputs + call.states).first(where: { operations[$0.0] != nil }) {
                    throw FileFormatError("model '\(name)': layer '\(call.layerName)' reads the result of the operation '\(operation.0)' (\(operations[operation.0] ?? "?")), which is not supported")
                }
                throw FileFormatError("model '\(name)': layer '\(call.layerName)' reads a tensor that no layer produces")
            }
            let call = pending.remove(at: ready)
            let sources = call.inputs.compactMap(source)
            guard let input = sources.first else { continue }
            nodes.append(.init(call.layer, input: input, otherInputs: Array(sources.dropFirst()), initialState: call.states.compactMap(source)))
            nodeIndex["\(call.layerName)#\(call.callIndex)"] = nodes.count - 1
        }
        let outputReferences = Self.references(config["output_layers"])
        let outputs = try outputReferences.map { reference -> Functional<Float>.Source in
            guard let s = source(reference) else { throw FileFormatError("model '\(name)': output '\(reference.0)' is not produced by any layer") }
            return s
        }
        let inputOrder = Self.references(config["input_layers"]).compactMap { inputIndex[$0.0] }
        let orderedInputs = inputOrder.count == inputs.count ? inputOrder.map { inputs[$0] } : inputs
        let remap = Dictionary(uniqueKeysWithValues: orderedInputs.enumerated().map { ($1.name, $0) })
        func reorder(_ s: Functional<Float>.Source) -> Functional<Float>.Source {
            if case .input(let i) = s { return .input(remap[inputs[i].name] ?? i) }
            return s
        }
        let finalNodes = nodes.map {
            Functional<Float>.Node(
                $0.layer, input: reorder($0.input), otherInputs: $0.otherInputs.map(reorder), initialState: $0.initialState.map(reorder))
        }
        do {
            let model = try Functional<Float>(
                name: name, inputs: orderedInputs, nodes: finalNodes, outputs: outputs.map(reorder),
                outputNames: outputReferences.map(\.0))
            model.dtypePolicies = policies
            return Built(model: model, layerClasses: layerClasses)
        } catch let error as LayerError {
            throw FileFormatError("model '\(name)': \(error.message)", underlying: error)
        }
    }
}
