import KerasFiles
import SwiftGRU

/// One input: a model's JSON configuration (Keras' `model_from_json`). Building it must give
/// a model or throw; a model that builds is run once on a small input, so that shapes and
/// arguments from hostile configurations reach the kernels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let model = try? KerasModelFile.model(fromJSON: text) else { return 0 }
    let inputs = model.inputShapes.map { shape in [1] + shape.dropFirst().map { min(max($0 ?? 2, 1), 8) } }
    if inputs.allSatisfy({ $0.count <= 6 && $0.reduce(1, *) <= 4096 }), model.layers.reduce(0, { $0 + $1.parameterCount }) <= 1 << 20 {
        _ = try? model.predict(inputs.map { Tensor<Float>(repeating: 0.5, shape: $0) }, batchSize: nil)
    }
    return 0
}
