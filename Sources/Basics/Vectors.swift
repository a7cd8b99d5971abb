// The inner loops of every distance: dot products and squared distances of float rows.

/// `<a, b>` over `count` floats, eight lanes at a time (a plain loop would not vectorise:
/// float addition is not associative).
@inlinable @inline(__always)
public func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var c = 0
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    while c + 8 <= count {
        lanes += rawA.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
            * rawB.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
        c += 8
    }
    var sum = lanes.sum()
    while c < count { sum += a[c] * b[c]; c += 1 }
    return sum
}

/// `|a - b|^2` over `count` floats, eight lanes at a time.
@inlinable @inline(__always)
public func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var c = 0
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    while c + 8 <= count {
        let t = rawA.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
            - rawB.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
        lanes += t * t
        c += 8
    }
    var sum = lanes.sum()
    while c < count { let t = a[c] - b[c]; sum += t * t; c += 1 }
    return sum
}
