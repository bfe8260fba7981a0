import KerasFiles
import SwiftGRU

/// One input: a weights file (Keras 3 `.weights.h5` or tf.keras 2 weights) loaded into a
/// small fixed model (Embedding, Bidirectional GRU, LSTM, Dense), which then predicts once.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWeights(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let model = try? Sequential<Float>(inputShape: [4], layers: [
        Embedding<Float>(inputDim: 10, outputDim: 3, maskZero: true, name: "embedding"),
        Bidirectional<Float>(GRU<Float>(units: 2, returnSequences: true, name: "gru"), name: "bidirectional"),
        LSTM<Float>(units: 2, name: "lstm"),
        Dense<Float>(units: 1, name: "dense"),
    ]) else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard (try? KerasModelFile.loadWeights(bytes: bytes, into: model, name: "fuzz")) != nil else { return 0 }
    _ = try? model.predict([Tensor<Float>(repeating: 1, shape: [2, 4])], batchSize: nil)
    return 0
}
