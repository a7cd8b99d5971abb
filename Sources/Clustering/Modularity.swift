/// Newman's modularity of a partition on the symmetrised k-nearest-neighbour graph of the
/// points (Newman and Girvan, "Finding and evaluating community structure in networks",
/// Phys. Rev. E 2004):
///
///     edges   = {p, q} whenever q is among p's k nearest neighbours or p among q's
///     m       = the number of edges;  d(C) = the sum of the degrees of C's points
///     Q       = sum over clusters C of  edges inside C / m  -  (d(C) / 2m)^2
///
/// the share of edges inside clusters beyond what a random graph with the same degrees
/// would put there. It lies in [-1/2, 1); one cluster scores 0.
///
/// - Parameters:
///   - labels: one cluster label per point, in `0..<clusterCount`.
///   - neighbors: row-major `n x k`, each point's k nearest neighbours (itself excluded),
///     as `KDTree.neighborsOfEveryPoint(k)` returns them.
public func modularity(_ labels: [Int], clusterCount: Int, neighbors: [Int32], k: Int) -> Double {
    let n = labels.count
    var inside = [Double](repeating: 0, count: clusterCount)
    var degree = [Double](repeating: 0, count: clusterCount)
    var edges = 0.0
    for point in 0..<n {
        for rank in 0..<k {
            let other = Int(neighbors[point * k + rank])
            // An edge both ends name is seen twice: half each time.
            let mutual = neighbors[(other * k)..<((other + 1) * k)].contains(Int32(point))
            let weight = mutual ? 0.5 : 1
            edges += weight
            degree[labels[point]] += weight
            degree[labels[other]] += weight
            if labels[point] == labels[other] { inside[labels[point]] += weight }
        }
    }
    guard edges > 0 else { return 0 }
    var q = 0.0
    for cluster in 0..<clusterCount {
        let share = degree[cluster] / (2 * edges)
        q += inside[cluster] / edges - share * share
    }
    return q
}

/// The modularity of `labels` on the nearest-neighbour graph of `points` (row-major
/// `n x dimension`) that `graphReach` gives for n points: the graph the modularity rule scores
/// on, so that two partitions of two layouts of the same items can be compared for how cleanly
/// each divides its own layout. Nil when there are no more points than neighbours.
public func layoutModularity(
    _ points: [Float], dimension: Int, labels: [Int], clusterCount: Int, graphReach: GraphReach = .hundredthOfPoints
) -> Double? {
    let k = graphReach.neighborCount(forPointCount: labels.count)
    guard labels.count > k, points.count == labels.count * dimension else { return nil }
    let graph = KDTree(points: points, dimension: dimension).neighborsOfEveryPoint(k)
    return modularity(labels, clusterCount: clusterCount, neighbors: graph.indices, k: k)
}
