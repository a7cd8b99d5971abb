import Clustering
import Testing

@Suite struct GridShiftTests {
    @Test func findsSeparatedBlobs() throws {
        let centres = separatedCentres(count: 6, dimension: 3, side: 30, separation: 8, seed: 1)
        let (points, blobs) = gaussianBlobs(centres: centres, dimension: 3, perBlob: 300, spread: 0.4, seed: 2)
        let result = try gridShift(points, dimension: 3, bandwidth: .fixed(1))
        #expect(result.clusterCount == 6)
        let partitionsAgree = samePartition(result.labels, blobs)
        #expect(partitionsAgree)
        #expect(result.converged && result.iterations < 200)
        #expect(result.bandwidth == 1)
        #expect(result.labels.count == points.count / 3)
        #expect(result.centres.count == result.clusterCount * 3)
    }

    @Test func followsTheDefinitionOnAHandWorkedExample() throws {
        // Cells (h = 1): 0 holds 0.1 and 0.2, 1 holds 1.1, 5 holds 5.0. Pass 1: cells 0 and 1
        // are neighbours, both move to (0.1 + 0.2 + 1.1) / 3 and merge in cell 0; cell 5
        // stays. Pass 2: nothing moves, so the stop rule holds after 2 passes.
        let result = try gridShift([0.1, 0.2, 1.1, 5.0], dimension: 1, bandwidth: .fixed(1))
        #expect(result.labels == [0, 0, 0, 1])
        #expect(result.iterations == 2)
        #expect(result.converged)
        #expect(abs(result.centres[0] - 1.4 / 3) < 1e-6 && result.centres[1] == 5, "\(result.centres)")
    }

    @Test func keepsFarCellsApartWhateverTheirOrder() throws {
        // 5.5 and 0.5 are five cells apart: the published code's chained relabelling merges
        // them; member lists keep them apart, in either order.
        for points: [Float] in [[5.5, 0.5], [0.5, 5.5], [5.5, 0.5, 5.6, 0.4]] {
            let result = try gridShift(points, dimension: 1, bandwidth: .fixed(1))
            #expect(result.clusterCount == 2, "\(points): \(result.labels)")
            #expect(result.labels[0] != result.labels[1])
        }
    }

    @Test func binsWithFloorNotTruncation() throws {
        // floor puts -0.9 in cell -1 and 0.9 in cell 0 (truncation toward zero puts both in
        // cell 0): the initial cells, before any pass, keep them apart.
        let initial = try gridShift([-0.9, 0.9], dimension: 1, bandwidth: .fixed(1), maximumIterations: 0)
        #expect(initial.clusterCount == 2)
        #expect(initial.iterations == 0 && !initial.converged)
        // Cells -1 and 0 are neighbours, so the first pass (as SPEC section 7 defines it)
        // moves both to 0 and merges them.
        let shifted = try gridShift([-0.9, 0.9], dimension: 1, bandwidth: .fixed(1))
        #expect(shifted.clusterCount == 1)
        #expect(abs(shifted.centres[0]) < 1e-6)
        // Where truncation would make two cells neighbours, floor keeps them two apart:
        // -1.5 (cell -2) and 0.9 (cell 0); -0.9 (cell -1) and 1.5 (cell 1).
        for points: [Float] in [[-1.5, 0.9], [-0.9, 1.5], [-1.5, -1.4, 0.9, 0.8]] {
            let result = try gridShift(points, dimension: 1, bandwidth: .fixed(1))
            #expect(result.clusterCount == 2, "\(points): \(result.labels)")
        }
        // The same in 3-D, on one axis.
        let planar = try gridShift([-1.5, 0.2, 0.2, 0.9, 0.2, 0.2], dimension: 3, bandwidth: .fixed(1))
        #expect(planar.clusterCount == 2)
    }

    @Test(arguments: [(2, UInt64(3)), (3, UInt64(4)), (3, UInt64(5)), (4, UInt64(6))])
    func matchesMeanShiftPlusPlus(dimension: Int, seed: UInt64) throws {
        // Overlapping blobs, so the shift has real work to do and many cells merge.
        let centres = separatedCentres(count: 8, dimension: dimension, side: 10, separation: 2, seed: seed)
        let (points, _) = gaussianBlobs(centres: centres, dimension: dimension, perBlob: 150, spread: 0.8, seed: seed + 100)
        for h: Float in [0.5, 1.0, 1.7] {
            let grid = try gridShift(points, dimension: dimension, bandwidth: .fixed(h))
            let reference = try meanShiftPlusPlus(points, dimension: dimension, bandwidth: .fixed(h))
            let sameLabels = grid.labels == reference.labels
            #expect(sameLabels, "d=\(dimension) h=\(h): \(grid.clusterCount) vs \(reference.clusterCount) clusters")
            // MeanShift++ measures each point's own move, GridShift its cell mean's, so after a
            // merge MeanShift++ may need one more pass to see the same stillness.
            #expect(reference.iterations - grid.iterations == 0 || reference.iterations - grid.iterations == 1,
                    "\(grid.iterations) vs \(reference.iterations) passes")
            #expect(grid.clusterCount > 1)
            let largestGap = zip(grid.centres, reference.centres).map { abs($0 - $1) }.max() ?? 0
            #expect(largestGap < 1e-4, "centres differ by \(largestGap)")
        }
    }

    @Test func worksInFiveDimensions() throws {
        let centres = separatedCentres(count: 4, dimension: 5, side: 20, separation: 8, seed: 7)
        let (points, blobs) = gaussianBlobs(centres: centres, dimension: 5, perBlob: 200, spread: 0.3, seed: 8)
        let result = try gridShift(points, dimension: 5, bandwidth: .fixed(1))
        let partitionsAgree = samePartition(result.labels, blobs)
        #expect(partitionsAgree)
    }

    @Test func automaticBandwidthFindsSeparatedBlobs() throws {
        let centres = separatedCentres(count: 5, dimension: 3, side: 10, separation: 4, seed: 9)
        let (points, blobs) = gaussianBlobs(centres: centres, dimension: 3, perBlob: 400, spread: 0.3, seed: 10)
        let result = try gridShift(points, dimension: 3)
        let expected = try AutomaticBandwidth().bandwidth(points, dimension: 3)
        #expect(result.bandwidth == expected)
        #expect(result.bandwidth > 0.1 && result.bandwidth < 1, "h = \(result.bandwidth)")
        let partitionsAgree = samePartition(result.labels, blobs)
        #expect(partitionsAgree, "\(result.clusterCount) clusters at h = \(result.bandwidth)")
    }

    @Test func mergesSmallClustersOnlyWhenAsked() throws {
        // Two blobs of 400 and a far pair of points (0.25% of 802): the pair is its own
        // cluster until the post-step hands it to the nearer blob.
        var (points, _) = gaussianBlobs(centres: [0, 0, 0, 10, 0, 0], dimension: 3, perBlob: 400, spread: 0.3, seed: 11)
        points += [14, 0, 0, 14.1, 0, 0]
        let result = try gridShift(points, dimension: 3, bandwidth: .fixed(1))
        #expect(result.clusterCount == 3)
        #expect(result.clusterSizes.sorted() == [2, 400, 400])
        let merged = result.mergingSmallClusters()
        #expect(merged.clusterCount == 2)
        let farBlob = result.labels[1]
        #expect(merged.labels[800] == merged.labels[1] && merged.labels[801] == merged.labels[1])
        #expect(merged.labels[0] != merged.labels[1])
        #expect(farBlob == result.labels[3])
        // A threshold below the pair's share leaves everything as it was.
        #expect(result.mergingSmallClusters(maximumShare: 0.001) == result)
    }
}
