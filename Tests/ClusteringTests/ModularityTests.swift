import Foundation
import Basics
import Clustering
import Testing

@Suite struct ModularityTests {
    /// Newman's Q from its definition: the adjacency matrix of the symmetrised graph, the
    /// edges inside each cluster and the degrees, summed over every pair of points.
    func definitionalModularity(_ labels: [Int], neighbors: [Int32], k: Int) -> Double {
        let n = labels.count
        var adjacent = [[Bool]](repeating: [Bool](repeating: false, count: n), count: n)
        for point in 0..<n {
            for rank in 0..<k {
                let other = Int(neighbors[point * k + rank])
                adjacent[point][other] = true
                adjacent[other][point] = true
            }
        }
        let degrees = adjacent.map { row in Double(row.count { $0 }) }
        let twiceEdges = degrees.reduce(0, +)
        var q = 0.0
        for p in 0..<n {
            for r in 0..<n where labels[p] == labels[r] {
                q += (adjacent[p][r] ? 1 : 0) - degrees[p] * degrees[r] / twiceEdges
            }
        }
        return q / twiceEdges
    }

    @Test(arguments: [1, 4, 9])
    func matchesTheDefinitionOnAKNearestNeighbourGraph(k: Int) {
        var generator = SeededGenerator(seed: UInt64(k))
        let n = 240
        let points = (0..<(3 * n)).map { _ in generator.nextGaussian() }
        let neighbors = KDTree(points: points, dimension: 3).neighborsOfEveryPoint(k).indices
        // Labels by position (a real partition) and at random (near zero or below).
        let byPosition = (0..<n).map { points[3 * $0] < 0 ? 0 : (points[3 * $0 + 1] < 0 ? 1 : 2) }
        let atRandom = (0..<n).map { _ in Int(generator.nextUniform(0, 4)) }
        for labels in [byPosition, atRandom] {
            let count = labels.max()! + 1
            let q = modularity(labels, clusterCount: count, neighbors: neighbors, k: k)
            let expected = definitionalModularity(labels, neighbors: neighbors, k: k)
            #expect(abs(q - expected) < 1e-12, "k \(k): \(q) against \(expected)")
        }
        let spatial = modularity(byPosition, clusterCount: 3, neighbors: neighbors, k: k)
        let random = modularity(atRandom, clusterCount: 4, neighbors: neighbors, k: k)
        #expect(spatial > 0.3 && abs(random) < 0.1, "spatial \(spatial), random \(random)")
        #expect(modularity([Int](repeating: 0, count: n), clusterCount: 1, neighbors: neighbors, k: k) == 0)
    }
}

@Suite struct JoiningSmallClustersTests {
    /// Three blobs of 100 points on the x axis and a clump of `clump` points beside the third.
    func blobsAndAClump(clump: Int) throws -> (result: ModeSeekingResult, points: [Float]) {
        var (points, _) = gaussianBlobs(centres: [0, 0, 0, 20, 0, 0, 40, 0, 0], dimension: 3, perBlob: 100, spread: 1, seed: 3)
        points += gaussianBlobs(centres: [47, 0, 0], dimension: 3, perBlob: clump, spread: 0.3, seed: 4).points
        return (try gridShift(points, dimension: 3, bandwidth: .fixed(2)), points)
    }

    @Test func aClumpUnderAQuarterOfTheMedianJoinsItsNearestCluster() throws {
        let (found, points) = try blobsAndAClump(clump: 20)
        #expect(found.clusterCount == 4)
        let joined = found.joiningSmallClusters(points: points)
        #expect(joined.clusterCount == 3)
        // The clump (the last 20 points) joins the blob at x = 40, the third.
        #expect(Set(joined.labels[300...]) == [joined.labels[2]])
        #expect(samePartition(Array(joined.labels[..<300]), Array(found.labels[..<300])))
        // The kept clusters keep their modes; labels are numbered by first appearance.
        #expect(joined.centres == Array(found.centres[..<9]))
        #expect(joined.labels[0] == 0 && joined.labels.max() == 2)
    }

    @Test func aClumpFartherThanTheGapStays() throws {
        let (found, points) = try blobsAndAClump(clump: 20)
        // The clump's centre is 7 from the third blob's: its nearest points about 4-5 apart.
        #expect(found.joiningSmallClusters(points: points, maximumGap: 1) == found)
        #expect(found.joiningSmallClusters(points: points, maximumGap: 7).clusterCount == 3)
    }

    @Test func clustersAboveAQuarterOfTheMedianAllStay() throws {
        let (found, points) = try blobsAndAClump(clump: 30)
        #expect(found.joiningSmallClusters(points: points) == found)
        let (small, smallPoints) = try blobsAndAClump(clump: 20)
        #expect(small.joiningSmallClusters(points: smallPoints, shareOfMedian: 0) == small)
    }
}

@Suite struct ModularityRuleTests {
    /// Two super-groups 200 apart, each of four blobs 8 apart: the silhouette of the whole
    /// prefers the two super-groups; the blobs are what the data holds.
    func superGroups() -> (points: [Float], blobs: [Int]) {
        var centres: [Float] = []
        for group in 0..<2 {
            for blob in 0..<4 { centres += [Float(group) * 200 + Float(blob % 2) * 8, Float(blob / 2) * 8, 0] }
        }
        return gaussianBlobs(centres: centres, dimension: 3, perBlob: 120, spread: 0.6, seed: 8)
    }

    @Test func keepsTheBlobsWhereTheSilhouetteKeepsTheSuperGroups() throws {
        let (points, blobs) = superGroups()
        let (bySilhouette, _) = try gridShift(points, dimension: 3, selecting: .silhouette)
        #expect(bySilhouette.clusterCount == 2)
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .modularity)
        #expect(samePartition(result.labels, blobs), "found \(result.clusterCount)")
        let arbitration = try #require(choice.arbitration)
        #expect(arbitration.kept == .persistence && arbitration.silhouetteClusters == 2)
        #expect(arbitration.persistenceModularity > arbitration.silhouetteModularity)
        #expect(choice.rule == .modularity && choice.persistence?.count { $0.death == nil } == 8)
    }

    /// A rare group (100 points) set apart from two of 1,000 is under a quarter of the median
    /// size, but far from both: it stays a cluster.
    @Test func keepsARareGroupSetApart() throws {
        var (points, blobs) = gaussianBlobs(centres: [0, 0, 0, 20, 0, 0], dimension: 3, perBlob: 1000, spread: 1, seed: 5)
        let rare = gaussianBlobs(centres: [10, 15, 0], dimension: 3, perBlob: 100, spread: 1, seed: 6).points
        points += rare
        blobs += [Int](repeating: 2, count: 100)
        let (result, _) = try gridShift(points, dimension: 3, selecting: .modularity)
        #expect(samePartition(result.labels, blobs), "found \(result.clusterCount)")
    }

    /// Twelve groups of ten points, three to a super-group far from the others. The silhouette
    /// prefers the four super-groups; 15 neighbours would reach from each group into the next,
    /// leaving the density no valley between them, so the persistence rule too found four. The
    /// graph of a hundredth of the points (5 neighbours here) stays inside a group.
    @Test func findsGroupsOfTenPoints() throws {
        var centres: [Float] = []
        for group in 0..<12 { centres += [Float(group / 3) * 40, Float(group % 3) * 2, 0] }
        let (points, groups) = gaussianBlobs(centres: centres, dimension: 3, perBlob: 10, spread: 0.1, seed: 12)
        #expect(PersistenceMerge.neighborCount(forPointCount: groups.count) == 5)
        #expect(try gridShift(points, dimension: 3, selecting: .silhouette).result.clusterCount == 4)
        for rule in [BandwidthRule.persistence, .modularity] {
            let (result, choice) = try gridShift(points, dimension: 3, selecting: rule)
            #expect(samePartition(result.labels, groups), "\(rule): found \(result.clusterCount)")
            if rule == .modularity { #expect(choice.arbitration?.graphNeighbors == 5) }
        }
        let fifteen = BandwidthSweep(graphReach: .neighbors(15))
        let (before, choice) = try gridShift(points, dimension: 3, selecting: .modularity, sweep: fifteen)
        #expect(before.clusterCount == 4 && choice.arbitration?.graphNeighbors == 15)
    }

    /// The graph's neighbours: a hundredth of the points, at least 5 and at most 15.
    @Test func theGraphReachesAHundredthOfThePoints() {
        let counts = [16, 100, 449, 650, 1449, 1450, 1797, 70_000].map(PersistenceMerge.neighborCount(forPointCount:))
        #expect(counts == [5, 5, 5, 7, 14, 15, 15, 15])
    }

    @Test(arguments: [3, 12, 40, 100])
    func findsTheNumberOfSeparatedBlobs(count: Int) throws {
        let (points, blobs) = BandwidthSelectionTests().unequalBlobs(count: count, seed: UInt64(count))
        let (result, _) = try gridShift(points, dimension: 3, selecting: .modularity)
        #expect(samePartition(result.labels, blobs), "found \(result.clusterCount) of \(count) blobs")
    }

    /// The result is the kept contender: the one of higher modularity, or of fewer clusters
    /// when the two lie within the sweep's tolerance.
    @Test(arguments: ["super-groups", "digits", "blobs"])
    func keepsTheContenderOfHigherModularity(fixture: String) throws {
        let points = switch fixture {
        case "super-groups": superGroups().points
        case "digits": DigitsFixture.points
        default: BandwidthSelectionTests().unequalBlobs(count: 12, seed: 12).points
        }
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .modularity)
        let arbitration = try #require(choice.arbitration)
        let k = PersistenceMerge.neighborCount(forPointCount: points.count / 3)
        let distances = KDTree(points: points, dimension: 3).neighborsOfEveryPoint(k).distances
        let spacings = stride(from: k - 1, to: distances.count, by: k).map { distances[$0] }.sorted()
        let gap = BandwidthSweep().joiningGap * spacings[spacings.count / 2]
        let silhouette = try gridShift(points, dimension: 3, selecting: .silhouette).result
            .joiningSmallClusters(points: points, maximumGap: gap)
        let persistence = try gridShift(points, dimension: 3, selecting: .persistence).result
            .joiningSmallClusters(points: points, maximumGap: gap)
        #expect(arbitration.silhouetteClusters == silhouette.clusterCount)
        #expect(arbitration.persistenceClusters == persistence.clusterCount)
        let kept = arbitration.kept == .silhouette ? silhouette : persistence
        #expect(result.labels == kept.labels)
        let close = arbitration.persistenceClusters != arbitration.silhouetteClusters
            && abs(arbitration.persistenceModularity - arbitration.silhouetteModularity) <= BandwidthSweep().modularityTolerance
        #expect(arbitration.tolerance == BandwidthSweep().modularityTolerance)
        #expect((arbitration.kept == .persistence) == (close ? arbitration.persistenceClusters < arbitration.silhouetteClusters
                                                       : arbitration.persistenceModularity > arbitration.silhouetteModularity))
        // The bandwidth chooser agrees with the rule it kept.
        let chosen = try chooseBandwidth(points, dimension: 3, rule: .modularity)
        #expect(chosen.arbitration == arbitration)
        if arbitration.kept == .silhouette { #expect(chosen.chosen == arbitration.silhouetteChoice) }
    }

    /// Within the tolerance the partition of fewer clusters is kept, whichever rule drew it;
    /// beyond it, or at a tolerance of 0, the higher score; a tie of equal counts keeps the
    /// silhouette's. Results written before the tolerance read as 0.
    @Test func withinTheToleranceFewerClustersWin() throws {
        func arbitration(_ silhouette: (Int, Double), _ persistence: (Int, Double), tolerance: Double?) -> Arbitration {
            Arbitration(kept: .silhouette, silhouetteChoice: 0, silhouetteClusters: silhouette.0,
                        persistenceClusters: persistence.0, silhouetteModularity: silhouette.1,
                        persistenceModularity: persistence.1, tolerance: tolerance)
        }
        // make demo's layout on an Ice Lake Xeon: 11 clusters at 0.903 against 13 at 0.910.
        #expect(!arbitration((11, 0.903), (13, 0.910), tolerance: 0.01).keepsPersistence)
        #expect(arbitration((11, 0.903), (13, 0.910), tolerance: 0).keepsPersistence)
        #expect(arbitration((11, 0.903), (13, 0.910), tolerance: nil).keepsPersistence)
        #expect(arbitration((11, 0.903), (13, 0.920), tolerance: 0.01).keepsPersistence, "beyond the margin")
        #expect(arbitration((13, 0.910), (11, 0.903), tolerance: 0.01).keepsPersistence, "the persistence rule's fewer")
        #expect(!arbitration((13, 0.910), (11, 0.903), tolerance: 0).keepsPersistence)
        #expect(arbitration((10, 0.9), (10, 0.905), tolerance: 0.01).keepsPersistence, "equal counts: the higher score")
        #expect(!arbitration((10, 0.9), (12, 0.9), tolerance: 0).keepsPersistence, "a tie keeps the silhouette's")
        let decoded = try JSONDecoder().decode(Arbitration.self, from: Data(
            #"{"kept": "persistence", "silhouetteChoice": 3, "silhouetteClusters": 11, "persistenceClusters": 13, "silhouetteModularity": 0.903, "persistenceModularity": 0.91}"#.utf8))
        #expect(decoded.tolerance == nil && decoded.graphNeighbors == nil && decoded.keepsPersistence)
        let sweep = BandwidthSweep(modularityTolerance: 2)
        #expect(throws: ClusteringError.self) { try gridShift(DigitsFixture.points, dimension: 3, selecting: .modularity, sweep: sweep) }
    }

    @Test func tooFewPointsForTheGraphKeepTheSilhouette() throws {
        let points: [Float] = [0, 0, 0, 0.1, 0, 0, 0, 0.1, 0, 10, 10, 10, 10.1, 10, 10]
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .modularity)
        #expect(result.clusterCount == 2 && choice.arbitration == nil && choice.rule == .modularity)
    }
}
