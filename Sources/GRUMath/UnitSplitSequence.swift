@_spi(GRUKernels) import GRUTensor

/// Runs one sequence (batch 1) of a reset-after GRU on two cores, each computing half of
/// the units at every step: a one-row step is bound by reading the recurrent kernel, and
/// each core then reads only its half. The input projections are computed per half (onto
/// that half's gate columns) in chunks of steps that either core may take, so the core
/// that starts first does more of them.
///
/// Each half of each step is a piece of work either thread may claim (``TaskClaims``):
/// a thread does its own half, then waits briefly for the other thread to take the other
/// half and takes it itself when nobody has. So when the other thread is late, not
/// running, or shares this thread's core, the sequence goes on at one core's speed
/// instead of waiting on it.
final class UnitSplitSequence<S: TensorScalar> {
    private let halves: [GRUUnitSlice<S>]
    /// Half `h` of step `s` is piece `2 * s + h`.
    private let stepHalves: TaskClaims
    private let units: Int
    private let inputSize: Int
    private let steps: Int
    /// The state before and after the current step, `2 * units` values; step `s` reads
    /// half `s % 2` and writes the other.
    private let states: UnsafeMutablePointer<S>
    /// The input projections of every step, half 0's then half 1's, each in rows of three
    /// times the half's units (`steps * 3 * units` values in all).
    private let projections: UnsafeMutablePointer<S>
    private static var chunkSteps: Int { 64 }
    private let chunksPerHalf: Int
    private let chunks: TaskClaims

    /// Whether a call of this shape runs split: one sequence, sigmoid gates and a tanh
    /// candidate (reset-after), no dropout, enough units for the halves to outweigh meeting at
    /// every step, and enough work in the call (steps times a step's multiply-adds) to pay for
    /// waking the second thread: a stream's one-step call of a GRU 256 runs faster on one core.
    static func applies(spec: GRUSpec, batch: Int, steps: Int, dropout: GRUDropoutMasks<S>) -> Bool {
        let work = steps.multipliedReportingOverflow(by: 3 * spec.units * (spec.units + spec.inputSize))
        return batch == 1 && activeCores > 1 && spec.units >= 128 && (work.overflow || work.partialValue >= minimumWork)
            && spec.resetAfter && spec.recurrentActivation == .sigmoid && spec.activation == .tanh
            && dropout.input.isEmpty && dropout.recurrent.isEmpty && GRUUnitSlice<S>.isAvailable
    }

    /// The least multiply-adds a call needs to run split, as a product needs to be split
    /// over threads (``parallelWorkers(total:minimumPerWorker:)``).
    static var minimumWork: Int { 1 << 21 }

    /// Prepares a call over `steps` steps.
    ///
    /// - Parameter halves: The two halves of the units, from ``GRUPreparedWeights/unitHalves(_:_:)``.
    init(halves: [GRUUnitSlice<S>], steps: Int, initialState: UnsafePointer<S>) {
        let u = halves[1].units.upperBound
        units = u
        inputSize = halves[0].inputSize
        self.steps = steps
        self.halves = halves
        states = .allocate(capacity: 2 * u)
        states.initialize(from: initialState, count: u)
        (states + u).initialize(repeating: 0, count: u)
        projections = .allocate(capacity: steps * 3 * u)
        chunksPerHalf = (steps + Self.chunkSteps - 1) / Self.chunkSteps
        chunks = TaskClaims(count: 2 * chunksPerHalf)
        stepHalves = TaskClaims(count: 2 * steps)
    }

    deinit {
        states.deallocate()
        projections.deallocate()
    }

    /// The input projections of `half`, step `t` at `+ t * 3 * halves[half].units.count`.
    private func projections(of half: Int) -> UnsafeMutablePointer<S> {
        projections + half * steps * 3 * halves[0].units.count
    }

    /// Projects the inputs of chunk `c` (of both halves' chunks, half by half).
    private func project(chunk c: Int, inputs: UnsafePointer<S>) {
        let half = c / chunksPerHalf, t0 = (c % chunksPerHalf) * Self.chunkSteps, count = Swift.min(Self.chunkSteps, steps - t0)
        let width = 3 * halves[half].units.count
        halves[half].project(inputs + t0 * inputSize, rows: count, inputSize: inputSize, into: projections(of: half) + t0 * width)
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

    /// The work of one of the two threads of a call (`parallelFor(2)`): thread `thread`
    /// prefers half `thread` of every step. Correct whether or not the other thread runs.
    func work(thread: Int, options: GRUSequenceOptions, mask: [Bool]?, buffers: Buffers) {
        let own = thread, other = 1 - thread
        // The projections: this thread's half first, then whatever the other has not started.
        for c in Array(own * chunksPerHalf..<(own + 1) * chunksPerHalf) + Array(other * chunksPerHalf..<(other + 1) * chunksPerHalf)
        where chunks.claim(c) {
            project(chunk: c, inputs: buffers.inputs)
            chunks.finish(c)
        }
        // Scratch per half: this thread may run either.
        let workspace = UnsafeMutablePointer<S>.allocate(capacity: 6 * units)
        defer { workspace.deallocate() }
        func run(_ half: Int, step s: Int) {
            self.run(half, step: s, options: options, mask: mask, buffers: buffers, workspace: workspace + half * 3 * units)
        }
        // Whether this thread took the other half of the last step: then the other thread
        // is not keeping up, and waiting for it again would only lose time.
        var tookOther = false
        for s in 0..<steps {
            let mine = 2 * s + own, theirs = 2 * s + other
            if stepHalves.claim(mine) {
                run(own, step: s)
                stepHalves.finish(mine)
            }
            // The other half: give the other thread a moment to take it, else take it.
            var spins = 0, took = false
            let patience = tookOther ? 0 : 2048
            spinWait {
                if stepHalves.isDone(theirs) { return true }
                guard stepHalves.isUnclaimed(theirs) else { return false }
                spins += 1
                guard spins > patience, stepHalves.claim(theirs) else { return false }
                run(other, step: s)
                stepHalves.finish(theirs)
                took = true
                return true
            }
            tookOther = took
            // This thread's half may have been taken by the other thread.
            spinWait { stepHalves.isDone(mine) }
        }
    }

    /// The state after the last step.
    var finalState: UnsafePointer<S> { UnsafePointer(states + (steps % 2) * units) }

    /// Runs one half of step `s`.
    private func run(
        _ half: Int, step s: Int, options: GRUSequenceOptions, mask: [Bool]?, buffers: Buffers, workspace: UnsafeMutablePointer<S>
    ) {
        let slice = halves[half], j0 = slice.units.lowerBound, n = slice.units.count, u = units
        let t = options.goBackwards ? steps - 1 - s : s
        chunks.ensure(half * chunksPerHalf + t / Self.chunkSteps) { project(chunk: $0, inputs: buffers.inputs) }
        let h = states + (s % 2) * u, next = states + ((s + 1) % 2) * u
        if let previous = buffers.previousStates { (previous + s * u + j0).update(from: h + j0, count: n) }
        slice.step(
            state: h, projected: projections(of: half) + t * 3 * n, newState: next,
            record: buffers.records.map { $0 + s * GRUStepRecord.count * u }, recordStride: u, workspace: workspace)
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
