import ArgumentParser
import KerasFiles

/// Loads a model and saves it again as a Keras 3 `.keras` file.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read a Keras model (.keras or tf.keras .h5) and write it as a Keras 3 .keras file.")

    @Argument(help: "The model file to read.")
    var model: String

    @Argument(help: "The .keras file to write.")
    var output: String

    func run() throws {
        guard output.hasSuffix(".keras") else { throw ValidationError("the output must be a .keras file, got '\(output)'") }
        let file = try KerasModelFile.opening(model)
        try KerasModelFile.save(file.model, compileConfig: file.compileConfig, to: output)
        print("wrote \(output)")
    }
}
