import SwiftGRU

extension OptimizerDeclaration {
    static let sgd = OptimizerDeclaration.of(
        "SGD", SGD.self, learningRate: 0.01,
        decode: { c in SGD(momentum: try c.number("momentum", 0), nesterov: try c.flag("nesterov", false)) },
        encode: { rule in ["momentum": .number(rule.momentum), "nesterov": .bool(rule.nesterov)] })
}
