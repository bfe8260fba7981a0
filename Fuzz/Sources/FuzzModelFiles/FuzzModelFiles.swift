import KerasFiles
import SwiftGRU

/// One input: a model file's bytes. Reading it must give a model or throw; a model that
/// loads is also run once on a small input and saved again, as `gru predict` and
/// `gru convert` would.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? KerasModelFile(bytes: bytes, name: "fuzz") else { return 0 }
    // Small concrete inputs: unknown extents become 2, large ones are capped.
    let inputs = file.model.inputShapes.map { shape in [1] + shape.dropFirst().map { min(max($0 ?? 2, 1), 8) } }
    if inputs.allSatisfy({ $0.count <= 6 && $0.reduce(1, *) <= 4096 }) {
        _ = try? file.model.predict(inputs.map { Tensor<Float>(repeating: 0.5, shape: $0) }, batchSize: nil)
    }
    _ = try? KerasModelFile.kerasBytes(for: file.model, compileConfig: file.compileConfig)
    return 0
}
