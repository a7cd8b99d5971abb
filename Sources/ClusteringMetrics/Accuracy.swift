/// Clustering accuracy: the fraction of samples whose cluster is matched to their class by
/// the best one-to-one matching of clusters to classes,
///
///     ACC = max over injective matchings m of  sum_j counts[m(j), j] / n,
///
/// found with a rectangular Hungarian match on the contingency table. When the numbers of
/// clusters and classes differ, the surplus clusters (or classes) stay unmatched and all
/// their samples count as errors, so ACC is defined for any found k and is at most
/// `min(k_found, k_true)`'s share of the samples.
///
/// - Parameters: `truth` and `predicted`, one label per sample, same length, non-empty.
/// - Returns: a value in (0, 1]; 1 exactly when the two partitions are equal.
public func clusteringAccuracy(_ truth: [Int], _ predicted: [Int]) -> Double {
    let table = ContingencyTable(truth: truth, predicted: predicted)
    let matched = clusterToClassMatch(table).reduce(0) { $0 + table[$1.classRow, $1.clusterColumn] }
    return Double(matched) / Double(table.sampleCount)
}

/// The cluster-to-class matching behind `clusteringAccuracy`: for each matched cluster, the
/// class it stands for (`[cluster label: class label]`). Unmatched clusters are absent.
public func clusterToClassMatch(_ truth: [Int], _ predicted: [Int]) -> [Int: Int] {
    let table = ContingencyTable(truth: truth, predicted: predicted)
    var match: [Int: Int] = [:]
    for pair in clusterToClassMatch(table) {
        match[table.clusters[pair.clusterColumn]] = table.classes[pair.classRow]
    }
    return match
}

/// The maximum-weight matching of rows (classes) to columns (clusters) of `table`.
func clusterToClassMatch(_ table: ContingencyTable) -> [(classRow: Int, clusterColumn: Int)] {
    // Maximising matched counts = minimising their negatives.
    let cost = table.counts.map { -Double($0) }
    return linearSumAssignment(cost: cost, rows: table.classes.count, columns: table.clusters.count)
        .map { (classRow: $0.row, clusterColumn: $0.column) }
}
