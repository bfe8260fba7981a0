import GRUCUDA
package import GRUMath
import GRUTensor

/// Runs random GRUs on a device and on the CPU and measures how far apart they land:
/// outputs, states, and every gradient of a training call. `gru gpu-check` runs it on the
/// GPU; the tests run it with the CPU's packed-sequence reference in the device's place.
package enum DeviceAgreementCheck {
    /// One configuration of the comparison.
    package struct Case: Sendable, CustomStringConvertible {
        package var batch: Int
        package var steps: Int
        package var features: Int
        package var units: Int
        package var returnSequences = false
        package var returnState = false
        package var goBackwards = false
        package var timeMajor = false
        /// Right-padded rows of random lengths.
        package var masked = false
        package var bidirectional = false
        package var initialState = false
        package var dropout = 0.0
        package var seed: UInt64 = 1

        package var description: String {
            var flags = [String]()
            if returnSequences { flags.append("return_sequences") }
            if returnState { flags.append("return_state") }
            if goBackwards { flags.append("go_backwards") }
            if timeMajor { flags.append("time_major") }
            if masked { flags.append("mask") }
            if bidirectional { flags.append("bidirectional") }
            if initialState { flags.append("initial_state") }
            if dropout > 0 { flags.append("dropout \(dropout)") }
            return "B=\(batch) T=\(steps) F=\(features) U=\(units)" + (flags.isEmpty ? "" : " " + flags.joined(separator: " "))
        }
    }

    /// The largest differences of one case.
    package struct Difference: Sendable {
        /// Outputs and returned states.
        package var forward: Double
        /// Input, initial-state and weight gradients.
        package var gradients: Double
    }

    /// Cases covering each option alone and mixed, on shapes from tiny to a few hundred units.
    package static func standardCases() -> [Case] {
        var cases = [Case]()
        var seed: UInt64 = 17
        func next(_ range: ClosedRange<Int>) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return range.lowerBound + Int(seed >> 33) % (range.upperBound - range.lowerBound + 1)
        }
        for k in 0..<16 {
            var c = Case(batch: next(1...9), steps: next(1...24), features: next(1...40), units: next(1...48))
            c.returnSequences = k % 2 == 1
            c.returnState = k % 3 == 0
            c.goBackwards = k % 4 >= 2
            c.masked = k % 5 < 3 && k > 0
            c.timeMajor = k == 5 || k == 11
            c.bidirectional = k % 7 == 3 || k == 12
            c.initialState = k % 6 == 1
            c.dropout = k == 9 || k == 14 ? 0.3 : 0
            c.seed = UInt64(100 + k)
            cases.append(c)
        }
        cases.append(Case(batch: 16, steps: 40, features: 64, units: 256, returnSequences: true, masked: true, seed: 7))
        cases.append(Case(batch: 3, steps: 30, features: 128, units: 512, returnState: true, goBackwards: true, seed: 8))
        // Equal lengths at the largest size cuDNN's small-hidden persistent kernels take.
        cases.append(Case(batch: 8, steps: 50, features: 64, units: 128, returnSequences: true, seed: 9))
        return cases
    }

    private static func makeLayer(_ c: Case, device: Bool, backend: (any GRUDeviceBackend)?) throws -> any Layer<Float> {
        let gru = try GRU<Float>(
            units: c.units, kernelInitializer: .glorotUniform(seed: c.seed),
            recurrentInitializer: .orthogonal(seed: c.seed + 1), biasInitializer: .randomNormal(stddev: 0.3, seed: c.seed + 2),
            dropout: c.dropout, seed: c.seed + 3, returnSequences: c.returnSequences, returnState: c.returnState,
            goBackwards: c.goBackwards, timeMajor: c.timeMajor, useCuDNN: device ? .enabled : .disabled)
        gru.deviceBackendOverride = device ? backend : nil
        return c.bidirectional ? try Bidirectional(gru) : gru
    }

    /// Runs `c` through the device path (`backend`, or the GPU when `nil`) and the CPU path.
    ///
    /// - Throws: ``LayerError`` when the device cannot run the case.
    package static func compare(_ c: Case, backend: (any GRUDeviceBackend)? = nil) throws -> Difference {
        let cpu = try makeLayer(c, device: false, backend: nil)
        let device = try makeLayer(c, device: true, backend: backend)
        let shape = c.timeMajor ? [c.steps, c.batch, c.features] : [c.batch, c.steps, c.features]
        try cpu.build(inputShape: shape.map { $0 })
        try device.build(inputShape: shape.map { $0 })
        try device.setWeights(cpu.weights)
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: c.seed + 4).makeTensor(shape: shape)
        var mask: Tensor<Bool>?
        if c.masked {
            var values = [Bool](), state = c.seed
            for _ in 0..<c.batch {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let length = 1 + Int(state >> 33) % c.steps
                values += (0..<c.steps).map { $0 < length }
            }
            mask = try Tensor(shape: [c.batch, c.steps], scalars: values)
        }
        let states = c.initialState
            ? try (0..<(c.bidirectional ? 2 : 1)).map { k -> Tensor<Float> in
                try Initializer.randomNormal(stddev: 0.5, seed: c.seed + 10 + UInt64(k)).makeTensor(shape: [c.batch, c.units])
            }
            : []
        let training = c.dropout > 0
        let a = try cpu.forwardRecording(x, mask: mask, initialState: states, training: training)
        let b = try device.forwardRecording(x, mask: mask, initialState: states, training: training)
        var forward = 0.0
        for (p, q) in zip(a.outputs, b.outputs) { forward = max(forward, Double(try p.maxAbsoluteDifference(to: q))) }
        let gradients = try a.outputs.enumerated().map { k, output -> Tensor<Float>? in
            try Initializer.randomNormal(stddev: 1, seed: c.seed + 20 + UInt64(k)).makeTensor(shape: output.shape)
        }
        let ga = try cpu.backward(gradients), gb = try device.backward(gradients)
        var backward = 0.0
        if let p = ga.input, let q = gb.input { backward = Double(try p.maxAbsoluteDifference(to: q)) }
        for (p, q) in zip(ga.initialStates + ga.weights, gb.initialStates + gb.weights) {
            backward = max(backward, Double(try p.maxAbsoluteDifference(to: q)))
        }
        guard a.outputs.count == b.outputs.count, ga.weights.count == gb.weights.count,
              ga.initialStates.count == gb.initialStates.count else {
            return Difference(forward: .infinity, gradients: .infinity)
        }
        return Difference(forward: forward, gradients: backward)
    }
}
