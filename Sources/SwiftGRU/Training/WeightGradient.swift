/// One weight's gradient on its way to the optimizer: every entry, or only the rows of the
/// first axis that some lookup touched, every other row zero.
///
/// TensorFlow differentiates a table lookup (an Embedding's) as slices, one per lookup
/// (`tf.IndexedSlices`); Keras squares those slices before adding them up, in `clipnorm`,
/// `global_clipnorm` and the second moments of Adam, RMSprop and Adagrad. A table of 20,000
/// rows that a batch reads 3,000 of keeps the 3,000 here, with their slices' squares and
/// absolute values, instead of three dense copies of the table.
package struct WeightGradient<Scalar: TensorScalar>: Sendable {
    /// The weight's shape.
    package let shape: [Int]
    /// `nil` when ``values`` holds every entry; else the rows of the first axis it holds,
    /// ascending and distinct, each ``width`` entries.
    package let rows: [Int]?
    /// Every entry in row-major order, or those of ``rows`` in order.
    package var values: [Scalar]
    /// For slices: the sum of their squares, laid out as ``values``; `nil` for an ordinary
    /// gradient, whose squares are those of ``values``.
    package var sliceSquares: [Scalar]?
    /// For slices: the sum of their absolute values, laid out as ``values``.
    package var sliceAbsolutes: [Scalar]?

    /// Entries per row of the first axis.
    package var width: Int { shape.dropFirst().reduce(1, *) }

    /// An ordinary gradient, or a dense one with its slices' squares and absolute values.
    package init(_ gradient: Tensor<Scalar>, sliceSquares: Tensor<Scalar>? = nil, sliceAbsolutes: Tensor<Scalar>? = nil) {
        shape = gradient.shape
        rows = nil
        values = gradient.scalars
        self.sliceSquares = sliceSquares?.scalars
        self.sliceAbsolutes = sliceAbsolutes?.scalars
    }

    /// A gradient that is zero outside `rows`.
    ///
    /// - Throws: ``LayerError`` when the rows are not ascending, distinct and inside the
    ///   first axis, or an array does not hold `rows.count` rows.
    package init(shape: [Int], rows: [Int], values: [Scalar], sliceSquares: [Scalar]?, sliceAbsolutes: [Scalar]?) throws {
        let extent = shape.first ?? 0, width = shape.dropFirst().reduce(1, *)
        guard zip(rows, rows.dropFirst()).allSatisfy({ $0 < $1 }), rows.allSatisfy({ $0 >= 0 && $0 < extent }) else {
            throw LayerError(.invalidArgument, "a gradient's rows must be ascending, distinct and under \(extent)")
        }
        let count = rows.count.multipliedReportingOverflow(by: width)
        guard !count.overflow, values.count == count.partialValue, sliceSquares.map({ $0.count == values.count }) ?? true,
              sliceAbsolutes.map({ $0.count == values.count }) ?? true else {
            throw LayerError(.invalidArgument, "a gradient of \(rows.count) rows of \(width) got arrays of another size")
        }
        self.shape = shape
        self.rows = rows
        self.values = values
        self.sliceSquares = sliceSquares
        self.sliceAbsolutes = sliceAbsolutes
    }

    /// Every entry: ``values`` with the untouched rows' zeros.
    package var dense: Tensor<Scalar> { Tensor(uncheckedShape: shape, scalars: expanded(values)) }
    /// The slices' squares with every entry, `nil` for an ordinary gradient.
    package var denseSliceSquares: Tensor<Scalar>? { sliceSquares.map { Tensor(uncheckedShape: shape, scalars: expanded($0)) } }
    /// The slices' absolute values with every entry, `nil` for an ordinary gradient.
    package var denseSliceAbsolutes: Tensor<Scalar>? { sliceAbsolutes.map { Tensor(uncheckedShape: shape, scalars: expanded($0)) } }

    /// The same gradient with every entry.
    package var densified: WeightGradient {
        WeightGradient(dense, sliceSquares: denseSliceSquares, sliceAbsolutes: denseSliceAbsolutes)
    }

    /// `array` (laid out as ``values``) with every entry.
    package func expanded(_ array: [Scalar]) -> [Scalar] {
        guard let rows else { return array }
        let width = width
        var all = [Scalar](repeating: 0, count: shape.reduce(1, *))
        for (k, row) in rows.enumerated() {
            all.replaceSubrange((row * width)..<((row + 1) * width), with: array[(k * width)..<((k + 1) * width)])
        }
        return all
    }

    /// The sum of two gradients of one weight (a layer called twice). Two gradients of rows
    /// stay rows; the slices' squares and absolute values add up where both have them.
    ///
    /// - Throws: ``LayerError`` when the shapes differ.
    package func adding(_ other: WeightGradient) throws -> WeightGradient {
        guard shape == other.shape else {
            throw LayerError(.invalidWeights, "gradients of shapes \(shape) and \(other.shape) cannot be added")
        }
        guard let rows, let otherRows = other.rows else {
            let a = densified, b = other.densified
            func sum(_ x: [Scalar]?, _ y: [Scalar]?) -> [Scalar]? {
                guard let x, let y else { return nil }
                return zip(x, y).map(+)
            }
            var result = a
            result.values = zip(a.values, b.values).map(+)
            result.sliceSquares = sum(a.sliceSquares, b.sliceSquares)
            result.sliceAbsolutes = sum(a.sliceAbsolutes, b.sliceAbsolutes)
            return result
        }
        // Both of rows: merged in order, a row in both summed as the dense sum would.
        var plan = [(row: Int, mine: Int?, theirs: Int?)]()
        var i = 0, j = 0
        while i < rows.count || j < otherRows.count {
            if j == otherRows.count || (i < rows.count && rows[i] < otherRows[j]) {
                plan.append((rows[i], i, nil))
                i += 1
            } else if i == rows.count || otherRows[j] < rows[i] {
                plan.append((otherRows[j], nil, j))
                j += 1
            } else {
                plan.append((rows[i], i, j))
                i += 1
                j += 1
            }
        }
        let width = width
        func merge(_ a: [Scalar]?, _ b: [Scalar]?) -> [Scalar]? {
            guard let a, let b else { return nil }
            var merged = [Scalar]()
            merged.reserveCapacity(plan.count * width)
            for step in plan {
                switch (step.mine, step.theirs) {
                case let (i?, j?): for c in 0..<width { merged.append(a[i * width + c] + b[j * width + c]) }
                case let (i?, nil): merged += a[(i * width)..<((i + 1) * width)]
                case let (nil, j?): merged += b[(j * width)..<((j + 1) * width)]
                case (nil, nil): break
                }
            }
            return merged
        }
        return try WeightGradient(
            shape: shape, rows: plan.map(\.row), values: merge(values, other.values) ?? [],
            sliceSquares: merge(sliceSquares, other.sliceSquares), sliceAbsolutes: merge(sliceAbsolutes, other.sliceAbsolutes))
    }
}
