/// Indexing and slicing of each sample (Keras' `x[:, -1]`, `x[:, 2:5]`, `x[..., 0]` in a
/// functional model, its `GetItem` operation): an index drops its axis, a slice keeps it with
/// Python's start, stop and step. The batch axis is taken whole. The output has no mask, as
/// Keras' operations give none.
public final class GetItem<Scalar: TensorScalar>: Layer, RecordsInputs {
    /// What one item of the key takes from its axis.
    public enum Item: Sendable, Hashable {
        /// The whole axis (`:`).
        case all
        /// One position, dropping the axis (negative ones count from the end).
        case index(Int)
        /// A Python slice.
        case slice(start: Int?, stop: Int?, step: Int?)
        /// As many whole axes as the other items leave (`...`).
        case ellipsis
    }

    /// The key, from the batch axis on.
    public let items: [Item]
    public var name: String
    public var trainable = true
    var records: [Tensor<Scalar>] = []

    /// Creates the operation.
    ///
    /// - Throws: ``LayerError`` for more than one ellipsis or a zero step.
    public init(_ items: [Item], name: String? = nil) throws {
        guard items.filter({ $0 == .ellipsis }).count <= 1 else { throw LayerError(.invalidArgument, "GetItem: one ellipsis at most") }
        for case .slice(_, _, let step?) in items where step == 0 { throw LayerError(.invalidArgument, "GetItem: a slice step cannot be zero") }
        self.items = items
        self.name = name ?? "get_item"
    }

    /// Per axis of the input: the positions taken (`nil`: the whole unknown axis) and whether
    /// the axis stays.
    private func plan(_ shape: [Int?]) throws -> [(positions: [Int]?, keeps: Bool)] {
        let explicit = items.filter { $0 != .ellipsis }.count
        guard explicit <= shape.count else { throw LayerError(.invalidInputShape, "\(name): \(explicit) indices for an input of rank \(shape.count)") }
        var expanded = [Item]()
        for item in items {
            if item == .ellipsis { expanded += Array(repeating: .all, count: shape.count - explicit) } else { expanded.append(item) }
        }
        expanded += Array(repeating: .all, count: shape.count - expanded.count)
        return try zip(expanded, shape).enumerated().map { axis, pair in
            let (item, extent) = pair
            if axis == 0 {
                guard item == .all || item == .slice(start: nil, stop: nil, step: nil) else {
                    throw LayerError(.unsupported, "\(name): the batch axis must be taken whole (x[:, ...])")
                }
                return (nil, true)
            }
            if item == .all { return (extent.map { Array(0..<$0) }, true) }
            guard let n = extent else { throw LayerError(.invalidInputShape, "\(name): axis \(axis) must be known to index it") }
            switch item {
            case .index(let i):
                let resolved = i < 0 ? i + n : i
                guard resolved >= 0, resolved < n else { throw LayerError(.invalidArgument, "\(name): index \(i) out of an axis of \(n)") }
                return ([resolved], false)
            case .slice(let start, let stop, let step):
                let step = step ?? 1
                func resolve(_ value: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
                    guard let value else { return fallback }
                    return Swift.min(Swift.max(value < 0 ? value + n : value, low), high)
                }
                if step > 0 {
                    let from = resolve(start, 0, low: 0, high: n), to = resolve(stop, n, low: 0, high: n)
                    return (Array(stride(from: from, to: to, by: step)), true)
                }
                let from = resolve(start, n - 1, low: -1, high: n - 1), to = resolve(stop, -1, low: -1, high: n - 1)
                return (Array(stride(from: from, to: to, by: step)), true)
            default: return (extent.map { Array(0..<$0) }, true)
            }
        }
    }

    public var isBuilt: Bool { true }
    public func build(inputShape: [Int?]) throws { _ = try plan(inputShape) }
    public var weights: [Tensor<Scalar>] { [] }
    public func setWeights(_ weights: [Tensor<Scalar>]) throws { try checkWeights(weights, expected: []) }

    public func outputShape(forInputShape inputShape: [Int?]) throws -> [Int?] {
        try zip(plan(inputShape), inputShape).compactMap { axis, extent in
            axis.keeps ? .some(axis.positions.map(\.count) ?? extent) : nil
        }
    }

    /// The input offset of each output value, and the output shape.
    private func offsets(_ shape: [Int]) throws -> (offsets: [Int], output: [Int]) {
        let axes = try plan(optionalShape(shape))
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        var offsets = [0]
        for (d, axis) in axes.enumerated() {
            let positions = axis.positions ?? Array(0..<shape[d])
            offsets = offsets.flatMap { base in positions.map { base + $0 * strides[d] } }
        }
        let output = axes.enumerated().compactMap { d, axis in axis.keeps ? (axis.positions ?? Array(0..<shape[d])).count : nil }
        return (offsets, output)
    }

    public func forward(_ input: Tensor<Scalar>, mask: Tensor<Bool>?, training: Bool) throws -> LayerOutput<Scalar> {
        let (offsets, shape) = try offsets(input.shape)
        let values = input.scalars
        return LayerOutput(try Tensor(shape: shape, scalars: offsets.map { values[$0] }))
    }

    public func backward(_ outputGradients: [Tensor<Scalar>?]) throws -> LayerGradients<Scalar> {
        let input = try popRecord(&records, layer: name)
        let (offsets, shape) = try offsets(input.shape)
        let g = try gradient(outputGradients, 0, shape: shape).scalars
        var dx = [Scalar](repeating: 0, count: input.scalarCount)
        for (k, offset) in offsets.enumerated() { dx[offset] += g[k] }
        return LayerGradients(input: try Tensor(shape: input.shape, scalars: dx))
    }
}

extension GetItem {
    /// Each step alone when the key takes the steps axis (axis 1 of a sequence) whole: an item
    /// after the batch's that is whole, or an ellipsis before at most the features' item.
    public var stepScope: StepScope {
        func whole(_ item: Item) -> Bool { item == .all || item == .slice(start: nil, stop: nil, step: nil) }
        let rest = items.first == .ellipsis ? Array(items) : Array(items.dropFirst())
        if let ellipsis = rest.firstIndex(of: .ellipsis) {
            let before = rest[..<ellipsis], after = rest[(ellipsis + 1)...]
            if before.allSatisfy(whole), after.dropLast().allSatisfy(whole) { return .eachStep }
        } else if rest.first.map(whole) ?? true {
            return .eachStep
        }
        return .acrossSteps("takes part of the steps axis")
    }
}
