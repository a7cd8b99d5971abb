import Basics

/// The contingency table of two labellings of the same samples: `counts[i][j]` is the number
/// of samples whose true class is `classes[i]` and whose cluster is `clusters[j]`.
///
/// Rows are the distinct values of `truth`, columns those of `predicted`, each sorted
/// ascending (as `sklearn.metrics.cluster.contingency_matrix` orders them).
public struct ContingencyTable: Sendable, Equatable {
    /// The distinct true classes, ascending; row `i` is `classes[i]`.
    public let classes: [Int]
    /// The distinct clusters, ascending; column `j` is `clusters[j]`.
    public let clusters: [Int]
    /// Row-major `classes.count x clusters.count` counts.
    public let counts: [Int]
    /// The number of samples, the sum of all counts.
    public let sampleCount: Int

    /// Counts the co-occurrences of `truth[s]` and `predicted[s]` over all samples `s`.
    ///
    /// - Precondition: `truth.count == predicted.count`, and both are non-empty.
    public init(truth: [Int], predicted: [Int]) {
        checkArgument(
            truth.count == predicted.count,
            "ContingencyTable: truth has \(truth.count) labels, predicted has \(predicted.count)")
        checkArgument(!truth.isEmpty, "ContingencyTable: no samples")
        let (classes, rowOf) = Self.denseCodes(truth)
        let (clusters, columnOf) = Self.denseCodes(predicted)
        var counts = [Int](repeating: 0, count: classes.count * clusters.count)
        for sample in truth.indices {
            counts[rowOf[sample] * clusters.count + columnOf[sample]] += 1
        }
        self.classes = classes
        self.clusters = clusters
        self.counts = counts
        self.sampleCount = truth.count
    }

    /// The number of samples of class row `row` in cluster column `column`.
    public subscript(row: Int, column: Int) -> Int { counts[row * clusters.count + column] }

    /// Samples per true class (row sums), in the order of `classes`.
    public var classSizes: [Int] {
        (0..<classes.count).map { row in
            (0..<clusters.count).reduce(0) { $0 + self[row, $1] }
        }
    }

    /// Samples per cluster (column sums), in the order of `clusters`.
    public var clusterSizes: [Int] {
        (0..<clusters.count).map { column in
            (0..<classes.count).reduce(0) { $0 + self[$1, column] }
        }
    }

    /// The sorted distinct values of `labels` and, for each sample, the index of its value.
    static func denseCodes(_ labels: [Int]) -> (values: [Int], codes: [Int]) {
        let values = Array(Set(labels)).sorted()
        var index: [Int: Int] = [:]
        index.reserveCapacity(values.count)
        for (position, value) in values.enumerated() { index[value] = position }
        return (values, labels.map { index[$0]! })
    }
}
