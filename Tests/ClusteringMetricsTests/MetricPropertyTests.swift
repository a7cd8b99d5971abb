import ClusteringMetrics
import Testing

/// A seeded labelling: `count` labels in `0..<classes` from a linear congruential sequence
/// (tests only; keeps this target free of other modules).
func seededLabels(count: Int, classes: Int, seed: UInt64) -> [Int] {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(classes))
    }
}

@Suite struct MetricPropertyTests {
    let truth = seededLabels(count: 400, classes: 6, seed: 1)
    let predicted = seededLabels(count: 400, classes: 6, seed: 1).enumerated().map { index, label in
        index % 5 == 0 ? (label + 1) % 8 : label
    }

    @Test func scoresAreInvariantToRelabelling() {
        // A permutation plus a shift of the label values on each side, independently.
        let renamedTruth = truth.map { [40, -3, 7, 12, 0, 99][$0] }
        let renamedPredicted = predicted.map { 1000 - 17 * $0 }
        #expect(clusteringAccuracy(truth, predicted) == clusteringAccuracy(renamedTruth, renamedPredicted))
        #expect(abs(normalizedMutualInformation(truth, predicted)
                    - normalizedMutualInformation(renamedTruth, renamedPredicted)) < 1e-12)
        #expect(abs(adjustedRandIndex(truth, predicted) - adjustedRandIndex(renamedTruth, renamedPredicted)) < 1e-12)
        #expect(abs(adjustedMutualInformation(truth, predicted)
                    - adjustedMutualInformation(renamedTruth, renamedPredicted)) < 1e-12)
    }

    @Test func identicalPartitionsScoreOne() {
        let renamed = truth.map { 5 - $0 }
        #expect(adjustedRandIndex(truth, truth) == 1)
        #expect(adjustedRandIndex(truth, renamed) == 1)
        #expect(clusteringAccuracy(truth, renamed) == 1)
        #expect(abs(normalizedMutualInformation(truth, renamed) - 1) < 1e-12)
        #expect(abs(adjustedMutualInformation(truth, renamed) - 1) < 1e-12)
    }

    @Test func accuracyCountsUnmatchedClustersAsErrors() {
        // Three classes of 4; the found clustering splits class 0 into two clusters and
        // merges classes 1 and 2: only one of each split or merged group can be matched.
        let truth = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
        let split = [0, 0, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2]
        #expect(clusteringAccuracy(truth, split) == 10.0 / 12.0)
        let merged = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
        #expect(clusteringAccuracy(truth, merged) == 8.0 / 12.0)
        let oneCluster = [Int](repeating: 3, count: 12)
        #expect(clusteringAccuracy(truth, oneCluster) == 4.0 / 12.0)
        // Every sample alone: one sample per class can be matched.
        #expect(clusteringAccuracy(truth, Array(0..<12)) == 3.0 / 12.0)
    }

    @Test func matchPairsEachClusterWithOneClass() {
        let truth = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
        let predicted = [7, 7, 7, 9, 9, 4, 4, 4, 4, 8]
        let match = clusterToClassMatch(truth, predicted)
        #expect(match == [7: 0, 9: 1, 4: 2])
    }

    @Test func linearSumAssignmentSolvesRectangularProblems() {
        // 2 x 3: the best is row 0 -> column 2 (1), row 1 -> column 0 (2).
        let wide = linearSumAssignment(cost: [5, 9, 1, 2, 8, 7], rows: 2, columns: 3)
        #expect(wide.map(\.row) == [0, 1] && wide.map(\.column) == [2, 0])
        // The transpose gives the transposed answer.
        let tall = linearSumAssignment(cost: [5, 2, 9, 8, 1, 7], rows: 3, columns: 2)
        #expect(tall.map(\.row) == [0, 2] && tall.map(\.column) == [1, 0])
    }

    @Test func independentLabellingsScoreNearZeroAfterAdjustment() {
        let a = seededLabels(count: 3000, classes: 5, seed: 11)
        let b = seededLabels(count: 3000, classes: 5, seed: 12)
        #expect(abs(adjustedRandIndex(a, b)) < 0.01)
        #expect(abs(adjustedMutualInformation(a, b)) < 0.01)
    }
}
