import SwiftGRU

extension OptimizerDeclaration {
    static let adadelta = OptimizerDeclaration.of(
        "Adadelta", Adadelta.self,
        decode: { c in Adadelta(rho: try c.number("rho", 0.95), epsilon: try c.number("epsilon", 1e-7)) },
        encode: { rule in ["rho": .number(rule.rho), "epsilon": .number(rule.epsilon)] })
}
