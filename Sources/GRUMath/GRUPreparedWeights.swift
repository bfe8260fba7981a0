@_spi(GRUKernels) import GRUTensor
import Synchronization

/// The packed forms of a GRU's weights that inference calls share: made on first use and
/// kept while the weights stay the same, so that a layer called again and again (`predict`
/// over batches, a stream of sequences) packs its kernels once. Each ``GRUWeights`` value
/// carries one; changing any of its weights gives it a fresh, empty one.
final class GRUPreparedWeights<S: TensorScalar>: @unchecked Sendable {
    private struct State {
        var spec: GRUSpec?
        var projection: GRUInputProjection<S>?
        var recurrent: GRURecurrentKernel<S>?
        var halves: [GRUUnitSlice<S>]?
        /// The weights as a device holds them (a GPU's copy), made by the device.
        var device: (any Sendable)?
    }

    private let state = Mutex(State())

    /// Calls `make` once per kind of packed form (read by `get`, kept by `set`) for the first
    /// spec it is asked for; other specs (the same weights read with other activations) get a
    /// fresh form every call. (Closures, not a key path: a key path into this generic type is
    /// made anew at every call, which cost a one-step stream half its time.)
    private func cached<T: Sendable>(
        _ spec: GRUSpec, get: (State) -> T?, set: (inout State, T) -> Void, make: () -> T
    ) -> T {
        if let existing = state.withLock({ state -> T? in
            if state.spec == nil { state.spec = spec }
            return state.spec == spec ? get(state) : nil
        }) {
            return existing
        }
        let made = make()
        state.withLock { state in
            if state.spec == spec, get(state) == nil { set(&state, made) }
        }
        return made
    }

    /// The input projection of all gates at once (no input dropout).
    func inputProjection(_ spec: GRUSpec, _ weights: GRUWeights<S>) -> GRUInputProjection<S> {
        cached(spec, get: { $0.projection }, set: { $0.projection = $1 }) { GRUInputProjection(spec: spec, weights: weights, perGate: false) }
    }

    /// The recurrent kernel without recurrent dropout.
    func recurrentKernel(_ spec: GRUSpec, _ weights: GRUWeights<S>) -> GRURecurrentKernel<S> {
        cached(spec, get: { $0.recurrent }, set: { $0.recurrent = $1 }) { GRURecurrentKernel(spec: spec, weights: weights, perGate: false) }
    }

    /// The device's copy of the weights, made by `make` on first use for `spec`; `nil` from
    /// `make` caches nothing. A failure to make it is thrown and nothing is kept.
    func deviceCopy<T: Sendable>(_ spec: GRUSpec, make: () throws -> T) throws -> T {
        if let existing = state.withLock({ state -> T? in
            if state.spec == nil { state.spec = spec }
            return state.spec == spec ? state.device as? T : nil
        }) {
            return existing
        }
        let made = try make()
        state.withLock { state in
            if state.spec == spec, state.device == nil { state.device = made }
        }
        return made
    }

    /// The two halves of the units for one sequence shared by two cores.
    func unitHalves(_ spec: GRUSpec, _ weights: GRUWeights<S>) -> [GRUUnitSlice<S>] {
        cached(spec, get: { $0.halves }, set: { $0.halves = $1 }) {
            let u = spec.units, half = (u / 2 + 15) / 16 * 16
            return [0..<half, half..<u].map { GRUUnitSlice(spec: spec, weights: weights, units: $0) }
        }
    }
}
