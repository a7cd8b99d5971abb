/// The clusters found by a mode-seeking method (GridShift, MeanShift++).
///
/// Cluster labels are `0..<clusterCount`, numbered in order of first appearance over the
/// points (point 0 is in cluster 0), so two runs that find the same partition return the
/// same labels.
public struct ModeSeekingResult: Sendable, Equatable {
    /// One cluster label per point, in `0..<clusterCount`.
    public var labels: [Int]
    /// Row-major `clusterCount x dimension`: the mode each cluster converged to.
    public var centres: [Float]
    /// The number of coordinates of a point.
    public let dimension: Int
    /// The shift passes run (0 when `maximumIterations` is 0).
    public let iterations: Int
    /// Whether the stop rule held before `maximumIterations` ran out.
    public let converged: Bool
    /// The bandwidth `h` used, explicit or automatic.
    public let bandwidth: Float

    /// The number of clusters found.
    public var clusterCount: Int { centres.count / dimension }

    /// Points per cluster, indexed by label.
    public var clusterSizes: [Int] {
        var sizes = [Int](repeating: 0, count: clusterCount)
        for label in labels { sizes[label] += 1 }
        return sizes
    }
}

/// Renumbers `groupOfPoint` (arbitrary group indices in `0..<groupCount`) in order of first
/// appearance over the points; returns the new labels and, for each new label, its group.
func labelsByFirstAppearance(_ groupOfPoint: [Int], groupCount: Int) -> (labels: [Int], groups: [Int]) {
    var labelOfGroup = [Int](repeating: -1, count: groupCount)
    var groups: [Int] = []
    var labels = [Int](repeating: 0, count: groupOfPoint.count)
    for (point, group) in groupOfPoint.enumerated() {
        if labelOfGroup[group] < 0 {
            labelOfGroup[group] = groups.count
            groups.append(group)
        }
        labels[point] = labelOfGroup[group]
    }
    return (labels, groups)
}

/// The checks shared by GridShift and MeanShift++: valid points, a non-negative pass cap,
/// and the resolved bandwidth. Returns the point count and `h`.
func validateModeSeeking(
    _ points: [Float], dimension: Int, bandwidth: Bandwidth, maximumIterations: Int
) throws(ClusteringError) -> (count: Int, bandwidth: Float) {
    let n = try validatePoints(points, dimension: dimension)
    guard maximumIterations >= 0 else {
        throw .invalidSetting(name: "maximumIterations", value: "\(maximumIterations)", expected: ">= 0")
    }
    return (n, try bandwidth.resolve(points, dimension: dimension))
}
