import Foundation
import SwiftGRU

/// Prints Keras-style training progress: a bar with steps, the time left (the time taken at
/// the end), time per step and the metrics, redrawn in place on a terminal; one plain line
/// per epoch otherwise.
final class TrainingProgress {
    private let interactive: Bool
    private var epochStart = Date()
    private var lastDraw = Date.distantPast

    /// Progress drawn in place only on a terminal, and not under `mpirun`, whose forwarding
    /// gives each process a terminal whatever the job's output is.
    init(distributed: Bool) {
        interactive = !distributed && isatty(STDOUT_FILENO) != 0
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .batchEnd(let epoch, let batch, let batches, let logs):
            if batch == 0 {
                epochStart = Date()
                if interactive { print("Epoch \(epoch + 1)") }
            }
            guard interactive else { return }
            // Redraw at most 20 times a second, and always at the last batch.
            guard batch == batches - 1 || Date().timeIntervalSince(lastDraw) > 0.05 else { return }
            lastDraw = Date()
            let done = batch + 1
            let width = 20
            let filled = done * width / max(batches, 1)
            let bar = String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
            let elapsed = Date().timeIntervalSince(epochStart)
            let perStep = elapsed / Double(done)
            // As Keras' bar: the time left while the epoch runs, the time it took at its end.
            let time = done < batches ? Self.time(perStep * Double(batches - done)) : Self.time(elapsed)
            print("\r\(pad(done, batches))/\(batches) \(bar) \(time) \(Int(perStep * 1000))ms/step - \(Self.metrics(logs))", terminator: "")
            fflush(nil)
        case .epochEnd(let epoch, let epochs, let logs):
            let metrics = Self.metrics(logs)
            let elapsed = Self.time(Date().timeIntervalSince(epochStart))
            if interactive {
                print(" - \(metrics)")
            } else {
                print("Epoch \(epoch + 1)/\(epochs) - \(elapsed) - \(metrics)")
            }
            fflush(nil)
        }
    }

    private func pad(_ value: Int, _ total: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, String(total).count - text.count)) + text
    }

    static func number(_ value: Double) -> String { String(format: "%.4f", value) }

    /// `name: value` pairs as Keras prints them: the metrics in name order with `loss`
    /// first, then their `val_` versions the same way.
    static func metrics(_ logs: [String: Double]) -> String {
        func order(_ keys: [String]) -> [String] { keys.filter { $0.hasSuffix("loss") }.sorted() + keys.filter { !$0.hasSuffix("loss") }.sorted() }
        let train = order(logs.keys.filter { !$0.hasPrefix("val_") }), validation = order(logs.keys.filter { $0.hasPrefix("val_") })
        return (train + validation).map { "\($0): \(number(logs[$0] ?? 0))" }.joined(separator: " - ")
    }

    static func time(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int(seconds * 1000))ms" : "\(Int(seconds.rounded()))s"
    }
}
