import Foundation
import SwiftGRU

/// The golden cases written by `Scripts/fixtures/make-fixtures.py` from real Keras.
struct KerasFixtures: Decodable {
    let keras_version: String
    let cases: [Case]

    struct Case: Decodable {
        let name: String
        let kind: String
        let config: JSON
        let weights: [Values]
        let calls: [Call]
    }

    struct Call: Decodable {
        let inputs: Values
        let mask: Mask?
        let initial_state: [Values]?
        let reset_before: Bool
        let outputs: [Values]
    }

    struct Values: Decodable {
        let shape: [Int]
        let data: [Double]
        func tensor() throws -> Tensor<Float> { try Tensor(shape: shape, scalars: data.map { Float($0) }) }
    }

    struct Mask: Decodable {
        let shape: [Int]
        let data: [Bool]
        func tensor() throws -> Tensor<Bool> { try Tensor(shape: shape, scalars: data) }
    }

    /// The fixtures, or the reason they could not be read (reported by a test).
    static let loaded: Result<KerasFixtures, any Error> = Result {
        guard let url = Bundle.module.url(forResource: "keras-layers", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(KerasFixtures.self, from: Data(contentsOf: url))
    }

    static var shared: KerasFixtures {
        (try? loaded.get()) ?? KerasFixtures(keras_version: "missing", cases: [])
    }

    static var caseNames: [String] { shared.cases.map(\.name) }

    static func named(_ name: String) -> Case? { shared.cases.first { $0.name == name } }
}

/// A JSON value, for the layer configurations in the fixtures.
enum JSON: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSON].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var bool: Bool? { if case .bool(let v) = self { return v }; return nil }
    var int: Int? { if case .number(let v) = self { return Int(v) }; return nil }
    var double: Double? { if case .number(let v) = self { return v }; return nil }
    var string: String? { if case .string(let v) = self { return v }; return nil }
    var array: [JSON]? { if case .array(let v) = self { return v }; return nil }
    var isNull: Bool { if case .null = self { return true }; return false }
}

/// Builds Swift layers from the Keras arguments stored in a fixture.
enum FixtureBuilder {
    static func activation(_ config: JSON, _ key: String, default value: Activation) throws -> Activation? {
        guard let entry = config[key] else { return value }
        return entry.isNull ? nil : try Activation(named: entry.string)
    }

    static func gru(_ c: JSON, returnSequences: Bool? = nil) throws -> GRU<Float> {
        let layer = try GRU<Float>(
            units: c["units"]?.int ?? 1,
            activation: activation(c, "activation", default: .tanh),
            recurrentActivation: activation(c, "recurrent_activation", default: .sigmoid),
            useBias: c["use_bias"]?.bool ?? true,
            returnSequences: returnSequences ?? c["return_sequences"]?.bool ?? false,
            returnState: c["return_state"]?.bool ?? false,
            goBackwards: c["go_backwards"]?.bool ?? false,
            stateful: c["stateful"]?.bool ?? false,
            unroll: c["unroll"]?.bool ?? false,
            timeMajor: c["time_major"]?.bool ?? false,
            resetAfter: c["reset_after"]?.bool ?? true)
        layer.zeroOutputForMask = c["zero_output_for_mask"]?.bool ?? false
        return layer
    }

    static func gruCell(_ c: JSON) throws -> GRUCell<Float> {
        try GRUCell<Float>(
            units: c["units"]?.int ?? 1,
            activation: activation(c, "activation", default: .tanh),
            recurrentActivation: activation(c, "recurrent_activation", default: .sigmoid),
            useBias: c["use_bias"]?.bool ?? true,
            resetAfter: c["reset_after"]?.bool ?? true)
    }

    static func mergeMode(_ c: JSON) -> Bidirectional<Float>.MergeMode? {
        c["merge_mode"]?.string.flatMap(Bidirectional<Float>.MergeMode.init(rawValue:))
    }

    static func sequentialLayer(_ spec: JSON) throws -> any Layer<Float> {
        switch spec["type"]?.string {
        case "embedding":
            return try Embedding<Float>(
                inputDim: spec["input_dim"]?.int ?? 0, outputDim: spec["output_dim"]?.int ?? 0,
                maskZero: spec["mask_zero"]?.bool ?? false)
        case "masking":
            return Masking<Float>(maskValue: Float(spec["mask_value"]?.double ?? 0))
        case "gru":
            return try gru(spec)
        case "dense":
            return try dense(spec)
        case "time_distributed_dense":
            return TimeDistributed<Float>(try dense(spec))
        case "bidirectional_gru":
            return try Bidirectional<Float>(gru(spec))
        default:
            throw LayerError(.unknownName, "fixture layer type \(String(describing: spec["type"]))")
        }
    }

    static func dense(_ spec: JSON) throws -> Dense<Float> {
        try Dense<Float>(units: spec["units"]?.int ?? 1, activation: activation(spec, "activation", default: .linear))
    }
}
