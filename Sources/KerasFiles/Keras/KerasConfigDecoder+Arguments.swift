import SwiftGRU

/// Reading the argument forms Keras writes in several ways: a size as `3` or `[3]`, a pair as
/// `1` or `[1, 2]`, padding and data format names.
extension KerasConfigDecoder {
    /// `count` integers from a number (repeated) or a list of `count`; `fallback` when absent.
    func integers(_ value: JSONValue?, count: Int, fallback: [Int], _ argument: String, layer: String) throws -> [Int] {
        guard let value, !value.isNull else { return fallback }
        if let single = value.int { return Array(repeating: single, count: count) }
        guard let list = value.array?.compactMap(\.int), list.count == value.array?.count else {
            throw fail("layer '\(layer)': \(argument) must be an integer or a list of \(count), got \(value)")
        }
        if list.count == 1, count > 1 { return Array(repeating: list[0], count: count) }
        guard list.count == count else {
            throw fail("layer '\(layer)': \(argument) must have \(count) value(s), got \(list)")
        }
        return list
    }

    /// A `(before, after)` pair from a number or a list of two.
    func pair(_ value: JSONValue?, fallback: (Int, Int), _ argument: String, layer: String) throws -> (Int, Int) {
        let values = try integers(value, count: 2, fallback: [fallback.0, fallback.1], argument, layer: layer)
        return (values[0], values[1])
    }

    func padding(_ value: JSONValue?, layer: String) throws -> Padding {
        guard let text = value?.string else { return .valid }
        guard let padding = Padding(rawValue: text.lowercased()) else {
            throw fail("layer '\(layer)': unknown padding '\(text)'; known: valid, same, causal")
        }
        return padding
    }

    func dataFormat(_ value: JSONValue?, layer: String) throws -> DataFormat {
        guard let text = value?.string else { return .channelsLast }
        guard let format = DataFormat(rawValue: text) else {
            throw fail("layer '\(layer)': unknown data_format '\(text)'; known: channels_last, channels_first")
        }
        return format
    }

    /// A weight's `<weight>_regularizer` and `<weight>_constraint`.
    func weightRules(_ c: KerasConfig, _ weight: String, layer: String) throws -> (regularizer: Regularizer?, constraint: Constraint?) {
        (try regularizer(c["\(weight)_regularizer"], layer: layer), try constraint(c["\(weight)_constraint"], layer: layer))
    }

    /// A list of axes from a number or a list.
    func axes(_ value: JSONValue?, fallback: [Int]) -> [Int] {
        if let single = value?.int { return [single] }
        return value?.array?.compactMap(\.int) ?? fallback
    }
}

extension KerasConfigEncoder {
    static func integers(_ values: [Int]) -> JSONValue { .array(values.map { .integer($0) }) }

    /// A weight's `<weight>_regularizer` and `<weight>_constraint` entries.
    static func weightRules(_ weight: String, _ regularizer: Regularizer?, _ constraint: Constraint?) -> [String: JSONValue] {
        ["\(weight)_regularizer": self.regularizer(regularizer), "\(weight)_constraint": self.constraint(constraint)]
    }
}
