/// Bad input to a clustering function. Each message says what was expected, what was found
/// and how to fix it.
public enum ClusteringError: Error, Equatable, Sendable, CustomStringConvertible {
    /// There are no points to cluster.
    case noPoints
    /// The dimension is not positive.
    case invalidDimension(Int)
    /// The number of values is not a multiple of the dimension.
    case shapeMismatch(valueCount: Int, dimension: Int)
    /// A coordinate is NaN or infinite.
    case nonFinite(row: Int, column: Int, value: Float)
    /// An explicit bandwidth is not a positive finite number.
    case invalidBandwidth(Float)
    /// The automatic bandwidth came out zero: the sampled neighbourhoods are all duplicates.
    case degenerateBandwidth(sampledPoints: Int, neighborCount: Int)
    /// The grid of cells of side `bandwidth` over the data's extent has more cells than a
    /// 64-bit key can number.
    case gridTooFine(bandwidth: Float, cellsPerAxis: [Int])
    /// A parameter is out of its range.
    case invalidSetting(name: String, value: String, expected: String)
    /// k-means was asked for more clusters than there are points, or for none.
    case invalidClusterCount(requested: Int, points: Int)

    /// What was expected, what was found, and how to fix it, in one sentence.
    public var description: String {
        switch self {
        case .noPoints:
            return "expected at least one point, found none; pass a non-empty point matrix"
        case .invalidDimension(let dimension):
            return "expected a positive dimension, found \(dimension); pass the number of columns of the point matrix"
        case .shapeMismatch(let valueCount, let dimension):
            return "expected a multiple of the dimension (\(dimension)) of values, found \(valueCount); "
                + "pass a row-major n x \(dimension) matrix"
        case .nonFinite(let row, let column, let value):
            return "expected finite coordinates, found \(value) at row \(row), column \(column); "
                + "remove or repair that row"
        case .invalidBandwidth(let bandwidth):
            return "expected a positive finite bandwidth, found \(bandwidth); pass a bandwidth > 0 or use the automatic one"
        case .degenerateBandwidth(let sampledPoints, let neighborCount):
            return "expected the automatic bandwidth to be positive, found 0 (the \(neighborCount) nearest "
                + "neighbours of \(sampledPoints) sampled points coincide with them); pass an explicit bandwidth"
        case .gridTooFine(let bandwidth, let cellsPerAxis):
            return "expected a grid of at most 2^62 cells, found \(cellsPerAxis.map(String.init).joined(separator: " x ")) "
                + "cells of side \(bandwidth); raise the bandwidth or rescale the points"
        case .invalidSetting(let name, let value, let expected):
            return "expected \(name) \(expected), found \(value); change \(name)"
        case .invalidClusterCount(let requested, let points):
            return "expected a cluster count in 1...\(points) (the number of points), found \(requested); change k"
        }
    }
}

/// Checks a row-major point matrix once, at the entry of every public clustering function.
func validatePoints(_ points: [Float], dimension: Int) throws(ClusteringError) -> Int {
    guard dimension > 0 else { throw .invalidDimension(dimension) }
    guard !points.isEmpty else { throw .noPoints }
    guard points.count % dimension == 0 else {
        throw .shapeMismatch(valueCount: points.count, dimension: dimension)
    }
    for index in points.indices where !points[index].isFinite {
        throw .nonFinite(row: index / dimension, column: index % dimension, value: points[index])
    }
    return points.count / dimension
}
