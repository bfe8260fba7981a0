import KerasFiles

/// One input: the bytes of a zip archive. Listing it and inflating every entry must give
/// bytes or throw.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let archive = try? ZipArchive(bytes: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    for entry in archive.entries { _ = try? archive.contents(of: entry) }
    return 0
}
