#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `x^p` for a fixed p by table: x's float bits select one of 128 bins per power of two
/// (2^-64 <= x < 2^64; beyond, x is clamped), and the value is interpolated linearly within
/// the bin, to within 1e-5 relative for 0 < p < 2.
///
/// UMAP's gradient needs `d^(2b)` once per sample, on a chain of dependent updates, so the
/// latency of this power is the layout's speed: a table load and one interpolation are about
/// four times quicker than `powf`, and the SGD's own noise is far above the error.
struct PowerTable: Sendable {
    /// Bins start at the float whose top 16 bits are `firstKey` (2^-64).
    static let firstKey: UInt32 = (127 - 64) << 7
    static let binCount = 128 * 128
    let values: [Float] // binCount + 1 samples at bin starts

    init(exponent p: Float) {
        values = (0...Self.binCount).map { bin in
            let x = Float(bitPattern: (Self.firstKey + UInt32(bin)) << 16)
            return Float(pow(Double(x), Double(p)))
        }
    }

    /// `x^p` from the table's storage (`values`' base address), for hot loops.
    @inline(__always)
    static func evaluate(_ x: Float, table: UnsafePointer<Float>) -> Float {
        let bits = x.bitPattern
        let key = Int(bits >> 16) - Int(Self.firstKey)
        let bin = min(max(key, 0), Self.binCount - 1)
        // The low 16 bits are the position inside the bin, linear in x; clamped outside.
        let fraction = key == bin ? Float(bits & 0xFFFF) * (1.0 / 65_536) : (key < 0 ? 0 : 1)
        let low = table[bin]
        return low + fraction * (table[bin + 1] - low)
    }
}
