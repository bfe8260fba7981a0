import ArgumentParser
import SwiftGRU

@main
struct GRUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gru",
        abstract: "A Keras-compatible GRU in Swift.",
        subcommands: [Demo.self, Fit.self, Evaluate.self, Predict.self, Summary.self, Convert.self, Bench.self, GPUCheck.self]
    )

    static func main() {
        // A tool, unlike a library, may tune the process's allocator for training.
        MemoryReuse.keepFreedMemory()
        main(nil)
    }
}

/// A failure while a command runs (a file that does not fit the model, a library that cannot
/// be opened): reported as `Error: <message>`, without the usage text that argument errors get.
struct RuntimeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
