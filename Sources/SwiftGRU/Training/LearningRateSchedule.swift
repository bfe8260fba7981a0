/// A learning rate that changes with the optimizer's step count, with the formulas of
/// Keras' `keras.optimizers.schedules`; the optimizer asks it for the rate of each step with
/// the number of steps already taken (Keras' `iterations`, 0 for the first).
public enum LearningRateSchedule: Sendable, Hashable {
    /// `initial * rate^(step / steps)`, the exponent floored with `staircase`.
    case exponentialDecay(initial: Double, decaySteps: Double, decayRate: Double, staircase: Bool)
    /// `initial / (1 + rate * step / steps)`, the quotient floored with `staircase`.
    case inverseTimeDecay(initial: Double, decaySteps: Double, decayRate: Double, staircase: Bool)
    /// `values[0]` up to and including `boundaries[0]`, `values[1]` up to `boundaries[1]`, ...,
    /// the last value after the last boundary.
    case piecewiseConstant(boundaries: [Double], values: [Double])
    /// From `initial` to `end` along `(1 - step / steps)^power`; with `cycle`, the decay
    /// restarts with a longer horizon instead of staying at `end`.
    case polynomialDecay(initial: Double, decaySteps: Double, end: Double, power: Double, cycle: Bool)
    /// A linear warmup from `initial` to `warmupTarget` over `warmupSteps` (when a target is
    /// given), then a cosine decay over `decaySteps` down to `alpha` times the starting rate.
    case cosineDecay(initial: Double, decaySteps: Double, alpha: Double, warmupTarget: Double?, warmupSteps: Double)
    /// Cosine decay with warm restarts (SGDR): periods growing by `tMul`, each restart's rate
    /// scaled by `mMul`.
    case cosineDecayRestarts(initial: Double, firstDecaySteps: Double, tMul: Double, mMul: Double, alpha: Double)

    /// Keras' class name.
    public var className: String {
        switch self {
        case .exponentialDecay: "ExponentialDecay"
        case .inverseTimeDecay: "InverseTimeDecay"
        case .piecewiseConstant: "PiecewiseConstantDecay"
        case .polynomialDecay: "PolynomialDecay"
        case .cosineDecay: "CosineDecay"
        case .cosineDecayRestarts: "CosineDecayRestarts"
        }
    }

    /// The rate for a step, given the number of steps already taken.
    public func learningRate(atStep step: Int) -> Double {
        let t = Double(step)
        switch self {
        case .exponentialDecay(let initial, let steps, let rate, let staircase):
            let p = t / steps
            return initial * Double.pow(rate, staircase ? p.rounded(.down) : p)
        case .inverseTimeDecay(let initial, let steps, let rate, let staircase):
            let p = t / steps
            return initial / (1 + rate * (staircase ? p.rounded(.down) : p))
        case .piecewiseConstant(let boundaries, let values):
            for (boundary, value) in zip(boundaries, values) where t <= boundary { return value }
            return values.last ?? 0
        case .polynomialDecay(let initial, let steps, let end, let power, let cycle):
            var horizon = steps, position = t
            if cycle {
                horizon = steps * (t == 0 ? 1 : (t / steps).rounded(.up))
            } else {
                position = Swift.min(t, steps)
            }
            return (initial - end) * Double.pow(1 - position / horizon, power) + end
        case .cosineDecay(let initial, let steps, let alpha, let target, let warmup):
            func decay(_ position: Double, from rate: Double) -> Double {
                let cosine = 0.5 * (1 + Double.cos(Double.pi * position / steps))
                return rate * ((1 - alpha) * cosine + alpha)
            }
            guard let target else { return decay(Swift.min(t, steps), from: initial) }
            if t < warmup { return (target - initial) * t / warmup + initial }
            return decay(Swift.min(t, steps + warmup) - warmup, from: target)
        case .cosineDecayRestarts(let initial, let first, let tMul, let mMul, let alpha):
            var fraction = t / first
            let restart: Double
            if tMul == 1 {
                restart = fraction.rounded(.down)
                fraction -= restart
            } else {
                restart = (Double.log(1 - fraction * (1 - tMul)) / Double.log(tMul)).rounded(.down)
                let completed = (1 - Double.pow(tMul, restart)) / (1 - tMul)
                fraction = (fraction - completed) / Double.pow(tMul, restart)
            }
            let cosine = 0.5 * Double.pow(mMul, restart) * (1 + Double.cos(Double.pi * fraction))
            return initial * ((1 - alpha) * cosine + alpha)
        }
    }

    /// Checks the arguments as Keras does.
    ///
    /// - Throws: ``LayerError`` for step counts that are not positive or boundaries and values
    ///   that do not pair up.
    public func validated() throws -> LearningRateSchedule {
        switch self {
        case .exponentialDecay(_, let steps, _, _), .inverseTimeDecay(_, let steps, _, _), .polynomialDecay(_, let steps, _, _, _),
             .cosineDecay(_, let steps, _, _, _), .cosineDecayRestarts(_, let steps, _, _, _):
            guard steps > 0, steps.isFinite else {
                throw LayerError(.invalidArgument, "\(className): the decay steps must be positive, got \(steps)")
            }
        case .piecewiseConstant(let boundaries, let values):
            guard values.count == boundaries.count + 1 else {
                throw LayerError(.invalidArgument, "PiecewiseConstantDecay: values must be one more than boundaries, got \(values.count) and \(boundaries.count)")
            }
        }
        if case .cosineDecay(_, _, _, _, let warmup) = self, warmup < 0 {
            throw LayerError(.invalidArgument, "CosineDecay: warmup_steps must not be negative, got \(warmup)")
        }
        return self
    }
}
