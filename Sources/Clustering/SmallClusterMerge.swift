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
        let (newLabels, clusterOfLabel) = labelsByFirstAppearance(labels.map { target[$0] }, groupCount: sizes.count)
        var newCentres = [Float]()
        newCentres.reserveCapacity(clusterOfLabel.count * dimension)
        for cluster in clusterOfLabel {
            newCentres.append(contentsOf: centres[(cluster * dimension)..<((cluster + 1) * dimension)])
        }
        var result = self
        result.labels = newLabels
        result.centres = newCentres
        return result
    }
}
