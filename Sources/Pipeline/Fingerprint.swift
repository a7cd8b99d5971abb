import Datasets
import Foundation

/// A short, stable digest of settings: FNV-1a (64 bits) of their key-sorted JSON, in hex.
/// Stages compare fingerprints to know whether what they made still matches the settings.
func fingerprint<Value: Encodable>(_ value: Value, after upstream: String = "") throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var hash = FNV1a()
    hash.add(Array(upstream.utf8))
    hash.add(Array(try encoder.encode(value)))
    return hash.hex
}

/// A digest of a dataset's contents (shape, pixels or values, labels), so that a file
/// regenerated at the same path is seen as new data and a renamed one as the same.
func fingerprint(_ contents: DatasetContents) -> String {
    var hash = FNV1a()
    switch contents {
    case let .images(dataset):
        hash.add(Array("images \(dataset.count)x\(dataset.channels)x\(dataset.height)x\(dataset.width)".utf8))
        dataset.pixels.withUnsafeBytes { hash.add($0) }
        if let labels = dataset.labels { labels.withUnsafeBytes { hash.add($0) } }
    case let .features(matrix):
        hash.add(Array("features \(matrix.rows)x\(matrix.columns)".utf8))
        matrix.values.withUnsafeBytes { hash.add($0) }
        if let labels = matrix.labels { labels.withUnsafeBytes { hash.add($0) } }
    }
    return hash.hex
}

/// FNV-1a, 64 bits.
private struct FNV1a {
    private var state: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            state ^= UInt64(byte)
            state &*= 0x0000_0100_0000_01B3
        }
    }

    var hex: String { String(state, radix: 16) }
}
