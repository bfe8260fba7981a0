import SwiftGRU

/// Everything the Keras files know of one optimizer class: its class name, its default
/// learning rate, and its own configuration keys read into its ``OptimizerRule`` and written
/// back. The keys every Keras optimizer shares (learning rate, clipping, weight decay, EMA)
/// are ``KerasCompileConfig``'s. Each class's declaration lives in its own file here;
/// ``OptimizerDeclarations/all`` lists them.
struct OptimizerDeclaration: Sendable {
    /// The Keras class name (`Adam`); read in any case, as Keras' `optimizers.get` does.
    let className: String
    /// Keras' default learning rate for the class.
    let defaultLearningRate: Double
    /// Keras' default weight decay for the class (`AdamW`'s 0.004); `nil` for none.
    let defaultWeightDecay: Double?
    /// The rule of a configuration.
    let decode: @Sendable (_ config: KerasConfig) throws -> any OptimizerRule
    /// Whether `rule` is this declaration's kind of rule.
    let matches: @Sendable (_ rule: any OptimizerRule) -> Bool
    /// The rule's own configuration entries.
    let encode: @Sendable (_ rule: any OptimizerRule) -> [String: JSONValue]

    /// The declaration of the class whose rule is `R`.
    static func of<R: OptimizerRule>(
        _ className: String, _: R.Type, learningRate: Double = 0.001, weightDecay: Double? = nil,
        decode: @escaping @Sendable (_ config: KerasConfig) throws -> R,
        encode: @escaping @Sendable (_ rule: R) -> [String: JSONValue]
    ) -> OptimizerDeclaration {
        OptimizerDeclaration(
            className: className, defaultLearningRate: learningRate, defaultWeightDecay: weightDecay, decode: { try decode($0) },
            matches: { $0 is R }, encode: { rule in (rule as? R).map(encode) ?? [:] })
    }

    /// The optimizer Keras makes of the class name alone (`keras.optimizers.get("adam")`).
    var defaultOptimizer: Optimizer {
        get throws {
            Optimizer(try decode(KerasConfig(.object([:]))), learningRate: defaultLearningRate, weightDecay: defaultWeightDecay, className: className)
        }
    }
}

extension KerasConfig {
    /// The number under `key`, or `fallback` where the configuration has none.
    ///
    /// - Throws: ``FileFormatError`` for a value that is not a number.
    func number(_ key: String, _ fallback: Double) throws -> Double {
        guard let value = self[key], !value.isNull else { return fallback }
        guard let number = value.double else { throw FileFormatError("the configuration key '\(key)' (\(value)) is not a number") }
        return number
    }

    /// The flag under `key`, or `fallback` where the configuration has none.
    ///
    /// - Throws: ``FileFormatError`` for a value that is not a flag.
    func flag(_ key: String, _ fallback: Bool) throws -> Bool {
        guard let value = self[key], !value.isNull else { return fallback }
        guard let flag = value.bool else { throw FileFormatError("the configuration key '\(key)' (\(value)) is not true or false") }
        return flag
    }
}

/// The declared optimizer classes.
enum OptimizerDeclarations {
    static let all: [OptimizerDeclaration] = [.sgd, .adam, .adamW, .rmsprop, .adagrad, .nadam, .adamax, .adadelta, .lion, .ftrl]

    /// The declaration of a class name, in any case.
    static func declaration(named name: String) -> OptimizerDeclaration? {
        all.first { $0.className.lowercased() == name.lowercased() }
    }

    /// The declaration that writes `rule`.
    static func declaration(for rule: any OptimizerRule) -> OptimizerDeclaration? {
        all.first { $0.matches(rule) }
    }

    /// The class names, for messages.
    static var names: String { all.map(\.className).joined(separator: ", ") }
}
