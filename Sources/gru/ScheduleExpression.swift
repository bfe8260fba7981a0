import ArgumentParser
import Foundation

/// The learning rate of an epoch as a small expression of `epoch` (counted from 0) and `lr`
/// (the current rate), for `--callback learning_rate_scheduler:schedule=...`: numbers, `+ - * /`,
/// `^` (power), parentheses, `exp`, `log`, `sqrt`, `floor`, comparisons (`<`, `<=`, `>`, `>=`,
/// `==`) and `condition ? a : b`. For example `epoch < 10 ? lr : lr * exp(-0.1)`.
struct ScheduleExpression: Sendable {
    private indirect enum Node: Sendable {
        case number(Double), epoch, rate
        case unary(String, Node)
        case binary(String, Node, Node)
        case choice(Node, Node, Node)
    }

    private let root: Node

    init(_ text: String) throws {
        var parser = Parser(characters: Array(text))
        root = try parser.choice()
        parser.skipSpaces()
        guard parser.at == parser.characters.count else { throw parser.fail("unexpected '\(parser.characters[parser.at])'") }
    }

    func rate(epoch: Int, learningRate: Double) -> Double { Self.evaluate(root, epoch: Double(epoch), rate: learningRate) }

    private static func evaluate(_ node: Node, epoch: Double, rate: Double) -> Double {
        func value(_ node: Node) -> Double { evaluate(node, epoch: epoch, rate: rate) }
        switch node {
        case .number(let v): return v
        case .epoch: return epoch
        case .rate: return rate
        case .unary(let op, let x):
            let v = value(x)
            switch op {
            case "-": return -v
            case "exp": return Foundation.exp(v)
            case "log": return Foundation.log(v)
            case "sqrt": return v.squareRoot()
            default: return v.rounded(.down)
            }
        case .binary(let op, let a, let b):
            let (x, y) = (value(a), value(b))
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            case "/": return x / y
            case "^": return Foundation.pow(x, y)
            case "<": return x < y ? 1 : 0
            case "<=": return x <= y ? 1 : 0
            case ">": return x > y ? 1 : 0
            case ">=": return x >= y ? 1 : 0
            default: return x == y ? 1 : 0
            }
        case .choice(let condition, let a, let b): return value(condition) != 0 ? value(a) : value(b)
        }
    }

    private struct Parser {
        let characters: [Character]
        var at = 0

        func fail(_ why: String) -> ValidationError { ValidationError("learning_rate_scheduler: schedule \(String(characters)): \(why)") }

        mutating func skipSpaces() { while at < characters.count, characters[at] == " " { at += 1 } }

        mutating func take(_ token: String) -> Bool {
            skipSpaces()
            let end = at + token.count
            guard end <= characters.count, String(characters[at..<end]) == token else { return false }
            at = end
            return true
        }

        mutating func choice() throws -> Node {
            let condition = try comparison()
            guard take("?") else { return condition }
            let a = try choice()
            guard take(":") else { throw fail("'?' without ':'") }
            return .choice(condition, a, try choice())
        }

        mutating func comparison() throws -> Node {
            let left = try sum()
            for op in ["<=", ">=", "==", "<", ">"] where take(op) { return .binary(op, left, try sum()) }
            return left
        }

        mutating func sum() throws -> Node {
            var node = try product()
            while true {
                if take("+") { node = .binary("+", node, try product()) } else if take("-") { node = .binary("-", node, try product()) } else { return node }
            }
        }

        mutating func product() throws -> Node {
            var node = try power()
            while true {
                if take("*") { node = .binary("*", node, try power()) } else if take("/") { node = .binary("/", node, try power()) } else { return node }
            }
        }

        mutating func power() throws -> Node {
            let base = try unary()
            return take("^") ? .binary("^", base, try power()) : base
        }

        mutating func unary() throws -> Node {
            if take("-") { return .unary("-", try unary()) }
            for function in ["exp", "log", "sqrt", "floor"] where take(function + "(") {
                let inner = try choice()
                guard take(")") else { throw fail("'\(function)(' without ')'") }
                return .unary(function, inner)
            }
            if take("(") {
                let inner = try choice()
                guard take(")") else { throw fail("'(' without ')'") }
                return inner
            }
            if take("epoch") { return .epoch }
            if take("lr") { return .rate }
            skipSpaces()
            let start = at
            while at < characters.count, characters[at].isNumber || characters[at] == "." || characters[at] == "e"
                || ((characters[at] == "-" || characters[at] == "+") && at > start && characters[at - 1] == "e") { at += 1 }
            guard at > start, let value = Double(String(characters[start..<at])) else {
                throw fail(at < characters.count ? "unexpected '\(characters[at])'" : "an expression is missing at the end")
            }
            return .number(value)
        }
    }
}
