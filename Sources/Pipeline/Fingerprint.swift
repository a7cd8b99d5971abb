import Foundation

/// A short, stable digest of settings: FNV-1a (64 bits) of their key-sorted JSON, in hex.
/// Stages compare fingerprints to know whether what they made still matches the settings.
func fingerprint<Value: Encodable>(_ value: Value, after upstream: String = "") throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in Array(upstream.utf8) + Array(try encoder.encode(value)) {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return String(hash, radix: 16)
}
