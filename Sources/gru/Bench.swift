import ArgumentParser
import Foundation
import GRUCUDA
import SwiftGRU

/// Times a GRU of a given shape, as `peer_bench.py` times the other frameworks.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a GRU forward pass (inference) or forward plus backward pass (training).",
        discussion: "Training mode times the loss sum(last output) and the gradients of every weight, as peer_bench.py does."
    )

    enum Mode: String, ExpressibleByArgument { case inference, training }
    enum Lengths: String, ExpressibleByArgument { case full, uniform }

    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Timesteps.") var steps = 100
    @Option(help: "Input features.") var features = 64
    @Option(help: "GRU units.") var units = 128
    @Option(help: "inference or training.") var mode: Mode = .inference
    @Option(help: "Keras' reset_after (true: cuDNN-compatible variant).") var resetAfter = true
    @Option(help: "full, or uniform: sequence lengths drawn uniformly from steps/10 to steps, right-padded and masked (variable-length batches).")
    var lengths: Lengths = .full
    @Option(help: "Timed runs (after warm-up runs).") var repeats = 20
    @Flag(help: "Print one JSON line instead of a table.") var json = false
    @Flag(help: "In training mode, also print the forward and backward time of each timed run.") var breakdown = false
    @Option(help: "cpu, gpu (cuDNN, data already on the GPU, as PyTorch's GPU benchmark) or auto (the GPU when there is one).")
    var device: ComputeDevice = .cpu
    @Option(help: "Precision of the products: fp32 or bf16 (bfloat16 products, float32 sums and states; needs AVX512_BF16). Default: GRU_PRECISION, else fp32.")
    var precision: ComputePrecision?
    @Flag(help: .hidden) var cudnnPadded = false
    @Option(help: .hidden) var cudnnAlgorithm: String?

    func validate() throws {
        guard batch > 0, steps > 0, features > 0, units > 0, repeats > 0 else {
            throw ValidationError("--batch, --steps, --features, --units and --repeats must be positive")
        }
        if let cudnnAlgorithm, CuDNNAlgorithm(rawValue: cudnnAlgorithm) == nil {
            throw ValidationError("--cudnn-algorithm must be one of \(CuDNNAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        if let precision { ComputePrecision.apply(precision) }
        let onGPU = device == .gpu || (device == .auto && ComputeDevice.gpuUnavailableReason == nil)
        if onGPU {
            guard resetAfter else { throw ValidationError("--device gpu: cuDNN runs reset_after = true only") }
            guard lengths == .full else { throw ValidationError("--device gpu: --lengths uniform runs on the CPU only") }
            if let reason = ComputeDevice.gpuUnavailableReason { throw ValidationError("--device gpu: \(reason)") }
            let times = try CuDNNGRUBenchmark.run(
                batch: batch, steps: steps, features: features, units: units, training: mode == .training, repeats: repeats,
                padded: cudnnPadded, algorithm: cudnnAlgorithm.flatMap(CuDNNAlgorithm.init(rawValue:)))
            report(times, device: ComputeDevice.gpuDescription ?? "GPU", meanLength: Double(steps))
            return
        }
        // The CPU path even where a GPU is there: this is the CPU's benchmark.
        let gru = try GRU<Float>(
            units: units, kernelInitializer: .glorotUniform(seed: 1), recurrentInitializer: .orthogonal(seed: 2),
            biasInitializer: .randomNormal(seed: 3), resetAfter: resetAfter, useCuDNN: false)
        try gru.build(inputShape: [batch, steps, features])
        let x: Tensor<Float> = try Initializer.randomNormal(stddev: 1, seed: 4).makeTensor(shape: [batch, steps, features])
        let ones = Tensor<Float>(repeating: 1, shape: [batch, units])
        // Lengths from a fixed seed, so that every run (and the peers' script) sees the same batch.
        var random = RandomGenerator(seed: 5)
        let shortest = lengths == .full ? steps : Swift.max(1, steps / 10)
        let sequenceLengths = (0..<batch).map { _ in shortest + Int(random.next() % UInt64(steps - shortest + 1)) }
        let mask = lengths == .full ? nil : try Tensor<Bool>(
            shape: [batch, steps], scalars: (0..<(batch * steps)).map { $0 % steps < sequenceLengths[$0 / steps] })
        var timing = false
        func once() throws {
            switch mode {
            case .inference:
                _ = try gru(x, mask: mask)
            case .training:
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try gru.forwardRecording(x, mask: mask, initialState: [], training: true)
                let t1 = DispatchTime.now().uptimeNanoseconds
                // Gradients of the weights only, as the peers' benchmark asks for.
                _ = try gru.backward([ones], needsInputGradient: false)
                if breakdown, timing {
                    let t2 = DispatchTime.now().uptimeNanoseconds
                    print(String(format: "forward %.3f ms, backward %.3f ms", Double(t1 - t0) / 1e6, Double(t2 - t1) / 1e6))
                }
            }
        }
        for _ in 0..<3 { try once() }
        timing = true
        var times = [Double]()
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try once()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        report(times, device: "cpu", meanLength: Double(sequenceLengths.reduce(0, +)) / Double(batch))
    }

    /// Prints the median and minimum of `times` (seconds), with the GFLOP/s of the median.
    private func report(_ times: [Double], device: String, meanLength: Double) {
        let times = times.sorted()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let flops = 6.0 * Double(units * (features + units) * batch) * meanLength * (mode == .training ? 3 : 1)
        let gflops = flops / median / 1e9
        if json {
            print("{\"batch\": \(batch), \"steps\": \(steps), \"features\": \(features), \"units\": \(units), \"mode\": \"\(mode.rawValue)\", \"reset_after\": \(resetAfter), \"device\": \"\(device)\", \"lengths\": \"\(lengths.rawValue)\", \"precision\": \"\(ComputePrecision.current.effective(for: Float.self).rawValue)\", \"median_seconds\": \(String(format: "%.6f", median)), \"min_seconds\": \(String(format: "%.6f", times[0])), \"gflops\": \(String(format: "%.2f", gflops))}")
        } else {
            let padded = lengths == .full ? "" : ", lengths uniform in [\(Swift.max(1, steps / 10)), \(steps)] (mean \(String(format: "%.1f", meanLength)))"
            print("GRU B=\(batch) T=\(steps) F=\(features) U=\(units), \(mode.rawValue), reset_after=\(resetAfter)\(padded), \(ComputePrecision.current.effective(for: Float.self).rawValue), on \(device)")
            print("median \(String(format: "%.3f", median * 1000)) ms   min \(String(format: "%.3f", times[0] * 1000)) ms   \(String(format: "%.1f", gflops)) GFLOP/s   (\(repeats) runs)")
        }
    }
}
