import SwiftGRU

extension OptimizerDeclaration {
    static let adam = OptimizerDeclaration.of("Adam", Adam.self, decode: Self.adamRule, encode: Self.adamEntries)

    /// `AdamW`: Adam with decoupled weight decay, 0.004 unless the configuration says otherwise.
    static let adamW = OptimizerDeclaration.of("AdamW", Adam.self, weightDecay: 0.004, decode: Self.adamRule, encode: Self.adamEntries)

    @Sendable private static func adamRule(_ c: KerasConfig) throws -> Adam {
        Adam(beta1: try c.number("beta_1", 0.9), beta2: try c.number("beta_2", 0.999), epsilon: try c.number("epsilon", 1e-7),
             amsgrad: try c.flag("amsgrad", false))
    }

    @Sendable private static func adamEntries(_ rule: Adam) -> [String: JSONValue] {
        ["beta_1": .number(rule.beta1), "beta_2": .number(rule.beta2), "epsilon": .number(rule.epsilon), "amsgrad": .bool(rule.amsgrad)]
    }
}
