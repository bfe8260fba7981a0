import ArgumentParser
import KerasFiles

/// Loads a model and saves it again: as a Keras 3 `.keras` file, or as PyTorch `nn.GRU`
/// weights, or from them.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model: Keras (.keras or tf.keras .h5) to .keras, and PyTorch nn.GRU weights (.safetensors) to and from Keras.",
        discussion: """
            gru convert legacy.h5 model.keras                  a Keras model as a Keras 3 file
            gru convert --from-pytorch gru.safetensors m.keras  an nn.GRU's state dict as Keras GRU layers (batch first)
            gru convert m.keras gru.safetensors                 Keras GRU layers (reset_after) as an nn.GRU state dict
            gru convert m.keras m.onnx --verify                 an ONNX model, checked against ONNX Runtime when Python has it
            """)

    @Argument(help: "The model file to read.")
    var model: String

    @Argument(help: "The file to write: .keras, or .safetensors for PyTorch.")
    var output: String

    @Flag(help: "Read the model as an nn.GRU's state dict in a .safetensors file.")
    var fromPytorch = false

    @Option(help: "The GRU's prefix in the state dict (e.g. 'encoder.gru.'), when it holds several.")
    var prefix: String?

    @Flag(help: "With an .onnx output: run the model here and in ONNX Runtime (Python's onnxruntime) on random inputs and print the largest difference.")
    var verify = false

    @Flag(help: "With an .onnx output: give every recurrent layer its initial states as inputs and its final states as outputs, to run a chunk at a time.")
    var streaming = false

    func run() throws {
        if output.hasSuffix(".onnx") {
            let file = try KerasModelFile.opening(model)
            try AtomicFile.write(try streaming ? ONNXExport.streamingBytes(for: file.model) : ONNXExport.bytes(for: file.model), to: output)
            print("wrote \(output)")
            if verify, !streaming { try ONNXVerification.run(file.model, onnx: output) }
            if verify, streaming { print("--verify checks whole-sequence exports; run the streaming one from Python") }
            return
        }
        if output.hasSuffix(".safetensors") {
            let file = try KerasModelFile.opening(model)
            let tensors = try PyTorchGRU.stateDict(of: file.model, prefix: prefix ?? "")
            try AtomicFile.write(try SafeTensors.bytes(tensors), to: output)
            print("wrote \(output): \(tensors.keys.sorted().joined(separator: ", "))")
            return
        }
        guard output.hasSuffix(".keras") else { throw ValidationError("the output must be a .keras, .onnx or .safetensors file, got '\(output)'") }
        if fromPytorch {
            let model = try PyTorchGRU.model(safeTensors: readFile(self.model), prefix: prefix)
            try KerasModelFile.save(model, to: output)
        } else {
            let file = try KerasModelFile.opening(model)
            try KerasModelFile.save(file.model, compileConfig: file.compileConfig, to: output)
        }
        print("wrote \(output)")
    }
}
