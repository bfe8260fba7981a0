import SwiftGRU

extension OptimizerDeclaration {
    static let lion = OptimizerDeclaration.of(
        "Lion", Lion.self,
        decode: { c in Lion(beta1: try c.number("beta_1", 0.9), beta2: try c.number("beta_2", 0.99)) },
        encode: { rule in ["beta_1": .number(rule.beta1), "beta_2": .number(rule.beta2)] })
}
