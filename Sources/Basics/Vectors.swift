// The inner loops of every distance: dot products and squared distances of float rows.
import CKernels

/// Rows at least this long go to the C kernels (`nrcc_dot`), which use the CPU's widest
/// vectors; shorter ones (a 3-D layout's points) stay inline, where a call would cost more.
@usableFromInline let kernelRowLength = 32

/// `<a, b>` over `count` floats, in four running sums of eight lanes (a plain loop would not
/// vectorise: float addition is not associative). Four sums, not one: each addition no longer
/// waits for the previous one, which made NN-descent's distances on 784-pixel rows a sixth
/// slower (docs/speed.md). Long rows run in CKernels' `nrcc_dot`, the same sums in the same
/// order in registers of up to 16 floats: the same bits on every CPU.
@inlinable @inline(__always)
public func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    if count >= kernelRowLength { return nrcc_dot(a, b, count) }
    return laneDotProduct(a, b, count: count)
}

/// `|a - b|^2` over `count` floats, in four running sums of eight lanes as `dotProduct`.
@inlinable @inline(__always)
public func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    if count >= kernelRowLength { return nrcc_squared_distance(a, b, count) }
    return laneSquaredDistance(a, b, count: count)
}

/// `dotProduct(a, rows[r], count: dimension)` into `results[r]` for each of `count` rows:
/// one row against several reads it from cache once per four others.
@inlinable
public func dotProducts(
    _ a: UnsafePointer<Float>, _ rows: UnsafePointer<UnsafePointer<Float>?>, count: Int, dimension: Int,
    into results: UnsafeMutablePointer<Float>
) {
    rowsAgainstOne(a, rows, count, dimension, results, kernel: nrcc_dots, lanes: laneDotProduct)
}

/// `squaredDistance(a, rows[r], count: dimension)` into `results[r]`, as `dotProducts`.
@inlinable
public func squaredDistances(
    _ a: UnsafePointer<Float>, _ rows: UnsafePointer<UnsafePointer<Float>?>, count: Int, dimension: Int,
    into results: UnsafeMutablePointer<Float>
) {
    rowsAgainstOne(a, rows, count, dimension, results, kernel: nrcc_squared_distances, lanes: laneSquaredDistance)
}

/// Long rows to the C `kernel`, short ones to the Swift `lanes`, one by one.
@inlinable @inline(__always)
func rowsAgainstOne(
    _ a: UnsafePointer<Float>, _ rows: UnsafePointer<UnsafePointer<Float>?>, _ count: Int, _ dimension: Int,
    _ results: UnsafeMutablePointer<Float>,
    kernel: (UnsafePointer<Float>, UnsafePointer<UnsafePointer<Float>?>, Int, Int, UnsafeMutablePointer<Float>) -> Void,
    lanes: (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float
) {
    if dimension >= kernelRowLength { return kernel(a, rows, count, dimension, results) }
    for r in 0..<count { results[r] = lanes(a, rows[r]!, dimension) }
}

/// `dotProduct` in Swift's vectors, any length: the order the C kernels reproduce.
@inlinable @inline(__always)
public func laneDotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    return laneSum(count, { c in
        rawA.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
            * rawB.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
    }, { c in a[c] * b[c] })
}

/// `squaredDistance` in Swift's vectors, any length.
@inlinable @inline(__always)
public func laneSquaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    return laneSum(count, { c in
        let t = rawA.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
            - rawB.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
        return t * t
    }, { c in let t = a[c] - b[c]; return t * t })
}

/// The sum over `0..<count` of `lanes(c)` (the eight terms from c) and `scalar(c)` (one term)
/// for the last `count % 8`: blocks of 32 in four sums, then blocks of 8 in the first, then
/// the tail. Under 32 terms this is the sum of one eight-lane register, then the tail.
@inlinable @inline(__always)
func laneSum(_ count: Int, _ lanes: (Int) -> SIMD8<Float>, _ scalar: (Int) -> Float) -> Float {
    var sums = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var c = 0
    while c + 32 <= count {
        sums.0 += lanes(c)
        sums.1 += lanes(c + 8)
        sums.2 += lanes(c + 16)
        sums.3 += lanes(c + 24)
        c += 32
    }
    while c + 8 <= count {
        sums.0 += lanes(c)
        c += 8
    }
    var sum = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
    while c < count { sum += scalar(c); c += 1 }
    return sum
}
