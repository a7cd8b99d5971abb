// The inner loops of every distance: dot products and squared distances of float rows.

/// `<a, b>` over `count` floats, in four running sums of eight lanes (a plain loop would not
/// vectorise: float addition is not associative). Four sums, not one: each addition no longer
/// waits for the previous one, which made NN-descent's distances on 784-pixel rows a sixth
/// slower (docs/speed.md).
@inlinable @inline(__always)
public func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var sums = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var c = 0
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    @inline(__always) func product(_ c: Int) -> SIMD8<Float> {
        rawA.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
            * rawB.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
    }
    while c + 32 <= count {
        sums.0 += product(c)
        sums.1 += product(c + 8)
        sums.2 += product(c + 16)
        sums.3 += product(c + 24)
        c += 32
    }
    while c + 8 <= count {
        sums.0 += product(c)
        c += 8
    }
    var sum = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
    while c < count { sum += a[c] * b[c]; c += 1 }
    return sum
}

/// `|a - b|^2` over `count` floats, in four running sums of eight lanes as `dotProduct`.
@inlinable @inline(__always)
public func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var sums = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var c = 0
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    @inline(__always) func square(_ c: Int) -> SIMD8<Float> {
        let t = rawA.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
            - rawB.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
        return t * t
    }
    while c + 32 <= count {
        sums.0 += square(c)
        sums.1 += square(c + 8)
        sums.2 += square(c + 16)
        sums.3 += square(c + 24)
        c += 32
    }
    while c + 8 <= count {
        sums.0 += square(c)
        c += 8
    }
    var sum = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
    while c < count { let t = a[c] - b[c]; sum += t * t; c += 1 }
    return sum
}
