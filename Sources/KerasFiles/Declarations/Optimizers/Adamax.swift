import SwiftGRU

extension OptimizerDeclaration {
    static let adamax = OptimizerDeclaration.of(
        "Adamax", Adamax.self,
        decode: { c in Adamax(beta1: try c.number("beta_1", 0.9), beta2: try c.number("beta_2", 0.999), epsilon: try c.number("epsilon", 1e-7)) },
        encode: { rule in ["beta_1": .number(rule.beta1), "beta_2": .number(rule.beta2), "epsilon": .number(rule.epsilon)] })
}
