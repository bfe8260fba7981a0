import SwiftGRU

extension OptimizerDeclaration {
    static let ftrl = OptimizerDeclaration.of(
        "Ftrl", Ftrl.self,
        decode: { c in
            Ftrl(
                learningRatePower: try c.number("learning_rate_power", -0.5),
                initialAccumulatorValue: try c.number("initial_accumulator_value", 0.1), l1: try c.number("l1_regularization_strength", 0),
                l2: try c.number("l2_regularization_strength", 0), l2Shrinkage: try c.number("l2_shrinkage_regularization_strength", 0),
                beta: try c.number("beta", 0))
        },
        encode: { rule in
            [
                "learning_rate_power": .number(rule.learningRatePower), "initial_accumulator_value": .number(rule.initialAccumulatorValue),
                "l1_regularization_strength": .number(rule.l1), "l2_regularization_strength": .number(rule.l2),
                "l2_shrinkage_regularization_strength": .number(rule.l2Shrinkage), "beta": .number(rule.beta),
            ]
        })
}
