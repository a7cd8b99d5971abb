import Basics

extension ModeSeekingResult {
    /// The optional post-step of SPEC section 7: every cluster holding at most
    /// `maximumShare` of the points (0.5% by default) is reassigned, as a whole, to the
    /// surviving cluster whose centre is nearest (Euclidean) to its own centre. Surviving
    /// centres keep their positions; labels are renumbered by first appearance.
    ///
    /// Off in the headline numbers: report the result next to the plain one. When no cluster
    /// is large enough to survive, the result is returned unchanged.
    ///
    /// - Parameter maximumShare: the largest share of `n` a cluster may hold and still be
    ///   merged away, in [0, 1).
    public func mergingSmallClusters(maximumShare: Double = 0.005) -> ModeSeekingResult {
        checkArgument(maximumShare >= 0 && maximumShare < 1, "mergingSmallClusters: maximumShare \(maximumShare) outside [0, 1)")
        let sizes = clusterSizes
        let limit = maximumShare * Double(labels.count)
        let survivors = sizes.indices.filter { Double(sizes[$0]) > limit }
        if survivors.isEmpty || survivors.count == sizes.count { return self }
        var target = Array(sizes.indices)
        for cluster in sizes.indices where Double(sizes[cluster]) <= limit {
            var best = survivors[0], bestDistance = Float.infinity
            for survivor in survivors {
                var distance: Float = 0
                for axis in 0..<dimension {
                    let step = centres[cluster * dimension + axis] - centres[survivor * dimension + axis]
                    distance += step * step
                }
                if distance < bestDistance { bestDistance = distance; best = survivor }
            }
            target[cluster] = best
        }
        return joining(into: target)
    }

    /// Every cluster c merged, as a whole, into cluster `target[c]` (itself to stay), which
    /// keeps its centre; labels renumbered by first appearance.
    func joining(into target: [Int]) -> ModeSeekingResult {
        let (newLabels, clusterOfLabel) = labelsByFirstAppearance(labels.map { target[$0] }, groupCount: clusterCount)
        var result = self
        result.labels = newLabels
        result.centres = clusterOfLabel.flatMap { centres[($0 * dimension)..<(($0 + 1) * dimension)] }
        return result
    }
}

extension ModeSeekingResult {
    /// Every cluster holding fewer than `shareOfMedian` times the median cluster size joins,
    /// as a whole, the cluster of the nearest point (Euclidean) among the larger clusters; the
    /// larger clusters keep their centres. Labels are renumbered by first appearance.
    ///
    /// Unlike `mergingSmallClusters`, the bar is relative to the clusters found, not to `n`:
    /// a clump of 30 points beside clusters of 180 (a learned layout's stray piece of a class)
    /// joins its nearest neighbour, while 100 groups of 60 to 300 points all stay. A group
    /// smaller than a quarter of the median (a long tail steeper than that) is joined too,
    /// unless it lies farther than `maximumGap` from every larger cluster.
    ///
    /// - Parameters:
    ///   - points: the clustered points, row-major `labels.count x dimension`.
    ///   - shareOfMedian: in [0, 1]; 0 joins nothing.
    ///   - maximumGap: a small cluster farther than this from every point of the larger ones
    ///     stays a cluster of its own (a rare group set apart, not a stray piece).
    public func joiningSmallClusters(
        points: [Float], shareOfMedian: Double = 0.25, maximumGap: Float = .infinity
    ) -> ModeSeekingResult {
        checkArgument(shareOfMedian >= 0 && shareOfMedian <= 1, "joiningSmallClusters: shareOfMedian \(shareOfMedian) outside [0, 1]")
        checkArgument(points.count == labels.count * dimension, "joiningSmallClusters: \(points.count) values for \(labels.count) points")
        let sizes = clusterSizes
        let sorted = sizes.sorted()
        let median = sorted.count % 2 == 1
            ? Double(sorted[sorted.count / 2])
            : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        let kept = sizes.map { Double($0) >= shareOfMedian * median }
        guard kept.contains(true) && kept.contains(false) else { return self }

        var keptPoints: [Int] = [], joiningPoints: [Int] = []
        for point in labels.indices {
            if kept[labels[point]] { keptPoints.append(point) } else { joiningPoints.append(point) }
        }
        func coordinates(_ indices: [Int]) -> [Float] {
            indices.flatMap { points[($0 * dimension)..<(($0 + 1) * dimension)] }
        }
        let tree = KDTree(points: coordinates(keptPoints), dimension: dimension)
        let (nearest, distances) = tree.neighbors(of: coordinates(joiningPoints), count: 1)
        // Each small cluster goes where its member nearest to a kept point points.
        var target = Array(sizes.indices)
        var closest = [Float](repeating: .infinity, count: sizes.count)
        for (rank, point) in joiningPoints.enumerated() where distances[rank] < closest[labels[point]] {
            closest[labels[point]] = distances[rank]
            target[labels[point]] = labels[keptPoints[Int(nearest[rank])]]
        }
        for cluster in sizes.indices where closest[cluster] > maximumGap { target[cluster] = cluster }
        return joining(into: target)
    }
}
