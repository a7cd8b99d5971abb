/// `x^p` for `x > 0`, to about 1e-5 relative: `2^(p log2 x)` with short polynomials for the
/// mantissa's logarithm and the fractional power of two. UMAP's gradient evaluates
/// `d^(2b)` several times per sample; `powf` was a quarter of the layout's time, and the
/// SGD's own noise is far above this error.
@inline(__always)
func fastPower(_ x: Float, _ p: Float) -> Float {
    // x = m 2^e with m in [1, 2).
    let bits = x.bitPattern
    let exponent = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 127)
    let mantissa = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
    // log2 m = 2 / ln 2 * atanh(t), t = (m - 1) / (m + 1) in [0, 1/3].
    let t = (mantissa - 1) / (mantissa + 1)
    let t2 = t * t
    let series = t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9)))))
    let logarithm = exponent + 2.885_390_081_777_926_8 * series
    var y = p * logarithm
    y = min(127, max(-126, y))
    let whole = y.rounded(.down)
    let f = (y - whole) * 0.693_147_180_559_945_3 // in [0, ln 2)
    // e^f, degree 7.
    let power = 1 + f * (1 + f * (0.5 + f * (1.0 / 6 + f * (1.0 / 24 + f * (1.0 / 120 + f * (1.0 / 720 + f * (1.0 / 5040)))))))
    let scale = Float(bitPattern: UInt32(Int32(whole) + 127) << 23)
    return power * scale
}
