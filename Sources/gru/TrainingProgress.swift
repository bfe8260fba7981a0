import ArgumentParser
import Foundation
import SwiftGRU

/// Prints Keras-style training progress as `fit`'s `verbose` asks: 1 (and `auto`) a bar with
/// steps, the time left (the time taken at the end), time per step and the metrics, redrawn in
/// place on a terminal, one plain line per epoch otherwise; 2 one line per epoch as Keras
/// writes it; 0 nothing.
final class TrainingProgress {
    /// Keras' `verbose` argument of `fit`.
    enum Verbosity: String, CaseIterable, ExpressibleByArgument {
        case auto, silent = "0", progressBar = "1", oneLinePerEpoch = "2"
    }

    private let verbosity: Verbosity
    private let interactive: Bool
    private var epochStart = Date()
    private var lastDraw = Date.distantPast
    private var currentEpoch: Int?
    private var batchesRun = 0, batches = 0

    /// Progress drawn in place only on a terminal, and not under `mpirun`, whose forwarding
    /// gives each process a terminal whatever the job's output is.
    init(verbosity: Verbosity, distributed: Bool) {
        self.verbosity = verbosity
        interactive = !distributed && isatty(STDOUT_FILENO) != 0
    }

    func handle(_ event: TrainingEvent) {
        guard verbosity != .silent else { return }
        switch event {
        case .batchEnd(let epoch, let batch, let batches, let logs):
            // The first batch seen of an epoch (a run resumed from a backup starts part-way).
            if currentEpoch != epoch {
                currentEpoch = epoch
                epochStart = Date()
                batchesRun = 0
                if interactive, verbosity != .oneLinePerEpoch { print("Epoch \(epoch + 1)") }
            }
            batchesRun += 1
            self.batches = batches
            guard interactive, verbosity != .oneLinePerEpoch else { return }
            // Redraw at most 20 times a second, and always at the last batch.
            guard batch == batches - 1 || Date().timeIntervalSince(lastDraw) > 0.05 else { return }
            lastDraw = Date()
            let done = batch + 1
            let width = 20
            let filled = done * width / max(batches, 1)
            let bar = String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
            let elapsed = Date().timeIntervalSince(epochStart)
            let perStep = elapsed / Double(batchesRun)
            // As Keras' bar: the time left while the epoch runs, the time it took at its end.
            let time = done < batches ? Self.time(perStep * Double(batches - done)) : Self.time(elapsed)
            print("\r\(pad(done, batches))/\(batches) \(bar) \(time) \(Int(perStep * 1000))ms/step - \(Self.metrics(logs))", terminator: "")
            fflush(nil)
        case .epochEnd(let epoch, let epochs, let logs):
            let elapsed = Date().timeIntervalSince(epochStart)
            if verbosity == .oneLinePerEpoch {
                // Keras' verbose 2: `4/4 - 0s - 5ms/step - loss: 1.0858`.
                let perStep = batchesRun > 0 ? elapsed / Double(batchesRun) : 0
                if epochs > 1 { print("Epoch \(epoch + 1)/\(epochs)") }
                print("\(batches)/\(batches) - \(Int(elapsed.rounded()))s - \(Self.stepTime(perStep)) - \(Self.metrics(logs, kerasDigits: true))")
            } else if interactive {
                print(" - \(Self.metrics(logs))")
            } else {
                print("Epoch \(epoch + 1)/\(epochs) - \(Self.time(elapsed)) - \(Self.metrics(logs))")
            }
            currentEpoch = nil
            fflush(nil)
        }
    }

    private func pad(_ value: Int, _ total: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, String(total).count - text.count)) + text
    }

    /// Four decimals; Keras' one-line form writes values of 1e-3 and below in exponent form.
    static func number(_ value: Double, kerasDigits: Bool = false) -> String {
        String(format: kerasDigits && !(value > 1e-3) ? "%.4e" : "%.4f", value)
    }

    /// `name: value` pairs as Keras prints them: the metrics in name order with `loss`
    /// first, then their `val_` versions the same way.
    static func metrics(_ logs: [String: Double], kerasDigits: Bool = false) -> String {
        func order(_ keys: [String]) -> [String] { keys.filter { $0.hasSuffix("loss") }.sorted() + keys.filter { !$0.hasSuffix("loss") }.sorted() }
        let train = order(logs.keys.filter { !$0.hasPrefix("val_") }), validation = order(logs.keys.filter { $0.hasPrefix("val_") })
        return (train + validation).map { "\($0): \(number(logs[$0] ?? 0, kerasDigits: kerasDigits))" }.joined(separator: " - ")
    }

    static func time(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int(seconds * 1000))ms" : "\(Int(seconds.rounded()))s"
    }

    /// The time per step as Keras writes it: s, ms or us per step.
    static func stepTime(_ seconds: Double) -> String {
        if seconds >= 1 || seconds == 0 { return "\(Int(seconds.rounded()))s/step" }
        return seconds >= 1e-3 ? "\(Int((seconds * 1e3).rounded()))ms/step" : "\(Int((seconds * 1e6).rounded()))us/step"
    }
}
