import Basics

/// Persistence-based merging of GridShift's modes (ToMATo: Chazal, Guibas, Oudot, Skraba,
/// "Persistence-based clustering in Riemannian manifolds", J. ACM 2013), with prominence
/// measured relative to each mode's peak so that one threshold holds at every density:
///
///     r_k(p)  = the distance from p to its k-th nearest neighbour;  f(p) = 1 / r_k(p)
///     peak(C) = max of f over the points of cluster C
///     an edge (p, q) of the k-nearest-neighbour graph joining two clusters meets them at
///       the height min(f(p), f(q)); edges are taken from the highest down, and the two
///       clusters they join (after earlier merges) become one when
///         height >= ratio * min(peak(A), peak(B))
///       that is, when the valley between them is shallower than (1 - ratio) of the lower
///       peak. The merged cluster keeps the higher peak.
///
/// Started from an over-fine partition (GridShift at the smallest bandwidth of a sweep), the
/// fragments of one group meet at heights close to their peaks and merge; groups separated
/// by a gap or a deep valley stay apart. The result does not depend on the order in which
/// the fragments were numbered.
public struct PersistenceMerge: Sendable, Equatable {
    /// The neighbours of the density estimate and of the graph.
    public var neighborCount: Int
    /// The height, relative to the lower peak, at or above which two clusters merge (0.15:
    /// they stay apart only when the density between them falls below 0.15^3 of the lower
    /// peak's in three dimensions, a near gap).
    public var ratio: Double

    public init(neighborCount: Int = 15, ratio: Double = 0.15) {
        self.neighborCount = neighborCount
        self.ratio = ratio
    }

    /// A hundredth of the points, at least 5 and at most 15 (UMAP's default): the density
    /// estimate reaches about as far as HDBSCAN's `min_cluster_size` at 1% of the points, the
    /// setting that serves UMAP layouts best (docs/no-k.md). 15 on every set of 1,450 points
    /// or more. On smaller sets 15 neighbours reach across groups of a few dozen: every
    /// point's 15th neighbour lies in another group, the density has no valley between them,
    /// and the rule merged COIL-20's first five objects into 2 or 3 (ACC 0.40-0.58 over three
    /// layouts; 4-5 found at 0.76-0.96 with 5 neighbours) and 100 digits, ten of each, into one.
    public static func neighborCount(forPointCount n: Int) -> Int {
        min(15, max(5, (n + 50) / 100))
    }

    /// The most neighbours a graph may hold.
    public static let maximumNeighborCount = 1000

    /// Throws `ClusteringError.invalidSetting` for a setting out of range.
    public func validate() throws(ClusteringError) {
        guard neighborCount >= 1 && neighborCount <= Self.maximumNeighborCount else {
            throw .invalidSetting(name: "neighborCount", value: "\(neighborCount)", expected: "in 1...1000")
        }
        guard ratio >= 0 && ratio <= 1 else {
            throw .invalidSetting(name: "ratio", value: "\(ratio)", expected: "in [0, 1]")
        }
    }

    /// Merges the clusters of `partition` (a partition of `points`, row-major `n x
    /// dimension`). Returns the merged partition (its centres the modes of the highest-peaked
    /// fragment of each) and every fragment's persistence.
    public func merge(
        _ partition: ModeSeekingResult, points: [Float], dimension: Int
    ) -> (result: ModeSeekingResult, diagram: [PersistencePair]) {
        let n = partition.labels.count
        let fragments = partition.clusterCount
        guard n > neighborCount && fragments >= 2 else {
            return (partition, (0..<fragments).map { _ in PersistencePair(peak: 0, death: nil) })
        }
        let graph = KDTree(points: points, dimension: dimension).neighborsOfEveryPoint(neighborCount)
        return merge(partition, neighbors: graph.indices, distances: graph.distances)
    }

    /// `merge(_:points:dimension:)` over a neighbour graph already at hand: every point's
    /// `neighborCount` nearest neighbours and their distances, row-major, as
    /// `KDTree.neighborsOfEveryPoint` gives them.
    func merge(
        _ partition: ModeSeekingResult, neighbors: [Int32], distances: [Float]
    ) -> (result: ModeSeekingResult, diagram: [PersistencePair]) {
        let n = partition.labels.count, fragments = partition.clusterCount, dimension = partition.dimension
        guard fragments >= 2 else { return (partition, [PersistencePair(peak: 0, death: nil)]) }
        let k = neighborCount
        // Duplicates put r_k at 0: the smallest positive radius stands in for it.
        let smallest = distances.lazy.filter { $0 > 0 }.min() ?? 1
        let density = (0..<n).map { Double(1 / max(distances[$0 * k + k - 1], smallest)) }
        var peaks = [Double](repeating: 0, count: fragments)
        for point in 0..<n { peaks[partition.labels[point]] = max(peaks[partition.labels[point]], density[point]) }

        struct Edge { var height: Double; var a: Int32; var b: Int32 }
        var edges: [Edge] = []
        for point in 0..<n {
            for rank in 0..<k {
                let other = Int(neighbors[point * k + rank])
                let (a, b) = (partition.labels[point], partition.labels[other])
                if a != b { edges.append(Edge(height: min(density[point], density[other]), a: Int32(a), b: Int32(b))) }
            }
        }
        edges.sort { ($0.height, $1.a, $1.b) > ($1.height, $0.a, $0.b) }

        var root = Array(0..<fragments)
        var death = [Double?](repeating: nil, count: fragments)
        func find(_ x: Int) -> Int {
            var x = x
            while root[x] != x { root[x] = root[root[x]]; x = root[x] }
            return x
        }
        for edge in edges {
            var a = find(Int(edge.a)), b = find(Int(edge.b))
            guard a != b, edge.height >= ratio * min(peaks[a], peaks[b]) else { continue }
            if (peaks[a], b) < (peaks[b], a) { swap(&a, &b) }
            root[b] = a
            death[b] = edge.height
        }
        let group = partition.labels.map { find($0) }
        let (labels, groupOfLabel) = labelsByFirstAppearance(group, groupCount: fragments)
        var centres = [Float]()
        centres.reserveCapacity(groupOfLabel.count * dimension)
        for fragment in groupOfLabel {
            centres.append(contentsOf: partition.centres[(fragment * dimension)..<((fragment + 1) * dimension)])
        }
        let merged = ModeSeekingResult(
            labels: labels, centres: centres, dimension: dimension,
            iterations: partition.iterations, converged: partition.converged, bandwidth: partition.bandwidth)
        return (merged, (0..<fragments).map { PersistencePair(peak: peaks[$0], death: death[$0]) })
    }
}

/// One fragment of a persistence merge: the density at its peak and the height at which it
/// joined a higher-peaked cluster (`nil` for the fragments that head a final cluster).
public struct PersistencePair: Sendable, Equatable, Codable {
    public var peak: Double
    public var death: Double?
}

/// How many neighbours the graph of the persistence and modularity rules holds: a hundredth
/// of the points (the default, `PersistenceMerge.neighborCount(forPointCount:)`) or a fixed
/// count (15 for every set before 2026-12-08). Written as `"auto"` or the count.
public enum GraphReach: Sendable, Equatable, Codable {
    case hundredthOfPoints
    case neighbors(Int)

    /// The rules' graph on every set before the reach followed the points.
    public static let before20261208 = GraphReach.neighbors(15)

    /// The neighbours of the graph over `n` points.
    public func neighborCount(forPointCount n: Int) -> Int {
        switch self {
        case .hundredthOfPoints: PersistenceMerge.neighborCount(forPointCount: n)
        case .neighbors(let count): count
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) {
            self = .neighbors(count)
        } else if try container.decode(String.self) == "auto" {
            self = .hundredthOfPoints
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \"auto\" or a neighbour count")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .hundredthOfPoints: try container.encode("auto")
        case .neighbors(let count): try container.encode(count)
        }
    }
}
