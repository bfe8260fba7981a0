import SwiftGRU

/// Everything the files and the ONNX exporter know of one Keras 3 operation that functional
/// models serialize as a node of their graph (`h[:, -1]` as `GetItem`, `ops.mean(h, axis=1)` as
/// `Mean`): its class and module, how the node's configuration and arguments (tensors,
/// constants, slices) make the operation, how it is written back, and its ONNX form.
/// ``OperationDeclarations/all`` lists them; any other operation read as data is refused by name.
struct OperationDeclaration: Sendable {
    /// The Keras class name and the module Keras writes (`keras.src.ops.numpy`).
    let className: String, module: String
    /// The operation of a node: its configuration, and its call's positional arguments with
    /// tensors in their places.
    let decode: @Sendable (_ config: KerasConfig, _ arguments: [JSONValue], _ name: String, _ decoder: KerasConfigDecoder) throws -> any Layer<Float>
    let matches: @Sendable (_ layer: any Layer<Float>) -> Bool
    /// The configuration beyond the name, and the call's arguments given its tensors in order.
    let encode: @Sendable (_ layer: any Layer<Float>, _ tensors: [JSONValue]) throws -> (config: [String: JSONValue], arguments: [JSONValue])?
    let onnx: ONNXEmitter?
}

/// The declared operations.
enum OperationDeclarations {
    static let all: [OperationDeclaration] = reductions + functions + arithmetic + shapes + joining + [getItem]

    static let byClassName: [String: OperationDeclaration] = Dictionary(all.map { ($0.className, $0) }) { first, _ in first }

    static func declaration(for layer: any Layer<Float>) -> OperationDeclaration? { all.first { $0.matches(layer) } }

    static var names: String { all.map(\.className).joined(separator: ", ") }
}

extension KerasConfig {
    /// Axes given as a number or a list.
    func axes(_ key: String, operation: String) throws -> [Int] {
        guard let value = self[key], !value.isNull else {
            throw FileFormatError("operation '\(operation)': reducing every axis, the batch's included, is not supported")
        }
        if let axis = value.int { return [axis] }
        guard let list = value.array, let axes = Optional(list.compactMap(\.int)), axes.count == list.count, !axes.isEmpty else {
            throw FileFormatError("operation '\(operation)': axis \(value) is not a number or a list of numbers")
        }
        return axes
    }
}
