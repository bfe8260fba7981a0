/// cuDNN's packed sequence-major layout for one batch: rows sorted by length, longest
/// first, and step `t` holding only the rows still running, one after the other (as
/// PyTorch's `pack_padded_sequence` lays them out). With this layout cuDNN needs no padded
/// input and output handling, which costs it a kernel pass per step.
struct CuDNNRowOrder: Sendable {
    let batch: Int
    let steps: Int
    /// Packed row `i` is row `order[i]` of the padded layout.
    let order: [Int]
    /// The lengths in packed row order (longest first).
    let sortedLengths: [Int32]
    /// Rows still running at each step, and where each step starts (in rows).
    private let stepRows: [Int]
    private let stepStarts: [Int]
    /// Rows of all steps together: the sum of the lengths.
    let total: Int

    /// - Parameters:
    ///   - lengths: Each row's steps, in `1...steps`.
    ///   - steps: The padded layout's step count.
    init(lengths: [Int32], steps: Int) {
        batch = lengths.count
        self.steps = steps
        // A stable sort keeps equal-length rows in their order: all-equal lengths give the identity.
        order = lengths.indices.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        sortedLengths = order.map { lengths[$0] }
        var rows = [Int](), starts = [Int](), total = 0
        for t in 0..<steps {
            let running = sortedLengths.prefix { Int($0) > t }.count
            starts.append(total)
            rows.append(running)
            total += running
        }
        stepRows = rows
        stepStarts = starts
        self.total = total
    }

    /// Whether every row runs every step: the packed layout is then the padded one.
    var isIdentity: Bool { total == batch * steps }

    /// A padded step-major array `(steps, batch, width)` in packed form (`total * width`).
    func compact<S>(_ padded: [S], width: Int) -> [S] {
        guard !isIdentity else { return padded }
        var packed = [S]()
        packed.reserveCapacity(total * width)
        for t in 0..<steps {
            for i in 0..<stepRows[t] {
                let source = (t * batch + order[i]) * width
                packed.append(contentsOf: padded[source..<(source + width)])
            }
        }
        return packed
    }

    /// A packed array back in padded step-major form, zeros in the padding.
    func expand<S: Numeric>(_ packed: [S], width: Int) -> [S] {
        guard !isIdentity else { return packed }
        var padded = [S](repeating: 0, count: steps * batch * width)
        for t in 0..<steps {
            for i in 0..<stepRows[t] {
                let source = (stepStarts[t] + i) * width, target = (t * batch + order[i]) * width
                for j in 0..<width { padded[target + j] = packed[source + j] }
            }
        }
        return padded
    }

    /// Per-row values `(batch, width)` in packed row order.
    func permute<S>(_ rows: [S], width: Int) -> [S] {
        guard !isIdentity else { return rows }
        return order.flatMap { rows[($0 * width)..<(($0 + 1) * width)] }
    }

    /// Per-row values in packed row order back in the padded layout's row order.
    func unpermute<S: Numeric>(_ rows: [S], width: Int) -> [S] {
        guard !isIdentity else { return rows }
        var result = [S](repeating: 0, count: rows.count)
        for (i, b) in order.enumerated() {
            for j in 0..<width { result[b * width + j] = rows[i * width + j] }
        }
        return result
    }
}
