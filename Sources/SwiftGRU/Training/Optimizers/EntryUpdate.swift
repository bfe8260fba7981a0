/// One piece of a weight's entries, as a vectorised update kernel takes it: pointers at the
/// piece's first entry.
struct EntryPiece<Scalar: TensorScalar> {
    /// The number of entries.
    let count: Int
    /// The new weights (the kernel writes every one) and the old ones (read).
    let w: UnsafeMutablePointer<Scalar>, weights: UnsafePointer<Scalar>
    /// Each slot of the rule, in its order.
    let slots: [UnsafeMutablePointer<Scalar>]
    /// The piece's gradient and squares; `nil` where the gradient is zero (rows no lookup touched).
    let gradient: UnsafePointer<Scalar>?, squares: UnsafePointer<Scalar>?
}

extension OptimizerStep {
    /// Updates one weight with `kernel`, which updates each entry on its own from its gradient
    /// (or a zero one) and its slots: piece by piece, split over the threads (so any split
    /// gives the same bits), the new weights written to a new array (`weight` shares its
    /// storage with the layer, which an update in place would first copy).
    ///
    /// Where the step holds only some rows (``rows``), the other rows are pieces with no
    /// gradient: Keras' dense update with their zero gradient, the same arithmetic.
    func updateEntries(_ weight: inout [Scalar], slots: inout [[Scalar]], _ kernel: (EntryPiece<Scalar>) -> Void) {
        let count = weight.count
        let rows = self.rows ?? [0]
        let width = self.rows == nil ? count : (rows.isEmpty ? 1 : gradient.count / rows.count)
        // Checked by the optimizer before any rule runs (shapes, slot sizes, rows in the table).
        guard rows.count * width == gradient.count, squares.count == gradient.count,
              count > 0, slots.allSatisfy({ $0.count == count }), rows.allSatisfy({ $0 >= 0 && ($0 + 1) * width <= count })
        else { return }
        let old = weight
        weight = [Scalar](unsafeUninitializedCapacity: count) { out, initialized in
            defer { initialized = count }
            old.withUnsafeBufferPointer { old in
                gradient.withUnsafeBufferPointer { g in
                    squares.withUnsafeBufferPointer { sq in
                        slots.withUnsafeMutableBufferPointer { slots in
                            Self.withPointers(to: slots, from: 0, []) { slotPointers in
                                guard let w = out.baseAddress, let weights = old.baseAddress, slotPointers.count == slots.count else {
                                    // Arrays of `count` entries, `count` above 0, always have buffers.
                                    _ = out.initialize(from: old)
                                    return
                                }
                                let g = g.baseAddress, sq = sq.baseAddress
                                let workers = parallelWorkers(total: count, minimumPerWorker: 1 << 16)
                                parallelFor(workers) { worker in
                                    let lo = count / workers * worker, hi = worker == workers - 1 ? count : count / workers * (worker + 1)
                                    Self.forEachPiece(lo..<hi, rows: rows, width: width) { start, n, at in
                                        kernel(EntryPiece(
                                            count: n, w: w + start, weights: weights + start, slots: slotPointers.map { $0 + start },
                                            gradient: at.flatMap { at in g.map { $0 + at } }, squares: at.flatMap { at in sq.map { $0 + at } }))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` with a pointer to each of `arrays` from `index` on (those with a buffer).
    private static func withPointers(
        to arrays: UnsafeMutableBufferPointer<[Scalar]>, from index: Int, _ taken: [UnsafeMutablePointer<Scalar>],
        _ body: ([UnsafeMutablePointer<Scalar>]) -> Void
    ) {
        guard index < arrays.count else { return body(taken) }
        arrays[index].withUnsafeMutableBufferPointer { buffer in
            withPointers(to: arrays, from: index + 1, taken + (buffer.baseAddress.map { [$0] } ?? []), body)
        }
    }

    /// Splits the entries `range` into pieces: `body(start, count, at)` with `at` where the
    /// piece's gradient starts, or `nil` for entries outside `rows` (each row `width` entries,
    /// the gradient holding them one after the other).
    private static func forEachPiece(_ range: Range<Int>, rows: [Int], width: Int, _ body: (Int, Int, Int?) -> Void) {
        // The first row that ends after the range's start.
        var low = 0, high = rows.count
        while low < high {
            let mid = (low + high) / 2
            if (rows[mid] + 1) * width <= range.lowerBound { low = mid + 1 } else { high = mid }
        }
        var j = low, at = range.lowerBound
        while at < range.upperBound {
            if j < rows.count, rows[j] * width <= at {
                let end = Swift.min((rows[j] + 1) * width, range.upperBound)
                body(at, end - at, j * width + at - rows[j] * width)
                at = end
                if end == (rows[j] + 1) * width { j += 1 }
            } else {
                let end = j < rows.count ? Swift.min(rows[j] * width, range.upperBound) : range.upperBound
                body(at, end - at, nil)
                at = end
            }
        }
    }
}
