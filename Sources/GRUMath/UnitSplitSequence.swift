import GRUTensor

/// Runs one sequence (batch 1) of a reset-after GRU on two cores, each computing half of
/// the units at every step: a one-row step is bound by reading the recurrent kernel, and
/// each core then reads only its half. Each core projects the inputs onto its own gate
/// columns, so the cores meet only once per step (``StepSchedule``).
final class UnitSplitSequence<S: TensorScalar> {
    private let halves: [GRUUnitSlice<S>]
    private let schedule = StepSchedule()
    private let units: Int
    private let inputSize: Int
    /// The state before and after the current step, `2 * units` values; step `s` reads
    /// half `s % 2` and writes the other.
    private let states: UnsafeMutablePointer<S>

    /// Whether a call of this shape runs split: one sequence, sigmoid gates and a tanh
    /// candidate (reset-after), no dropout, and enough units for the halves to outweigh
    /// meeting at every step.
    static func applies(spec: GRUSpec, batch: Int, dropout: GRUDropoutMasks<S>) -> Bool {
        batch == 1 && activeCores > 1 && spec.units >= 128 && spec.resetAfter && spec.recurrentActivation == .sigmoid
            && spec.activation == .tanh && dropout.input.isEmpty && dropout.recurrent.isEmpty && GRUUnitSlice<S>.isAvailable
    }

    init(spec: GRUSpec, weights: GRUWeights<S>, initialState: UnsafePointer<S>) {
        let u = spec.units, half = (u / 2 + 15) / 16 * 16
        units = u
        inputSize = spec.inputSize
        halves = [0..<half, half..<u].map { GRUUnitSlice(spec: spec, weights: weights, units: $0) }
        states = .allocate(capacity: 2 * u)
        states.initialize(from: initialState, count: u)
        (states + u).initialize(repeating: 0, count: u)
    }

    deinit {
        states.deallocate()
    }

    /// The buffers of a call, as ``GRUSequence`` lays them out for batch 1.
    struct Buffers {
        /// The inputs of step `t` at `inputs + t * inputSize`.
        var inputs: UnsafePointer<S>
        /// The last output, `units` values.
        var output: UnsafeMutablePointer<S>
        /// Every step's output in processing order, or `nil`.
        var sequence: UnsafeMutablePointer<S>?
        /// When recording: every step's previous state, and its ``GRUStepRecord`` blocks.
        var previousStates: UnsafeMutablePointer<S>?
        var records: UnsafeMutablePointer<S>?
    }

    /// The work of one of the two threads of a call; both must be started (`parallelFor(2)`).
    /// A thread that finds both halves taken returns at once.
    func work(thread: Int, steps: Int, options: GRUSequenceOptions, mask: [Bool]?, buffers: Buffers) {
        let first: Int
        if schedule.claim(thread) {
            first = thread
        } else if schedule.claim(1 - thread) {
            first = 1 - thread
        } else {
            return
        }
        let other = 1 - first
        let call = Call(owner: self, steps: steps, options: options, mask: mask, buffers: buffers)
        defer { call.release() }
        call.project(first)
        var alone = false
        for s in 0..<steps {
            call.run(first, step: s)
            schedule.publish(first, finishedSteps: s + 1)
            if alone {
                call.run(other, step: s)
            } else if schedule.wait(for: other, finishedSteps: s + 1, patience: s == 0 ? .microseconds(200) : nil) {
                // The other thread has not started: this one runs both halves from here on.
                alone = true
                call.project(other)
                call.run(other, step: s)
            }
        }
    }

    /// The state after the last step.
    func finalState(steps: Int) -> UnsafePointer<S> { UnsafePointer(states + (steps % 2) * units) }

    /// What one thread of a call works with: for each half it runs, the half's input
    /// projections of every step followed by scratch for a step.
    private struct Call {
        let owner: UnitSplitSequence
        let steps: Int
        let options: GRUSequenceOptions
        let mask: [Bool]?
        let buffers: Buffers
        let size: Int
        let workspace: UnsafeMutablePointer<S>

        init(owner: UnitSplitSequence, steps: Int, options: GRUSequenceOptions, mask: [Bool]?, buffers: Buffers) {
            self.owner = owner
            self.steps = steps
            self.options = options
            self.mask = mask
            self.buffers = buffers
            size = (steps + 1) * 3 * owner.units
            workspace = .allocate(capacity: 2 * size)
        }

        func release() { workspace.deallocate() }

        func project(_ half: Int) {
            owner.halves[half].project(buffers.inputs, rows: steps, inputSize: owner.inputSize, into: workspace + half * size)
        }

        /// Runs one half of step `s`.
        func run(_ half: Int, step s: Int) {
            let slice = owner.halves[half], j0 = slice.units.lowerBound, n = slice.units.count, u = owner.units
            let t = options.goBackwards ? steps - 1 - s : s
            let h = owner.states + (s % 2) * u, next = owner.states + ((s + 1) % 2) * u
            let projected = workspace + half * size
            if let previous = buffers.previousStates { (previous + s * u + j0).update(from: h + j0, count: n) }
            slice.step(
                state: h, projected: projected + t * 3 * n, newState: next,
                record: buffers.records.map { $0 + s * GRUStepRecord.count * u }, recordStride: u,
                workspace: projected + steps * 3 * n)
            let out = buffers.output + j0
            if let mask, !mask[t] {
                // A masked step keeps the state and repeats the output (or zeros it).
                (next + j0).update(from: h + j0, count: n)
                if options.zeroOutputForMask { out.update(repeating: 0, count: n) }
            } else {
                out.update(from: next + j0, count: n)
            }
            if let sequence = buffers.sequence { (sequence + s * u + j0).update(from: out, count: n) }
        }
    }
}
