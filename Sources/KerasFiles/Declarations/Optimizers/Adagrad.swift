import SwiftGRU

extension OptimizerDeclaration {
    static let adagrad = OptimizerDeclaration.of(
        "Adagrad", Adagrad.self,
        decode: { c in
            Adagrad(initialAccumulatorValue: try c.number("initial_accumulator_value", 0.1), epsilon: try c.number("epsilon", 1e-7))
        },
        encode: { rule in ["initial_accumulator_value": .number(rule.initialAccumulatorValue), "epsilon": .number(rule.epsilon)] })
}
