/// Which samples each batch takes, epoch after epoch, as Keras' epoch iterator hands them out.
///
/// Without a step count every epoch is one pass over the data. With one (Keras'
/// `steps_per_epoch`, `validation_steps`), an epoch takes that many batches and the next epoch
/// goes on from where it stopped; an epoch that reaches the end of the data stops there, and
/// the epoch after it starts a new pass (reshuffled).
struct BatchSchedule {
    let samples: Int, batchSize: Int, steps: Int?, shuffle: Bool
    /// Batches in one pass over the data.
    let batchesPerPass: Int
    private var order = [Int]()
    /// The batch of the current pass that comes next.
    private(set) var next: Int
    /// The shuffling generator just before the current pass was shuffled (``restore(pass:next:)``
    /// shuffles the pass again from it); `nil` before the first pass.
    private(set) var passGenerator: RandomGenerator?

    init(samples: Int, batchSize: Int, steps: Int? = nil, shuffle: Bool) {
        self.samples = samples
        self.batchSize = batchSize
        self.steps = steps
        self.shuffle = shuffle
        batchesPerPass = (samples + batchSize - 1) / batchSize
        next = batchesPerPass
    }

    /// The batches an epoch shows progress against: the step count, or one pass.
    var batchesPerEpoch: Int { steps ?? batchesPerPass }

    /// The rows of each batch of the next epoch.
    mutating func nextEpoch(using generator: inout RandomGenerator) -> [[Int]] {
        if steps == nil { next = batchesPerPass }
        var batches = [[Int]]()
        for batch in 0..<batchesPerEpoch {
            if next == batchesPerPass {
                if batch > 0 { break }
                passGenerator = generator
                order = Array(0..<samples)
                if shuffle { order.shuffle(using: &generator) }
                next = 0
            }
            batches.append(Array(order[(next * batchSize)..<Swift.min((next + 1) * batchSize, samples)]))
            next += 1
        }
        return batches
    }

    /// Goes back to a pass drawn from `pass` (a ``passGenerator``), at its batch `next`.
    mutating func restore(pass: RandomGenerator?, next: Int) {
        passGenerator = pass
        self.next = min(max(next, 0), batchesPerPass)
        guard var generator = pass else {
            self.next = batchesPerPass
            return
        }
        order = Array(0..<samples)
        if shuffle { order.shuffle(using: &generator) }
    }
}
