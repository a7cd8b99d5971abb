import Basics

/// The 2-D view the report draws of the 3-D point cloud: the plane of its first two principal axes.
///
/// Of all orthogonal projections of the cloud to 2-D, this one keeps the most of its spread,
/// so the clusters that UMAP separated in 3-D overlap least on the page. The axes are the
/// eigenvectors of the 3 x 3 covariance matrix (found with Jacobi rotations), sorted by
/// eigenvalue; each is signed so that its largest component is positive, which makes the view
/// the same on every run with the same coordinates.
public struct PrincipalPlane: Sendable {
    /// Coordinates along the first and second principal axes, shape n each.
    public let first: [Double]
    public let second: [Double]
    /// Fraction of the total variance along each of the two axes.
    public let varianceShares: (first: Double, second: Double)

    /// - Parameter coordinates: n x 3, row-major. A point with a non-finite coordinate takes
    ///   no part in finding the axes and projects to NaN.
    public init(coordinates: [Float]) {
        checkArgument(coordinates.count % 3 == 0, "PrincipalPlane: \(coordinates.count) values is not n x 3")
        let count = coordinates.count / 3
        let finite = (0..<count).filter { point in (0..<3).allSatisfy { coordinates[3 * point + $0].isFinite } }
        var mean = [0.0, 0.0, 0.0]
        for point in finite {
            for axis in 0..<3 { mean[axis] += Double(coordinates[3 * point + axis]) }
        }
        for axis in 0..<3 { mean[axis] /= Double(max(finite.count, 1)) }

        var covariance = [[Double]](repeating: [0, 0, 0], count: 3)
        for point in finite {
            for row in 0..<3 {
                let centred = Double(coordinates[3 * point + row]) - mean[row]
                for column in row..<3 {
                    covariance[row][column] += centred * (Double(coordinates[3 * point + column]) - mean[column])
                }
            }
        }
        for row in 0..<3 { for column in 0..<row { covariance[row][column] = covariance[column][row] } }

        let (values, vectors) = symmetricEigen3(covariance)
        let total = values.reduce(0, +)
        varianceShares = total > 0 ? (values[0] / total, values[1] / total) : (0, 0)
        var first = [Double](repeating: .nan, count: count)
        var second = [Double](repeating: .nan, count: count)
        for point in finite {
            first[point] = 0
            second[point] = 0
            for axis in 0..<3 {
                let centred = Double(coordinates[3 * point + axis]) - mean[axis]
                first[point] += centred * vectors[0][axis]
                second[point] += centred * vectors[1][axis]
            }
        }
        self.first = first
        self.second = second
    }
}

/// Eigenvalues (descending) and unit eigenvectors of a symmetric 3 x 3 matrix, by cyclic
/// Jacobi rotations. Each vector is signed so that its largest-magnitude component is positive.
func symmetricEigen3(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
    var a = matrix
    var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]  // columns are the eigenvectors
    for _ in 0..<50 {
        let offDiagonal = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]
        let diagonal = a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2]
        if offDiagonal <= 1e-30 * max(diagonal, 1e-300) { break }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p][q] != 0 {
            // The rotation that zeroes a[p][q]: t = tan(angle), the smaller root of t^2 + 2 theta t - 1 = 0.
            let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
            let t = (theta >= 0 ? 1.0 : -1.0) / (theta.magnitude + (theta * theta + 1).squareRoot())
            let c = 1 / (t * t + 1).squareRoot(), s = t * c
            for k in 0..<3 {  // a <- a J
                let akp = a[k][p], akq = a[k][q]
                a[k][p] = c * akp - s * akq
                a[k][q] = s * akp + c * akq
            }
            for k in 0..<3 {  // a <- J^T a
                let apk = a[p][k], aqk = a[q][k]
                a[p][k] = c * apk - s * aqk
                a[q][k] = s * apk + c * aqk
            }
            for k in 0..<3 {  // v <- v J
                let vkp = v[k][p], vkq = v[k][q]
                v[k][p] = c * vkp - s * vkq
                v[k][q] = s * vkp + c * vkq
            }
        }
    }
    let order = [0, 1, 2].sorted { (a[$0][$0], $1) > (a[$1][$1], $0) }
    let vectors = order.map { column -> [Double] in
        let vector = (0..<3).map { v[$0][column] }
        let largest = vector.max { $0.magnitude < $1.magnitude } ?? 0
        return largest < 0 ? vector.map { -$0 } : vector
    }
    return (order.map { max(0, a[$0][$0]) }, vectors)
}
