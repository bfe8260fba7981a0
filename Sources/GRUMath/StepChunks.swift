/// The chunks of processing steps whose input projections a second core computes ahead of
/// the recurrence: 16 steps each, the last one taking a remainder of fewer than
/// ``minimumSteps`` steps, so that no product has so few rows that it runs on another
/// kernel (whose sums round differently) than the projections made up front.
struct StepChunks {
    static var size: Int { 16 }
    static var minimumSteps: Int { 5 }
    let steps: Int
    /// The number of chunks.
    let count: Int

    init(steps: Int) {
        self.steps = steps
        let remainder = steps % Self.size
        count = steps / Self.size + (remainder >= Self.minimumSteps || steps < Self.size ? 1 : 0)
    }

    /// The processing steps of chunk `c`.
    func steps(of c: Int) -> Range<Int> {
        (c * Self.size)..<(c == count - 1 ? steps : (c + 1) * Self.size)
    }

    /// The chunk that starts at processing step `s`, if one does.
    func chunk(startingAt s: Int) -> Int? {
        s % Self.size == 0 && s / Self.size < count ? s / Self.size : nil
    }
}
