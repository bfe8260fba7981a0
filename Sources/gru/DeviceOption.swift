import ArgumentParser
import Foundation
import SwiftGRU

extension ComputeDevice: ExpressibleByArgument {}

extension ComputePrecision: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

/// `--device` and `--precision`: where the GRU layers of a command run, and in what precision.
struct DeviceOption: ParsableArguments {
    @Option(help: "Where GRU layers run: auto (the GPU when there is one and a layer can use cuDNN), cpu or gpu. Default: GRU_DEVICE, else auto.")
    var device: ComputeDevice?

    @Option(help: "Precision of the GRU products: fp32 (Keras-exact) or bf16 (bfloat16 products, float32 sums and states; needs AVX512_BF16). Default: GRU_PRECISION, else fp32.")
    var precision: ComputePrecision?

    /// Sets the process's device and precision; `gpu` without a usable GPU is an error naming why.
    func apply() throws {
        if let precision { ComputePrecision.apply(precision) }
        guard let device else { return }
        if device == .gpu, let reason = ComputeDevice.gpuUnavailableReason {
            throw ValidationError("--device gpu: \(reason)")
        }
        ComputeDevice.current = device
    }
}

extension ComputePrecision {
    /// Makes `precision` the process's, with a note on standard error where bfloat16 cannot run.
    static func apply(_ precision: ComputePrecision) {
        if precision == .bfloat16, !isBFloat16Available {
            FileHandle.standardError.write(Data("note: this CPU has no AVX512_BF16 (or GRU_KERNELS_LEVEL caps the kernels): the products run in float32\n".utf8))
        }
        current = precision
    }
}
