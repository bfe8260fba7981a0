extension Optional {
    /// Calls `body` with the address of the array's scalars, or with `nil` when there is no array.
    func withBaseAddress<Element, Result>(_ body: (UnsafePointer<Element>?) -> Result) -> Result where Wrapped == [Element] {
        guard let array = self else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
