/// The CRC-32 of zip entries (polynomial 0xEDB88320), eight bytes per step ("slicing by 8"):
/// a weights file of tens of megabytes is checked on every load and save.
enum CRC32 {
    /// Eight tables of 256, one after the other: entry `256 * k + b` is the CRC of byte `b`
    /// followed by `k` zero bytes.
    static let tables: [UInt32] = {
        var tables = (0..<256).map { n -> UInt32 in
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            return c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = tables[256 * (k - 1) + b]
                tables.append(previous >> 8 ^ tables[Int(previous & 0xFF)])
            }
        }
        return tables
    }()

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { bytes in
                var i = 0
                while i + 8 <= bytes.count {
                    let low = crc ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                    crc = t[1792 + Int(low & 0xFF)] ^ t[1536 + Int(low >> 8 & 0xFF)] ^ t[1280 + Int(low >> 16 & 0xFF)]
                        ^ t[1024 + Int(low >> 24)] ^ t[768 + Int(bytes[i + 4])] ^ t[512 + Int(bytes[i + 5])]
                        ^ t[256 + Int(bytes[i + 6])] ^ t[Int(bytes[i + 7])]
                    i += 8
                }
                while i < bytes.count {
                    crc = t[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                    i += 1
                }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
