import ArgumentParser
import SwiftGRU

extension ComputeDevice: ExpressibleByArgument {}

/// `--device`: where the GRU layers of a command run.
struct DeviceOption: ParsableArguments {
    @Option(help: "Where GRU layers run: auto (the GPU when there is one and a layer can use cuDNN), cpu or gpu. Default: GRU_DEVICE, else auto.")
    var device: ComputeDevice?

    /// Sets the process's device; `gpu` without a usable GPU is an error naming why.
    func apply() throws {
        guard let device else { return }
        if device == .gpu, let reason = ComputeDevice.gpuUnavailableReason {
            throw ValidationError("--device gpu: \(reason)")
        }
        ComputeDevice.current = device
    }
}
