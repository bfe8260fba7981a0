import HDF5

/// One input: the bytes of an HDF5 file. Opening it and reading every attribute and dataset
/// (to a bounded depth) must give values or throw.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let file = try? HDF5File(bytes: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    func visit(_ group: HDF5Group, depth: Int) {
        guard depth < 16 else { return }
        _ = group.attributes.values.map(\.value.count)
        for name in group.memberNames {
            switch group.members[name] {
            case .group(let child)?: visit(child, depth: depth + 1)
            case .dataset(let dataset)?:
                _ = dataset.attributes.count
                _ = try? file.read(dataset).doubles
            case nil: break
            }
        }
    }
    visit(file.root, depth: 0)
    return 0
}
