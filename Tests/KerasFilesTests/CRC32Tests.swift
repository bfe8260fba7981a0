import Testing
@testable import KerasFiles

@Suite("CRC-32")
struct CRC32Tests {
    /// One byte at a time, as the zip specification writes it.
    static func bytewise(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    @Test("the check value and every length against one byte at a time")
    func matchesTheBytewiseCRC() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        let bytes = (0..<300).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(state >> 56)
        }
        for length in 0...bytes.count {
            let prefix = Array(bytes.prefix(length))
            #expect(CRC32.checksum(prefix) == Self.bytewise(prefix), "\(length) bytes")
        }
    }
}
