import Basics
import Clustering
import Testing

@Suite struct SilhouetteTests {
    @Test(arguments: ["blobs", "singleton", "random"])
    func matchesScikitLearnWhenEveryPointIsSampled(name: String) throws {
        let (labels, expected) = switch name {
        case "blobs": (SilhouetteFixture.blobsLabels, SilhouetteFixture.blobsSilhouette)
        case "singleton": (SilhouetteFixture.singletonLabels, SilhouetteFixture.singletonSilhouette)
        default: (SilhouetteFixture.randomLabels, SilhouetteFixture.randomSilhouette)
        }
        let silhouette = SampledSilhouette(points: SilhouetteFixture.points, dimension: 3)
        #expect(silhouette.sample.count == 150)
        let found = try #require(silhouette.score(labels))
        // Float distances summed in Double: agreement to about 1e-6.
        #expect(abs(found - expected) < 1e-5, "\(name): \(found) vs scikit-learn \(expected)")
    }

    @Test func isInvariantToRenamingClustersAndUndefinedForOne() {
        let silhouette = SampledSilhouette(points: SilhouetteFixture.points, dimension: 3)
        let renamed = SilhouetteFixture.blobsLabels.map { [7, 2, 40][$0] }
        #expect(silhouette.score(renamed) == silhouette.score(SilhouetteFixture.blobsLabels))
        #expect(silhouette.score([Int](repeating: 3, count: 150)) == nil)
    }

    @Test func sampleIsSeededDistinctAndOfTheRequestedSize() {
        let first = SampledSilhouette(points: SilhouetteFixture.points, dimension: 3, sampleSize: 40, seed: 5)
        let again = SampledSilhouette(points: SilhouetteFixture.points, dimension: 3, sampleSize: 40, seed: 5)
        let other = SampledSilhouette(points: SilhouetteFixture.points, dimension: 3, sampleSize: 40, seed: 6)
        #expect(first.sample.count == 40 && Set(first.sample).count == 40)
        #expect(first.sample == again.sample)
        #expect(first.sample != other.sample)
        // A sample of a well-separated partition still scores it close to the full set.
        let full = SampledSilhouette(points: SilhouetteFixture.points, dimension: 3).score(SilhouetteFixture.blobsLabels)!
        let sampled = SampledSilhouette(points: SilhouetteFixture.points, dimension: 3, sampleSize: 100, seed: 1)
            .score(SilhouetteFixture.blobsLabels)!
        #expect(abs(sampled - full) < 0.1, "sampled \(sampled) vs full \(full)")
    }
}

@Suite struct BandwidthSelectionTests {
    /// `count` well-separated blobs in 3-D of unequal sizes (40 to 200 points) and spreads.
    func unequalBlobs(count: Int, seed: UInt64) -> (points: [Float], blobs: [Int]) {
        let side = Float(count).squareRoot() * 30
        let centres = separatedCentres(count: count, dimension: 3, side: side, separation: 16, seed: seed)
        var points: [Float] = [], blobs: [Int] = []
        for blob in 0..<count {
            let size = 40 + (blob * 37) % 161
            let spread: Float = 0.5 + Float(blob % 3) * 0.4
            let (blobPoints, _) = gaussianBlobs(
                centres: Array(centres[(3 * blob)..<(3 * blob + 3)]), dimension: 3, perBlob: size,
                spread: spread, seed: seed &+ UInt64(blob))
            points += blobPoints
            blobs += [Int](repeating: blob, count: size)
        }
        return (points, blobs)
    }

    @Test(arguments: [3, 12, 40, 100])
    func silhouetteSweepFindsTheNumberOfSeparatedBlobs(count: Int) throws {
        let (points, blobs) = unequalBlobs(count: count, seed: UInt64(count))
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .silhouette)
        #expect(result.clusterCount == count, "found \(result.clusterCount) of \(count) blobs, h \(result.bandwidth)")
        let same = samePartition(result.labels, blobs)
        #expect(same)
        #expect(choice.rule == .silhouette)
        #expect(result.bandwidth == choice.candidates[choice.chosen].bandwidth)
    }

    @Test(arguments: [3, 12, 40, 100])
    func persistenceMergeFindsTheNumberOfSeparatedBlobs(count: Int) throws {
        let (points, blobs) = unequalBlobs(count: count, seed: UInt64(count))
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .persistence)
        let same = samePartition(result.labels, blobs)
        #expect(same, "found \(result.clusterCount) of \(count) blobs")
        #expect(choice.persistence?.count { $0.death == nil } == count)
    }

    @Test func thePercentileRuleAssumesAboutTenGroupsAndMissesForty() throws {
        let (points, _) = unequalBlobs(count: 40, seed: 40)
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .percentile)
        #expect(choice.candidates.count == 1)
        #expect(result.bandwidth == (try AutomaticBandwidth().bandwidth(points, dimension: 3)))
        #expect(result.clusterCount < 40)
    }

    @Test func plateauRuleFindsBlobsWithAWideGap() throws {
        let (points, blobs) = unequalBlobs(count: 3, seed: 3)
        let (result, _) = try gridShift(points, dimension: 3, selecting: .plateau)
        let same = samePartition(result.labels, blobs)
        #expect(same, "plateau found \(result.clusterCount) clusters")
    }

    @Test func sweepHalvesTheBandwidthEverySixStepsAndKeepsTheBestSilhouette() throws {
        let (points, _) = unequalBlobs(count: 12, seed: 12)
        let sweep = BandwidthSweep(stepsPerOctave: 6, octaveCount: 8, maximumClusterCount: 50)
        // One BLAS thread count for both sweeps, as nrcc runs (other tests may change it).
        let (choice, again) = try BLASThreads.exclusively(1) {
            (try chooseBandwidth(points, dimension: 3, rule: .silhouette, sweep: sweep),
             try chooseBandwidth(points, dimension: 3, rule: .silhouette, sweep: sweep))
        }
        let candidates = choice.candidates
        #expect(candidates.count >= 2 && candidates.count <= 49)
        for index in 6..<candidates.count {
            let ratio = candidates[index - 6].bandwidth / candidates[index].bandwidth
            #expect(abs(ratio - 2) < 1e-4, "h[\(index - 6)] / h[\(index)] = \(ratio)")
        }
        // The sweep stops at the first h past the cap, and scores nothing past it.
        if candidates.count < 49 {
            #expect(candidates.last!.clusterCount > 50 && candidates.last!.silhouette == nil)
        }
        let best = candidates.compactMap(\.silhouette).max()!
        #expect(candidates[choice.chosen].silhouette == best)
        #expect(candidates.allSatisfy { $0.clusterCount > 1 || $0.silhouette == nil })
        // Deterministic for a seed.
        #expect(again == choice)
    }

    @Test func digitsLayoutGetsAboutTenClusters() throws {
        let (result, _) = try gridShift(DigitsFixture.points, dimension: 3, selecting: .silhouette)
        #expect((8...12).contains(result.clusterCount), "found \(result.clusterCount)")
    }

    @Test func identicalPointsAreOneCluster() throws {
        let points = [Float](repeating: 2.5, count: 30)
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .silhouette)
        #expect(result.clusterCount == 1 && choice.candidates.count == 1)
    }

    @Test func badSweepSettingsThrowAndNameTheSetting() {
        let points = SilhouetteFixture.points
        #expect(throws: ClusteringError.invalidSetting(name: "stepsPerOctave", value: "0", expected: "in 1...64")) {
            try chooseBandwidth(points, dimension: 3, rule: .silhouette, sweep: BandwidthSweep(stepsPerOctave: 0))
        }
        #expect(throws: ClusteringError.invalidSetting(name: "sampleSize", value: "1", expected: ">= 2")) {
            try chooseBandwidth(points, dimension: 3, rule: .plateau, sweep: BandwidthSweep(sampleSize: 1))
        }
        #expect(throws: ClusteringError.nonFinite(row: 0, column: 1, value: .infinity)) {
            try chooseBandwidth([0, .infinity, 0, 1, 1, 1], dimension: 3, rule: .silhouette)
        }
    }
}
