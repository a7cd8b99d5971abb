import Foundation

/// How GridShift's bandwidth is chosen when none is given: the number of clusters follows.
public enum BandwidthRule: String, Sendable, Codable, CaseIterable {
    /// The default. Runs the silhouette and the persistence rules over one sweep, joins each
    /// one's clusters under a quarter of its median cluster size to their nearest neighbours
    /// when one lies within a few neighbour spacings (`joiningSmallClusters`,
    /// `BandwidthSweep.joiningGap`), and keeps the partition of higher modularity on the points'
    /// nearest-neighbour graph (15 neighbours, fewer below 1,450 points), or the one of fewer
    /// clusters when the two lie within `BandwidthSweep.modularityTolerance` of each other.
    /// The two rules fail in opposite ways: the silhouette keeps a coarse cut where classes
    /// form super-groups (Fashion-MNIST's tops against its shoes), the persistence rule joins
    /// groups that touch without a valley and splits off stray clumps; the graph tells which
    /// cut follows the data. No sweeping rule assumes a number of groups. Measured in
    /// docs/no-k.md: mean ACC 0.808 +- 0.002 over the suite of 2 to 100 groups (silhouette
    /// 0.789, persistence 0.804, HDBSCAN's best setting 0.800) and 0.656 over 68 learned
    /// embeddings (silhouette 0.615, persistence 0.619).
    case modularity
    /// Sweep `h` and keep the partition of highest mean silhouette on the points (the default
    /// until the modularity rule). It keeps coarse cuts: where classes form super-groups it
    /// finds the super-groups.
    case silhouette
    /// Sweep `h` and keep the middle of the longest run of bandwidths that find the same
    /// number of clusters (at least two): the count that holds over the widest range of scales.
    case plateau
    /// Sweep `h` down to `maximumClusterCount` clusters, then merge that finest partition's
    /// fragments by their density valleys over the nearest-neighbour graph (15 neighbours, a
    /// hundredth of the points below 1,450, at least 5)
    /// (`PersistenceMerge`, ToMATo's rule with a prominence relative to each peak): groups
    /// separated by a gap or a deep valley stay apart, each at its own scale.
    case persistence
    /// SPEC section 7's first rule, one `h` from the points' spacing (`AutomaticBandwidth`):
    /// it sizes clusters at about n/14 points, so it suits data of about ten groups.
    case percentile
}

/// The bandwidths a sweep tries and how it scores them.
///
///     E   = the largest extent of the points along any axis (max - min)
///     h_j = E / 2 * 2^(-j / stepsPerOctave),   j = 0, 1, ..., octaveCount * stepsPerOctave
///
/// from one cell spanning half the data down to `octaveCount` halvings, stopping at the first
/// `h` that finds more than `maximumClusterCount` clusters. Each `h` runs GridShift exactly as
/// SPEC section 7 fixes it; each partition's silhouette is measured on one seeded sample of
/// `sampleSize` points (`SampledSilhouette`), the same sample for every `h`.
public struct BandwidthSweep: Sendable, Equatable {
    /// Bandwidths per halving of `h` (6: each is 12% below the last).
    public var stepsPerOctave: Int
    /// Halvings of `h` covered (8: a factor 256 between the first and last).
    public var octaveCount: Int
    /// The points the silhouette is measured on.
    public var sampleSize: Int
    /// The sweep stops past this many clusters (200: the sample still holds about ten points
    /// of an average cluster).
    public var maximumClusterCount: Int
    /// Seeds the silhouette's sample.
    public var seed: UInt64
    /// The modularity rule's reach, in median distances to the graph's last neighbour (the
    /// 15th on 1,450 points or more): a cluster under a quarter of the median size joins a
    /// larger one only if it lies this close. On learned digits layouts the stray clumps that
    /// belong to a neighbour lie 2-7 such spacings from it; a rare group set apart (100 points
    /// beside two groups of 1,000) 11-22, and stays.
    public var joiningGap: Float
    /// The modularity rule's margin: two contenders into different numbers of clusters whose
    /// modularities differ by no more than this are taken as equally supported by the graph,
    /// and the one of fewer clusters is kept. Many partitions score near the top of
    /// modularity's landscape (Good, de Montjoye and Clauset 2010), and a class the layout
    /// draws as two clumps joined by few links scores a little higher cut in two: on a
    /// learned digits layout, 13 clusters at 0.910 against 11 at 0.903. 0 keeps the higher
    /// score, as the rule did before 2026-12-07 (docs/no-k.md).
    public var modularityTolerance: Double
    /// The neighbours of the persistence and modularity rules' graph (`GraphReach`).
    public var graphReach: GraphReach

    public init(
        stepsPerOctave: Int = 6, octaveCount: Int = 8, sampleSize: Int = 2000,
        maximumClusterCount: Int = 200, seed: UInt64 = 0, joiningGap: Float = 8, modularityTolerance: Double = 0.01,
        graphReach: GraphReach = .hundredthOfPoints
    ) {
        self.stepsPerOctave = stepsPerOctave
        self.octaveCount = octaveCount
        self.sampleSize = sampleSize
        self.maximumClusterCount = maximumClusterCount
        self.seed = seed
        self.joiningGap = joiningGap
        self.modularityTolerance = modularityTolerance
        self.graphReach = graphReach
    }

    /// The persistence merge over `n` points, with this sweep's graph.
    func persistenceMerge(pointCount n: Int) -> PersistenceMerge {
        PersistenceMerge(neighborCount: graphReach.neighborCount(forPointCount: n))
    }

    func validate() throws(ClusteringError) {
        func check(_ ok: Bool, _ name: String, _ value: Int, _ expected: String) throws(ClusteringError) {
            if !ok { throw .invalidSetting(name: name, value: "\(value)", expected: expected) }
        }
        try check(stepsPerOctave >= 1 && stepsPerOctave <= 64, "stepsPerOctave", stepsPerOctave, "in 1...64")
        try check(octaveCount >= 1 && octaveCount <= 30, "octaveCount", octaveCount, "in 1...30")
        try check(sampleSize >= 2, "sampleSize", sampleSize, ">= 2")
        try check(maximumClusterCount >= 2, "maximumClusterCount", maximumClusterCount, ">= 2")
        guard joiningGap >= 0 && joiningGap.isFinite else {
            throw .invalidSetting(name: "joiningGap", value: "\(joiningGap)", expected: "a finite number >= 0")
        }
        guard (0...1).contains(modularityTolerance) else {
            throw .invalidSetting(name: "modularityTolerance", value: "\(modularityTolerance)", expected: "in [0, 1]")
        }
        if case .neighbors(let count) = graphReach {
            try check(count >= 1 && count <= PersistenceMerge.maximumNeighborCount, "graphReach", count,
                      "in 1...\(PersistenceMerge.maximumNeighborCount)")
        }
    }
}

/// One bandwidth a sweep tried.
public struct SweepCandidate: Sendable, Equatable, Codable {
    /// The cell side `h`.
    public var bandwidth: Float
    /// The clusters GridShift found at `h`.
    public var clusterCount: Int
    /// The partition's mean silhouette on the sample; `nil` for a single cluster.
    public var silhouette: Double?
}

/// How the bandwidth was chosen: the rule, every bandwidth tried, and the one kept.
public struct BandwidthChoice: Sendable, Equatable, Codable {
    public var rule: BandwidthRule
    /// The bandwidths tried, largest first; one entry for the percentile rule.
    public var candidates: [SweepCandidate]
    /// The index in `candidates` of the bandwidth used; for the persistence rule, of the
    /// finest partition, whose fragments were merged; for the modularity rule, that of the
    /// contender it kept.
    public var chosen: Int
    /// The persistence rule's fragments: each one's peak density and the height at which it
    /// merged (`nil` for those that head a cluster); `nil` for the other rules.
    public var persistence: [PersistencePair]?
    /// The modularity rule's two contenders and their scores; `nil` for the other rules.
    public var arbitration: Arbitration?

    public init(
        rule: BandwidthRule, candidates: [SweepCandidate], chosen: Int, persistence: [PersistencePair]? = nil,
        arbitration: Arbitration? = nil
    ) {
        self.rule = rule
        self.candidates = candidates
        self.chosen = chosen
        self.persistence = persistence
        self.arbitration = arbitration
    }

    /// The cell side used, `candidates[chosen].bandwidth`.
    public var bandwidth: Float { candidates[chosen].bandwidth }
}

/// GridShift with its bandwidth chosen by `rule` (SPEC section 7: a rule that assumes no
/// number of groups by default).
///
/// - Parameters:
///   - points: row-major `n x dimension`, finite.
///   - rule: modularity (the default), silhouette, persistence, plateau, or percentile.
///   - sweep: the bandwidths tried by the sweeping rules; its seed also seeds the percentile
///     rule's sample.
/// - Returns: the clusters at the chosen bandwidth, and how it was chosen.
/// - Throws: `ClusteringError` for bad points or sweep parameters.
public func gridShift(
    _ points: [Float], dimension: Int, selecting rule: BandwidthRule, sweep: BandwidthSweep = BandwidthSweep()
) throws(ClusteringError) -> (result: ModeSeekingResult, choice: BandwidthChoice) {
    if rule == .modularity {
        let n = try validatePoints(points, dimension: dimension)
        try sweep.validate()
        return try gridShiftByModularity(points, dimension: dimension, count: n, sweep: sweep)
    }
    if rule == .persistence {
        let n = try validatePoints(points, dimension: dimension)
        try sweep.validate()
        let merge = sweep.persistenceMerge(pointCount: n)
        try merge.validate()
        let partitions = try sweepPartitions(points, dimension: dimension, count: n, sweep: sweep)
        // The finest partition within the cluster limit (the sweep ends one past it).
        let finest = partitions.lastIndex { $0.clusterCount <= sweep.maximumClusterCount } ?? 0
        let (merged, diagram) = merge.merge(partitions[finest], points: points, dimension: dimension)
        let candidates = partitions.map { SweepCandidate(bandwidth: $0.bandwidth, clusterCount: $0.clusterCount) }
        return (merged, BandwidthChoice(rule: rule, candidates: candidates, chosen: finest, persistence: diagram))
    }
    let choice = try chooseBandwidth(points, dimension: dimension, rule: rule, sweep: sweep)
    return (try gridShift(points, dimension: dimension, bandwidth: .fixed(choice.bandwidth)), choice)
}

/// How the modularity rule chose between the silhouette's and the persistence rule's
/// partitions (each after its small clusters joined their neighbours).
public struct Arbitration: Sendable, Equatable, Codable {
    /// The rule whose partition was kept: `.silhouette` or `.persistence`.
    public var kept: BandwidthRule
    /// The index in the sweep's candidates of the silhouette's bandwidth.
    public var silhouetteChoice: Int
    /// The clusters of each contender.
    public var silhouetteClusters: Int
    public var persistenceClusters: Int
    /// Each contender's modularity on the rule's nearest-neighbour graph (`modularity`).
    public var silhouetteModularity: Double
    public var persistenceModularity: Double
    /// `BandwidthSweep.modularityTolerance` when the choice was made; nil in results written
    /// before the margin existed (0).
    public var tolerance: Double?
    /// The neighbours of the graph both contenders were scored on; nil in results written
    /// before the graph's reach followed the points (15).
    public var graphNeighbors: Int?

    public init(kept: BandwidthRule, silhouetteChoice: Int, silhouetteClusters: Int, persistenceClusters: Int,
                silhouetteModularity: Double, persistenceModularity: Double, tolerance: Double?,
                graphNeighbors: Int? = nil) {
        self.kept = kept
        self.silhouetteChoice = silhouetteChoice
        self.silhouetteClusters = silhouetteClusters
        self.persistenceClusters = persistenceClusters
        self.silhouetteModularity = silhouetteModularity
        self.persistenceModularity = persistenceModularity
        self.tolerance = tolerance
        self.graphNeighbors = graphNeighbors
    }

    /// Whether the persistence rule's partition is the one to keep: of two contenders into
    /// different numbers of clusters within `tolerance` of each other, the one of fewer
    /// clusters; otherwise the more modular, the silhouette's on a tie.
    public var keepsPersistence: Bool {
        isWithinTolerance ? persistenceClusters < silhouetteClusters : persistenceModularity > silhouetteModularity
    }

    /// Whether the contenders differ in their clusters but not, beyond `tolerance`, in modularity.
    public var isWithinTolerance: Bool {
        persistenceClusters != silhouetteClusters && abs(persistenceModularity - silhouetteModularity) <= tolerance ?? 0
    }
}

/// The bandwidth `rule` picks for `points` (see `gridShift(_:dimension:selecting:sweep:)`).
public func chooseBandwidth(
    _ points: [Float], dimension: Int, rule: BandwidthRule, sweep: BandwidthSweep = BandwidthSweep()
) throws(ClusteringError) -> BandwidthChoice {
    let n = try validatePoints(points, dimension: dimension)
    try sweep.validate()
    if rule == .percentile {
        let h = try AutomaticBandwidth(seed: sweep.seed).bandwidth(points, dimension: dimension)
        let clusters = try gridShift(points, dimension: dimension, bandwidth: .fixed(h)).clusterCount
        return BandwidthChoice(rule: rule, candidates: [SweepCandidate(bandwidth: h, clusterCount: clusters)], chosen: 0)
    }
    if rule == .persistence || rule == .modularity {
        let (merged, choice) = try gridShift(points, dimension: dimension, selecting: rule, sweep: sweep)
        if let arbitration = choice.arbitration, arbitration.kept == .silhouette {
            var silhouette = choice
            silhouette.chosen = arbitration.silhouetteChoice
            return silhouette
        }
        // A representative bandwidth: the sweep's partition whose count is nearest the merge's.
        let nearest = choice.candidates.indices.min {
            (abs(choice.candidates[$0].clusterCount - merged.clusterCount), $0)
                < (abs(choice.candidates[$1].clusterCount - merged.clusterCount), $1)
        } ?? 0
        var representative = choice
        representative.chosen = nearest
        return representative
    }
    let candidates = try sweepBandwidths(points, dimension: dimension, count: n, sweep: sweep)
    let chosen = switch rule {
    case .silhouette: highestSilhouette(candidates)
    case .plateau: longestPlateau(candidates, limit: sweep.maximumClusterCount)
    case .percentile, .persistence, .modularity: 0
    }
    return BandwidthChoice(rule: rule, candidates: candidates, chosen: chosen)
}

/// GridShift at every bandwidth of `sweep`, largest first, up to the first that finds more
/// than `sweep.maximumClusterCount` clusters. Points all in one place give one partition
/// (one cluster at any `h`).
func sweepPartitions(
    _ points: [Float], dimension: Int, count n: Int, sweep: BandwidthSweep
) throws(ClusteringError) -> [ModeSeekingResult] {
    var extent: Float = 0
    for axis in 0..<dimension {
        var low = Float.infinity, high = -Float.infinity
        for point in 0..<n {
            low = min(low, points[point * dimension + axis])
            high = max(high, points[point * dimension + axis])
        }
        extent = max(extent, high - low)
    }
    guard extent > 0 else { return [try gridShift(points, dimension: dimension, bandwidth: .fixed(1))] }
    var partitions: [ModeSeekingResult] = []
    for step in 0...(sweep.octaveCount * sweep.stepsPerOctave) {
        let h = extent / 2 * Float(pow(2, -Double(step) / Double(sweep.stepsPerOctave)))
        let result = try gridShift(points, dimension: dimension, bandwidth: .fixed(h))
        partitions.append(result)
        if result.clusterCount > sweep.maximumClusterCount { break }
    }
    return partitions
}

/// GridShift at every bandwidth of `sweep`, each partition scored by its silhouette.
func sweepBandwidths(
    _ points: [Float], dimension: Int, count n: Int, sweep: BandwidthSweep
) throws(ClusteringError) -> [SweepCandidate] {
    try scoredSweep(points, dimension: dimension, count: n, sweep: sweep).candidates
}

/// The partitions of `sweepPartitions` and, for each, its candidate with its silhouette.
func scoredSweep(
    _ points: [Float], dimension: Int, count n: Int, sweep: BandwidthSweep
) throws(ClusteringError) -> (partitions: [ModeSeekingResult], candidates: [SweepCandidate]) {
    let partitions = try sweepPartitions(points, dimension: dimension, count: n, sweep: sweep)
    guard partitions.count > 1 || partitions[0].clusterCount > 1 else {
        return (partitions, [SweepCandidate(bandwidth: partitions[0].bandwidth, clusterCount: 1)])
    }
    let silhouette = SampledSilhouette(points: points, dimension: dimension, sampleSize: sweep.sampleSize, seed: sweep.seed)
    let candidates = partitions.map { result in
        SweepCandidate(
            bandwidth: result.bandwidth, clusterCount: result.clusterCount,
            silhouette: result.clusterCount > sweep.maximumClusterCount ? nil : silhouette.score(result.labels))
    }
    return (partitions, candidates)
}

/// The modularity rule (`BandwidthRule.modularity`): one sweep serves both contenders, and
/// one nearest-neighbour graph (`BandwidthSweep.graphReach`) both the
/// persistence merge and the modularity. Ties keep the silhouette's partition; so do sets
/// too small for the graph.
func gridShiftByModularity(
    _ points: [Float], dimension: Int, count n: Int, sweep: BandwidthSweep
) throws(ClusteringError) -> (result: ModeSeekingResult, choice: BandwidthChoice) {
    let merge = sweep.persistenceMerge(pointCount: n)
    let (partitions, candidates) = try scoredSweep(points, dimension: dimension, count: n, sweep: sweep)
    let bySilhouette = highestSilhouette(candidates)
    let finest = partitions.lastIndex { $0.clusterCount <= sweep.maximumClusterCount } ?? 0
    guard n > merge.neighborCount && partitions[finest].clusterCount >= 2 else {
        return (partitions[bySilhouette], BandwidthChoice(rule: .modularity, candidates: candidates, chosen: bySilhouette))
    }
    let k = merge.neighborCount
    let graph = KDTree(points: points, dimension: dimension).neighborsOfEveryPoint(k)
    let (merged, diagram) = merge.merge(partitions[finest], neighbors: graph.indices, distances: graph.distances)
    // A small cluster joins a neighbour only across a gap of a few neighbour spacings.
    var spacings = (0..<n).map { graph.distances[$0 * k + k - 1] }
    selectSmallest(&spacings, count: n / 2 + 1)
    let maximumGap = sweep.joiningGap * spacings[n / 2]
    let silhouettePartition = partitions[bySilhouette].joiningSmallClusters(points: points, maximumGap: maximumGap)
    let persistencePartition = merged.joiningSmallClusters(points: points, maximumGap: maximumGap)
    func score(_ partition: ModeSeekingResult) -> Double {
        modularity(partition.labels, clusterCount: partition.clusterCount, neighbors: graph.indices, k: k)
    }
    let arbitration = Arbitration(
        kept: .silhouette, silhouetteChoice: bySilhouette,
        silhouetteClusters: silhouettePartition.clusterCount, persistenceClusters: persistencePartition.clusterCount,
        silhouetteModularity: score(silhouettePartition), persistenceModularity: score(persistencePartition),
        tolerance: sweep.modularityTolerance, graphNeighbors: k)
    var choice = BandwidthChoice(
        rule: .modularity, candidates: candidates, chosen: bySilhouette, persistence: diagram, arbitration: arbitration)
    if arbitration.keepsPersistence {
        choice.arbitration?.kept = .persistence
        choice.chosen = finest
        return (persistencePartition, choice)
    }
    return (silhouettePartition, choice)
}

/// The index of the highest silhouette (scored only for 2 to `maximumClusterCount` clusters);
/// 0 when none was scored. Consecutive bandwidths that find the same partition score the
/// same: of the first such run, the middle one is kept, away from the scales where it changes.
func highestSilhouette(_ candidates: [SweepCandidate]) -> Int {
    var best = 0, bestValue = -Double.infinity
    for (index, candidate) in candidates.enumerated() {
        if let value = candidate.silhouette, value > bestValue {
            best = index
            bestValue = value
        }
    }
    var last = best
    while last + 1 < candidates.count && candidates[last + 1].silhouette == bestValue
            && candidates[last + 1].clusterCount == candidates[best].clusterCount {
        last += 1
    }
    return best + (last - best) / 2
}

/// The middle of the longest run of consecutive candidates with the same count of 2 to
/// `limit` clusters (the run with more clusters on ties); 0 when no candidate has two.
func longestPlateau(_ candidates: [SweepCandidate], limit: Int) -> Int {
    var best: (start: Int, length: Int, clusters: Int)? = nil
    var start = 0
    for index in 0...candidates.count {
        let ended = index == candidates.count || candidates[index].clusterCount != candidates[start].clusterCount
        guard ended else { continue }
        let clusters = candidates[start].clusterCount, length = index - start
        if clusters >= 2 && clusters <= limit {
            if best == nil || length > best!.length || (length == best!.length && clusters > best!.clusters) {
                best = (start, length, clusters)
            }
        }
        start = index
    }
    guard let best else { return 0 }
    return best.start + (best.length - 1) / 2
}
