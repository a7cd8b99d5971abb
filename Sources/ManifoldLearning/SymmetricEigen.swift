#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Eigen-decomposition of a symmetric tridiagonal matrix by the implicit QL method (EISPACK's
/// `tql2`), in place.
///
/// - diagonal: m values; on return the eigenvalues (unsorted).
/// - offDiagonal: m values, `offDiagonal[i] = T[i, i + 1]`, the last one ignored; destroyed.
/// - vectors: m x m row-major; on return column j is the eigenvector of `diagonal[j]`.
func tridiagonalEigen(diagonal d: inout [Double], offDiagonal e: inout [Double], vectors z: inout [Double]) {
    let m = d.count
    z = [Double](repeating: 0, count: m * m)
    for i in 0..<m { z[i * m + i] = 1 }
    if m == 0 { return }
    e[m - 1] = 0
    for l in 0..<m {
        var iteration = 0
        var split = l
        repeat {
            split = l
            while split < m - 1 {
                let scale = abs(d[split]) + abs(d[split + 1])
                if abs(e[split]) <= Double.ulpOfOne * scale { break }
                split += 1
            }
            if split == l { break }
            iteration += 1
            if iteration > 100 { break }
            var g = (d[l + 1] - d[l]) / (2 * e[l])
            var r = hypot(g, 1)
            g = d[split] - d[l] + e[l] / (g + (g >= 0 ? abs(r) : -abs(r)))
            var s = 1.0, c = 1.0, p = 0.0
            var i = split - 1
            var underflow = false
            while i >= l {
                var f = s * e[i]
                let b = c * e[i]
                r = hypot(f, g)
                e[i + 1] = r
                if r == 0 {
                    d[i + 1] -= p
                    e[split] = 0
                    underflow = true
                    break
                }
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                for k in 0..<m {
                    f = z[k * m + i + 1]
                    z[k * m + i + 1] = s * z[k * m + i] + c * f
                    z[k * m + i] = c * z[k * m + i] - s * f
                }
                i -= 1
            }
            if underflow { continue }
            d[l] -= p
            e[l] = g
            e[split] = 0
        } while true
    }
}

/// Eigen-decomposition of a small dense symmetric matrix by cyclic Jacobi rotations.
///
/// - matrix: m x m row-major, symmetric.
/// - Returns: eigenvalues in decreasing order and the matching eigenvectors as the columns of
///   an m x m row-major matrix.
func symmetricEigen(_ matrix: [Double], size m: Int) -> (values: [Double], vectors: [Double]) {
    var a = matrix
    var v = [Double](repeating: 0, count: m * m)
    for i in 0..<m { v[i * m + i] = 1 }
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<m { for q in (p + 1)..<max(p + 1, m) { off += a[p * m + q] * a[p * m + q] } }
        if off < 1e-24 { break }
        for p in 0..<m {
            for q in (p + 1)..<max(p + 1, m) where abs(a[p * m + q]) > 1e-300 {
                let theta = (a[q * m + q] - a[p * m + p]) / (2 * a[p * m + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<m {
                    let akp = a[k * m + p], akq = a[k * m + q]
                    a[k * m + p] = c * akp - s * akq
                    a[k * m + q] = s * akp + c * akq
                }
                for k in 0..<m {
                    let apk = a[p * m + k], aqk = a[q * m + k]
                    a[p * m + k] = c * apk - s * aqk
                    a[q * m + k] = s * apk + c * aqk
                }
                for k in 0..<m {
                    let vkp = v[k * m + p], vkq = v[k * m + q]
                    v[k * m + p] = c * vkp - s * vkq
                    v[k * m + q] = s * vkp + c * vkq
                }
            }
        }
    }
    let order = (0..<m).sorted { a[$0 * m + $0] > a[$1 * m + $1] }
    var vectors = [Double](repeating: 0, count: m * m)
    for (column, source) in order.enumerated() {
        for k in 0..<m { vectors[k * m + column] = v[k * m + source] }
    }
    return (order.map { a[$0 * m + $0] }, vectors)
}
