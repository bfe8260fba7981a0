import ArgumentParser
import KerasFiles
import SwiftGRU

/// Prints a model's layers like Keras' `model.summary()`.
struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the layers, output shapes and parameter counts of a Keras model.")

    @Argument(help: "The model file (.keras, or a tf.keras 2 .h5).")
    var model: String

    func run() throws {
        print(try KerasModelFile.opening(model).model.summary())
    }
}
