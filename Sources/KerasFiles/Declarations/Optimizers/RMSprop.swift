import SwiftGRU

extension OptimizerDeclaration {
    static let rmsprop = OptimizerDeclaration.of(
        "RMSprop", RMSprop.self,
        decode: { c in
            RMSprop(rho: try c.number("rho", 0.9), momentum: try c.number("momentum", 0), epsilon: try c.number("epsilon", 1e-7),
                    centered: try c.flag("centered", false))
        },
        encode: { rule in
            ["rho": .number(rule.rho), "momentum": .number(rule.momentum), "epsilon": .number(rule.epsilon), "centered": .bool(rule.centered)]
        })
}
