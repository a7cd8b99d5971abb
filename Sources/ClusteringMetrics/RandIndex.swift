/// The adjusted Rand index (Hubert and Arabie, 1985), from the pair confusion matrix as
/// scikit-learn computes it: with `tp` pairs together in both labellings, `tn` apart in
/// both, `fp` together only in `predicted` and `fn` together only in `truth`,
///
///     ARI = 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)),
///
/// and 1 when `fn = fp = 0` (full agreement). Symmetric; 1 for identical partitions, about 0
/// for independent ones, negative below chance.
public func adjustedRandIndex(_ truth: [Int], _ predicted: [Int]) -> Double {
    let table = ContingencyTable(truth: truth, predicted: predicted)
    let n = table.sampleCount
    let rowSums = table.classSizes, columnSums = table.clusterSizes
    var sumOfSquares = 0
    var rowWeighted = 0      // sum_ij n_ij * b_j
    var columnWeighted = 0   // sum_ij n_ij * a_i
    for row in rowSums.indices {
        for column in columnSums.indices {
            let count = table[row, column]
            sumOfSquares += count * count
            rowWeighted += count * columnSums[column]
            columnWeighted += count * rowSums[row]
        }
    }
    // Ordered pairs, as sklearn's pair_confusion_matrix; the factor 2 cancels in the ratio.
    let truePositive = Double(sumOfSquares - n)
    let falsePositive = Double(rowWeighted - sumOfSquares)
    let falseNegative = Double(columnWeighted - sumOfSquares)
    let trueNegative = Double(n) * Double(n) - falsePositive - falseNegative - Double(sumOfSquares)
    if falseNegative == 0 && falsePositive == 0 { return 1 }
    let numerator = 2 * (truePositive * trueNegative - falseNegative * falsePositive)
    let denominator = (truePositive + falseNegative) * (falseNegative + trueNegative)
        + (truePositive + falsePositive) * (falsePositive + trueNegative)
    return numerator / denominator
}
