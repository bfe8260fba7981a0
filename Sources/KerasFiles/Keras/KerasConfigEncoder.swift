import SwiftGRU

/// Writes Swift models as Keras 3 configurations (`config.json`).
enum KerasConfigEncoder {
    static let dtype: JSONValue = ["module": "keras", "class_name": "DTypePolicy", "config": ["name": "float32"], "registered_name": nil]

    static func object(_ module: String, _ className: String, _ config: JSONValue) -> JSONValue {
        ["module": .string(module), "class_name": .string(className), "config": config, "registered_name": nil]
    }

    static func shape(_ shape: [Int?]) -> JSONValue {
        .array(shape.map { $0.map { .integer($0) } ?? .null })
    }

    static func seed(_ seed: UInt64?) -> JSONValue { seed.map { .integer(Int(truncatingIfNeeded: $0)) } ?? .null }

    static func activation(_ activation: Activation, layer: String) throws -> JSONValue {
        guard activation != .legacyHardSigmoid else {
            throw FileFormatError("layer '\(layer)' uses Keras 2's hard_sigmoid (0.2x + 0.5), which Keras 3 does not have; it cannot be saved as .keras")
        }
        return .string(activation.name)
    }

    static func initializer(_ initializer: Initializer) -> JSONValue {
        func make(_ name: String, _ config: [String: JSONValue]) -> JSONValue { object("keras.initializers", name, .object(config)) }
        switch initializer {
        case .zeros: return make("Zeros", [:])
        case .ones: return make("Ones", [:])
        case .constant(let v): return make("Constant", ["value": .number(v)])
        case .randomNormal(let mean, let stddev, let s): return make("RandomNormal", ["mean": .number(mean), "stddev": .number(stddev), "seed": seed(s)])
        case .randomUniform(let low, let high, let s): return make("RandomUniform", ["minval": .number(low), "maxval": .number(high), "seed": seed(s)])
        case .truncatedNormal(let mean, let stddev, let s): return make("TruncatedNormal", ["mean": .number(mean), "stddev": .number(stddev), "seed": seed(s)])
        case .varianceScaling(let scale, let mode, let distribution, let s):
            return make("VarianceScaling", ["scale": .number(scale), "mode": .string(mode.rawValue), "distribution": .string(distribution.rawValue), "seed": seed(s)])
        case .glorotUniform(let s): return make("GlorotUniform", ["seed": seed(s)])
        case .glorotNormal(let s): return make("GlorotNormal", ["seed": seed(s)])
        case .heUniform(let s): return make("HeUniform", ["seed": seed(s)])
        case .heNormal(let s): return make("HeNormal", ["seed": seed(s)])
        case .lecunUniform(let s): return make("LecunUniform", ["seed": seed(s)])
        case .lecunNormal(let s): return make("LecunNormal", ["seed": seed(s)])
        case .orthogonal(let gain, let s): return make("Orthogonal", ["gain": .number(gain), "seed": seed(s)])
        case .identity(let gain): return make("Identity", ["gain": .number(gain)])
        }
    }

    static func regularizer(_ regularizer: Regularizer?) -> JSONValue {
        switch regularizer {
        case nil: return .null
        case .l1(let v)?: return object("keras.regularizers", "L1", ["l1": .number(v)])
        case .l2(let v)?: return object("keras.regularizers", "L2", ["l2": .number(v)])
        case .l1l2(let a, let b)?: return object("keras.regularizers", "L1L2", ["l1": .number(a), "l2": .number(b)])
        }
    }

    static func constraint(_ constraint: Constraint?) -> JSONValue {
        switch constraint {
        case nil: return .null
        case .maxNorm(let maxValue, let axis)?:
            return object("keras.constraints", "MaxNorm", ["max_value": .number(maxValue), "axis": axes(axis)])
        case .nonNeg?: return object("keras.constraints", "NonNeg", [:])
        case .unitNorm(let axis)?: return object("keras.constraints", "UnitNorm", ["axis": axes(axis)])
        case .minMaxNorm(let low, let high, let rate, let axis)?:
            return object("keras.constraints", "MinMaxNorm", ["min_value": .number(low), "max_value": .number(high), "rate": .number(rate), "axis": axes(axis)])
        }
    }

    /// A constraint's axes as Keras writes them: one axis as a number, several as a list.
    static func axes(_ axes: [Int]) -> JSONValue { axes.count == 1 ? .integer(axes[0]) : integers(axes) }

    static func base(_ name: String) -> [String: JSONValue] {
        ["name": .string(name), "trainable": true, "dtype": dtype]
    }

    /// The dtype policy object of a policy name.
    static func dtype(named name: String) -> JSONValue {
        ["module": "keras", "class_name": "DTypePolicy", "config": ["name": .string(name)], "registered_name": nil]
    }

    /// `value` with every dtype policy object in it (a wrapper's inner layers', a cell's) set to `policy`.
    static func setting(policy: JSONValue, in value: JSONValue) -> JSONValue {
        if let array = value.array { return .array(array.map { setting(policy: policy, in: $0) }) }
        guard var object = value.object else { return value }
        for (key, entry) in object {
            object[key] = key == "dtype" && entry["class_name"]?.string == "DTypePolicy" ? policy : setting(policy: policy, in: entry)
        }
        return .object(object)
    }

    /// The `{"module", "class_name", "config", ...}` object of a layer; `policy` names its dtype
    /// policy when it is not float32.
    static func layer(_ layer: any Layer<Float>, inputShape: [Int?]?, policy: String? = nil) throws -> JSONValue {
        var c = base(layer.name)
        guard let declaration = LayerDeclarations.declaration(for: layer), let className = declaration.classNames.first,
              let entries = try declaration.encode(layer) else {
            throw FileFormatError("layer '\(layer.name)' of type \(layer.typeName) cannot be saved as a Keras layer")
        }
        c.merge(entries) { $1 }
        c["trainable"] = declaration.writesTrainable ? .bool(layer.trainable) : nil
        if !declaration.writesDType { c["dtype"] = nil }
        if let policy { c = setting(policy: dtype(named: policy), in: .object(c)).object ?? c }
        var result: [String: JSONValue] = ["module": .string(declaration.module), "class_name": .string(className), "config": .object(c), "registered_name": nil]
        if let inputShape { result["build_config"] = ["input_shape": shape(inputShape)] }
        return .object(result)
    }

    static func inputLayer(name: String, shape batchShape: [Int?], dtype: DType) -> JSONValue {
        object("keras.layers", "InputLayer", [
            "batch_shape": shape(batchShape), "dtype": .string(dtype.rawValue), "sparse": false, "ragged": false,
            "name": .string(name), "optional": false,
        ])
    }

    /// The whole model configuration, with the Keras class name of each layer for the weights file.
    static func model(_ model: any Model<Float>, compileConfig: JSONValue?) throws -> (JSONValue, [(layer: any Layer<Float>, className: String)]) {
        var layerClasses = [(layer: any Layer<Float>, className: String)]()
        func entry(_ layer: any Layer<Float>, inputShape: [Int?]?) throws -> JSONValue {
            let object = try self.layer(layer, inputShape: inputShape, policy: model.dtypePolicies[layer.name])
            layerClasses.append((layer, object["class_name"]?.string ?? ""))
            return object
        }
        let shapes = model.layerInputShapes()
        if let sequential = model as? Sequential<Float> {
            var layers = [JSONValue]()
            if let inputShape = sequential.inputShapes.first {
                layers.append(inputLayer(name: sequential.inputName, shape: inputShape, dtype: sequential.inputDType))
            }
            for (layer, shape) in zip(sequential.layers, shapes) { layers.append(try entry(layer, inputShape: shape)) }
            var config = base(sequential.name)
            config["layers"] = .array(layers)
            config["build_input_shape"] = sequential.inputShapes.first.map(shape) ?? .null
            let top: JSONValue = [
                "module": "keras", "class_name": "Sequential", "config": .object(config), "registered_name": nil,
                "build_config": ["input_shape": sequential.inputShapes.first.map(shape) ?? .null],
                "compile_config": compileConfig ?? .null,
            ]
            return (top, layerClasses)
        }
        // Any other model is written as Keras' functional model of its graph.
        let graph: ModelGraph<Float>
        do { graph = try model.graph } catch let error as LayerError {
            throw FileFormatError("model '\(model.name)' cannot be saved: \(error.message)", underlying: error)
        }
        return (try self.functional(graph, name: model.name, layers: model.layers, compileConfig: compileConfig, entry: entry), layerClasses)
    }

    private static func functional(
        _ model: ModelGraph<Float>, name: String, layers modelLayers: [any Layer<Float>], compileConfig: JSONValue?,
        entry: (any Layer<Float>, [Int?]?) throws -> JSONValue
    ) throws -> JSONValue {
        let names = model.inputs.map(\.name) + modelLayers.map(\.name)
        guard Set(names).count == names.count else {
            throw FileFormatError("model '\(name)': layer and input names must be unique to save it")
        }
        // Each node's layer name and its call number on that layer.
        var callNumber = [Int]()
        var calls = [ObjectIdentifier: Int]()
        for node in model.nodes {
            let id = ObjectIdentifier(node.layer)
            callNumber.append(calls[id, default: 0])
            calls[id, default: 0] += 1
        }
        func history(_ source: Functional<Float>.Source) -> JSONValue {
            switch source {
            case .input(let i): return [.string(model.inputs[i].name), 0, 0]
            case .output(let node, let index):
                return [.string(model.nodes[node].layer.name), .integer(callNumber[node]), .integer(index)]
            }
        }
        func tensor(_ source: Functional<Float>.Source) -> JSONValue {
            let sourceShape: [Int?], dtype: DType
            switch source {
            case .input(let i): (sourceShape, dtype) = (model.inputs[i].shape, model.inputs[i].dtype)
            case .output(let node, let index): (sourceShape, dtype) = (model.nodeShapes[node][index], .float32)
            }
            return ["class_name": "__keras_tensor__", "config": ["shape": shape(sourceShape), "dtype": .string(dtype.rawValue), "keras_history": history(source)]]
        }
        var layers = model.inputs.map { input -> JSONValue in
            var object = inputLayer(name: input.name, shape: input.shape, dtype: input.dtype).object ?? [:]
            object["name"] = .string(input.name)
            object["inbound_nodes"] = []
            return .object(object)
        }
        for layer in modelLayers {
            let nodeIndices = model.nodes.indices.filter { model.nodes[$0].layer === layer }
            // An operation on tensors (`h[:, -1]`, `ops.mean`) is written as Keras writes it: a
            // node of keras.src.ops with its call's arguments, and no weights.
            if LayerDeclarations.declaration(for: layer) == nil, let operation = OperationDeclarations.declaration(for: layer) {
                guard nodeIndices.count == 1, let node = nodeIndices.first.map({ model.nodes[$0] }),
                      let (config, arguments) = try operation.encode(layer, node.inputs.map(tensor)) else {
                    throw FileFormatError("operation '\(layer.name)' must be called once to be saved")
                }
                layers.append([
                    "module": .string(operation.module), "class_name": .string(operation.className),
                    "config": .object(config.merging(["name": .string(layer.name)]) { $1 }), "registered_name": .string(operation.className),
                    "name": .string(layer.name), "inbound_nodes": [["args": .array(arguments), "kwargs": [:]]],
                ])
                continue
            }
            let firstInput = nodeIndices.first.flatMap { index -> [Int?]? in
                guard model.nodes[index].otherInputs.isEmpty else { return nil }
                switch model.nodes[index].input {
                case .input(let i): return model.inputs[i].shape
                case .output(let node, let k): return model.nodeShapes[node][k]
                }
            }
            var object = try entry(layer, firstInput).object ?? [:]
            object["name"] = .string(layer.name)
            object["inbound_nodes"] = .array(nodeIndices.map { index in
                let node = model.nodes[index]
                let declaration = LayerDeclarations.declaration(for: layer)
                var kwargs = declaration?.callArguments(layer) ?? [:]
                if !node.initialState.isEmpty { kwargs["initial_state"] = .array(node.initialState.map(tensor)) }
                // A merge layer is called on a list of tensors, an attention layer on each separately.
                if declaration?.passesInputsSeparately == true { return ["args": .array(node.inputs.map(tensor)), "kwargs": .object(kwargs)] }
                let arguments: JSONValue = node.otherInputs.isEmpty ? tensor(node.input) : .array(node.inputs.map(tensor))
                return ["args": [arguments], "kwargs": .object(kwargs)]
            })
            layers.append(.object(object))
        }
        var config: [String: JSONValue] = ["name": .string(name), "trainable": true, "layers": .array(layers)]
        // Keras writes a single input or output as its reference alone.
        let inputs = model.inputs.map { [.string($0.name), 0, 0] as JSONValue }, outputs = model.outputs.map(history)
        config["input_layers"] = inputs.count == 1 ? inputs[0] : .array(inputs)
        config["output_layers"] = outputs.count == 1 ? outputs[0] : .array(outputs)
        return [
            "module": "keras.src.models.functional", "class_name": "Functional", "config": .object(config),
            "registered_name": "Functional", "build_config": ["input_shape": nil], "compile_config": compileConfig ?? .null,
        ]
    }
}

extension Model {
    /// The input shape each layer of a ``Sequential`` model sees (`nil` when unknown).
    func layerInputShapes() -> [[Int?]?] {
        guard var shape = inputShapes.first, self is Sequential<Scalar> else { return layers.map { _ in nil } }
        return layers.map { layer in
            defer { shape = (try? layer.outputShape(forInputShape: shape)) ?? shape }
            return shape
        }
    }
}
