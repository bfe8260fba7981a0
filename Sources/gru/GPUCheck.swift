import ArgumentParser
import SwiftGRU

/// Compares the GPU path with the CPU path on random GRUs.
struct GPUCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpu-check",
        abstract: "Check that GRU layers on this machine's GPU (cuDNN) give the CPU's numbers.",
        discussion: """
            Runs random GRUs (masks, return_sequences, return_state, go_backwards, time_major, \
            Bidirectional, initial states, dropout) on the GPU and on the CPU, forwards and backwards, \
            and prints the largest differences. Exits with status 1 when one is over the tolerance.
            """
    )

    @Option(help: "The largest difference allowed, outputs and gradients alike.")
    var tolerance = 1e-4

    func run() throws {
        guard let gpu = ComputeDevice.gpuDescription else {
            throw RuntimeError("no GPU can be used: \(ComputeDevice.gpuUnavailableReason ?? "unknown reason")")
        }
        print("GPU: \(gpu)")
        var worst = 0.0
        for c in DeviceAgreementCheck.standardCases() {
            let difference: DeviceAgreementCheck.Difference
            do {
                difference = try DeviceAgreementCheck.compare(c)
            } catch {
                print("FAIL  \(c): \(error)")
                worst = .infinity
                continue
            }
            worst = max(worst, difference.forward, difference.gradients)
            let verdict = max(difference.forward, difference.gradients) <= tolerance ? "ok" : "FAIL"
            print("\(verdict)  outputs \(format(difference.forward))  gradients \(format(difference.gradients))  \(c)")
        }
        print("largest difference \(format(worst)) (tolerance \(format(tolerance)))")
        if worst > tolerance { throw ExitCode(1) }
    }

    private func format(_ value: Double) -> String {
        value == 0 ? "0" : String(describing: (value * 1e9).rounded() / 1e9)
    }
}
