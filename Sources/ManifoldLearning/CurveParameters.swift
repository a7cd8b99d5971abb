#if canImport(Glibc)
import Basics
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The a and b of UMAP's low-dimensional similarity `1 / (1 + a d^(2b))`, umap-learn's
/// `find_ab_params`: the least-squares fit of that curve, at 300 points evenly spaced on
/// [0, 3 spread], to the offset exponential `1` for `d < min_dist`,
/// `exp(-(d - min_dist) / spread)` beyond.
///
/// umap-learn fits with `scipy.optimize.curve_fit` (MINPACK's Levenberg-Marquardt from
/// a = b = 1); this is Levenberg-Marquardt from the same start with the exact Jacobian, which
/// reaches the same minimum. Double precision throughout.
///
/// - Parameters:
///   - spread: `spread`, > 0.
///   - minimumDistance: `min_dist`, in [0, spread].
public func findABParameters(spread: Float, minimumDistance: Float) -> (a: Float, b: Float) {
    checkArgument(spread > 0, "findABParameters: spread must be positive, got \(spread)")
    let spread = Double(spread), minDist = Double(minimumDistance)
    let count = 300
    let xs = (0..<count).map { spread * 3 * Double($0) / Double(count - 1) }
    let ys = xs.map { $0 < minDist ? 1.0 : exp(-($0 - minDist) / spread) }

    func residualsAndJacobian(_ a: Double, _ b: Double) -> (r: [Double], ja: [Double], jb: [Double]) {
        var r = [Double](repeating: 0, count: count)
        var ja = r, jb = r
        for i in 0..<count {
            let x = xs[i]
            let power = x > 0 ? pow(x, 2 * b) : 0
            let denominator = 1 + a * power
            r[i] = 1 / denominator - ys[i]
            // d/da = -x^(2b) / (1 + a x^(2b))^2; d/db = -2 a x^(2b) ln x / (1 + a x^(2b))^2.
            ja[i] = -power / (denominator * denominator)
            jb[i] = x > 0 ? -2 * a * power * log(x) / (denominator * denominator) : 0
        }
        return (r, ja, jb)
    }
    func cost(_ r: [Double]) -> Double { r.reduce(0) { $0 + $1 * $1 } }

    var a = 1.0, b = 1.0
    var damping = 1e-3
    var current = residualsAndJacobian(a, b)
    var currentCost = cost(current.r)
    for _ in 0..<2000 {
        // Normal equations (J^T J + damping * diag(J^T J)) step = -J^T r, 2 x 2.
        var saa = 0.0, sab = 0.0, sbb = 0.0, ga = 0.0, gb = 0.0
        for i in 0..<count {
            saa += current.ja[i] * current.ja[i]
            sab += current.ja[i] * current.jb[i]
            sbb += current.jb[i] * current.jb[i]
            ga += current.ja[i] * current.r[i]
            gb += current.jb[i] * current.r[i]
        }
        if abs(ga) + abs(gb) < 1e-15 { break }
        var improved = false
        while damping < 1e12 {
            let m11 = saa * (1 + damping), m22 = sbb * (1 + damping), m12 = sab
            let determinant = m11 * m22 - m12 * m12
            let stepA = -(m22 * ga - m12 * gb) / determinant
            let stepB = -(m11 * gb - m12 * ga) / determinant
            let candidate = residualsAndJacobian(a + stepA, b + stepB)
            let candidateCost = cost(candidate.r)
            if candidateCost.isFinite && candidateCost < currentCost {
                let relative = (currentCost - candidateCost) / max(currentCost, 1e-300)
                a += stepA; b += stepB
                current = candidate; currentCost = candidateCost
                damping = max(damping / 10, 1e-12)
                improved = true
                if relative < 1e-14 && abs(stepA) + abs(stepB) < 1e-12 { return (Float(a), Float(b)) }
                break
            }
            damping *= 10
        }
        if !improved { break }
    }
    return (Float(a), Float(b))
}
