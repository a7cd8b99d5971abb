#if canImport(Glibc)
import Basics
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The entropy of a labelling in nats, `H(U) = -sum_i (a_i / n) log(a_i / n)` over the class
/// sizes `a_i`; 0 for a single class (as `sklearn.metrics.cluster.entropy`).
public func entropy(_ labels: [Int]) -> Double {
    checkArgument(!labels.isEmpty, "entropy: no labels")
    var sizes: [Int: Int] = [:]
    for label in labels { sizes[label, default: 0] += 1 }
    return entropy(sizes: Array(sizes.values))
}

func entropy(sizes: [Int]) -> Double {
    if sizes.count <= 1 { return 0 }
    let total = Double(sizes.reduce(0, +))
    return -sizes.reduce(0.0) { sum, size in
        let share = Double(size) / total
        return sum + share * (log(Double(size)) - log(total))
    }
}

/// The mutual information of two labellings in nats,
/// `MI(U, V) = sum_ij (n_ij / n) log(n n_ij / (a_i b_j))` over the contingency table
/// (`sklearn.metrics.mutual_info_score`); 0 when either side has a single label.
public func mutualInformation(_ truth: [Int], _ predicted: [Int]) -> Double {
    mutualInformation(ContingencyTable(truth: truth, predicted: predicted))
}

func mutualInformation(_ table: ContingencyTable) -> Double {
    if table.classes.count == 1 || table.clusters.count == 1 { return 0 }
    let n = Double(table.sampleCount)
    let rowSums = table.classSizes, columnSums = table.clusterSizes
    var sum = 0.0
    for row in 0..<table.classes.count {
        for column in 0..<table.clusters.count {
            let count = table[row, column]
            if count == 0 { continue }
            let share = Double(count) / n
            let outer = Double(rowSums[row]) * Double(columnSums[column])
            sum += share * (log(Double(count)) - log(n)) + share * (log(n) + log(n) - log(outer))
        }
    }
    return max(sum, 0)
}

/// Normalised mutual information with the arithmetic-mean normaliser (scikit-learn's
/// default, `average_method="arithmetic"`):
///
///     NMI(U, V) = MI(U, V) / ((H(U) + H(V)) / 2)
///
/// Both labellings with a single label: 1 (a perfect match); otherwise MI = 0 gives 0.
public func normalizedMutualInformation(_ truth: [Int], _ predicted: [Int]) -> Double {
    let table = ContingencyTable(truth: truth, predicted: predicted)
    if table.classes.count == 1 && table.clusters.count == 1 { return 1 }
    let information = mutualInformation(table)
    if information == 0 { return 0 }
    let normalizer = (entropy(sizes: table.classSizes) + entropy(sizes: table.clusterSizes)) / 2
    return information / normalizer
}

/// Adjusted mutual information, arithmetic-mean normaliser, as scikit-learn computes it:
///
///     AMI(U, V) = (MI - E[MI]) / ((H(U) + H(V)) / 2 - E[MI])
///
/// where `E[MI]` is the expected mutual information of two random labellings with the same
/// class and cluster sizes under the hypergeometric model (Vinh, Epps and Bailey, 2010).
/// Both labellings with a single label: 1. The denominator is kept at least machine epsilon
/// away from 0 with its sign, as scikit-learn does.
public func adjustedMutualInformation(_ truth: [Int], _ predicted: [Int]) -> Double {
    let table = ContingencyTable(truth: truth, predicted: predicted)
    if table.classes.count == 1 && table.clusters.count == 1 { return 1 }
    let information = mutualInformation(table)
    let expected = expectedMutualInformation(table)
    let normalizer = (entropy(sizes: table.classSizes) + entropy(sizes: table.clusterSizes)) / 2
    var denominator = normalizer - expected
    denominator = denominator < 0 ? min(denominator, -Double.ulpOfOne) : max(denominator, Double.ulpOfOne)
    return (information - expected) / denominator
}

/// The expected mutual information of random labellings with the table's marginals:
///
///     E[MI] = sum_ij sum_{n_ij = max(1, a_i + b_j - N)}^{min(a_i, b_j)}
///               (n_ij / N) log(N n_ij / (a_i b_j))
///               a_i! b_j! (N - a_i)! (N - b_j)! / (N! n_ij! (a_i - n_ij)! (b_j - n_ij)! (N - a_i - b_j + n_ij)!)
///
/// with the factorials in log space (`sklearn.metrics.cluster._expected_mutual_info_fast`).
public func expectedMutualInformation(_ table: ContingencyTable) -> Double {
    let a = table.classSizes, b = table.clusterSizes
    if a.count == 1 || b.count == 1 { return 0 }
    let samples = table.sampleCount
    let n = Double(samples)
    let logN = log(n), logGammaN1 = logGamma(n + 1)
    let largest = max(a.max()!, b.max()!)
    // Tables over n_ij = 0...largest; index 0 is never used.
    let logNij = (0...largest).map { $0 == 0 ? 0 : log(Double($0)) }
    let logGammaNij1 = (0...largest).map { logGamma(Double($0) + 1) }
    var expected = 0.0
    for i in a.indices {
        let ai = a[i]
        let logA = log(Double(ai)), glnA = logGamma(Double(ai) + 1), glnNA = logGamma(n - Double(ai) + 1)
        for j in b.indices {
            let bj = b[j]
            let logB = log(Double(bj)), glnB = logGamma(Double(bj) + 1), glnNB = logGamma(n - Double(bj) + 1)
            let start = max(1, ai - samples + bj)
            let end = min(ai, bj)
            if start > end { continue }
            for nij in start...end {
                let term1 = Double(nij) / n
                let term2 = logN + logNij[nij] - logA - logB
                let numerators: Double = glnA + glnB + glnNA + glnNB
                let fixedDenominators: Double = logGammaNij1[nij] + logGammaN1
                let freeDenominators: Double = logGamma(Double(ai - nij) + 1)
                    + logGamma(Double(bj - nij) + 1) + logGamma(Double(samples - ai - bj + nij) + 1)
                let gln = numerators - fixedDenominators - freeDenominators
                expected += term1 * term2 * exp(gln)
            }
        }
    }
    return expected
}

/// `log(Gamma(x))` for x > 0.
@inline(__always)
private func logGamma(_ x: Double) -> Double {
    let value: Double = lgamma(x)
    return value
}
