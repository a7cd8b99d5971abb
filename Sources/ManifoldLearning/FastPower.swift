/// `x^p` for `x > 0`, to about 1e-5 relative: `2^(p log2 x)` with short polynomials for the
/// mantissa's logarithm and the fractional power of two. UMAP's gradient evaluates
/// `d^(2b)` once per sample along a chain of dependent updates, so its latency is the
/// layout's speed; `powf` was a quarter of the time, and the SGD's own noise is far above
/// this error. Out-of-range results saturate at 2^-126 and 2^127.
@inline(__always)
func fastPower(_ x: Float, _ p: Float) -> Float {
    // x = m 2^e with m in [sqrt(1/2), sqrt(2)).
    let bits = x.bitPattern
    var exponent = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 127)
    var mantissa = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
    if mantissa > 1.414_213_5 { mantissa *= 0.5; exponent += 1 }
    // log2 m = 2 / ln 2 * atanh(t), t = (m - 1) / (m + 1) in [-0.172, 0.172].
    let t = (mantissa - 1) / (mantissa + 1)
    let t2 = t * t
    let series = t + t * t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7)))
    var y = p * (exponent + 2.885_390_081_777_926_8 * series)
    y = min(126, max(-126, y))
    // 2^y = 2^n e^(f ln 2), n = round(y), |f| <= 1/2; truncation then correction, since the
    // baseline x86-64 target has no SSE4.1 rounding instruction.
    var whole = Float(Int32(y + (y >= 0 ? 0.5 : -0.5)))
    if whole < -126 { whole = -126 }
    let f = (y - whole) * 0.693_147_180_559_945_3 // in [-0.347, 0.347]
    // e^f, degree 6 in Estrin's form (shorter dependency chain than Horner's).
    let f2 = f * f
    let low = 1 + f + f2 * (0.5 + f * (1.0 / 6))
    let high = (1.0 / 24 + f * (1.0 / 120)) + f2 * (1.0 / 720)
    let power = low + (f2 * f2) * high
    let scale = Float(bitPattern: UInt32(Int32(whole) + 127) << 23)
    return power * scale
}
