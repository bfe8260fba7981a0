import KerasFiles

/// One input: the bytes of an .npy or .npz file. Reading must give arrays or throw.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? NumPyArray(npy: bytes) { _ = try? array.tensor(of: Float.self) }
    if let arrays = try? NumPyArray.arrays(npz: bytes) {
        for entry in arrays { _ = try? entry.array.tensor(of: Float.self) }
    }
    return 0
}
