import Basics

/// The mean silhouette of a partition, measured on a fixed, seeded sample of the points
/// (Rousseeuw 1987; scikit-learn's `silhouette_score` with `sample_size`):
///
///     a(i) = mean distance from i to the other sampled members of its cluster
///     b(i) = min over the other clusters C of the mean distance from i to C's sampled members
///     s(i) = (b(i) - a(i)) / max(a(i), b(i)),   s(i) = 0 when i is alone in its cluster
///     silhouette = mean of s(i) over the sample
///
/// Distances are Euclidean. The sample's `m x m` distance matrix is computed once, so that
/// scoring many partitions of the same points (a bandwidth sweep) costs `m^2` additions each.
/// With `n <= sampleSize` every point is in the sample and the value is exactly scikit-learn's
/// `silhouette_score(points, labels)`.
public struct SampledSilhouette: Sendable {
    /// The sampled points' indices, ascending.
    public let sample: [Int]
    /// Row-major `m x m` Euclidean distances between the sampled points.
    let distances: [Float]

    /// Samples `min(n, sampleSize)` distinct points of `points` (row-major `n x dimension`,
    /// already validated) with `SeededGenerator(seed: seed)` and measures their distances.
    public init(points: [Float], dimension: Int, sampleSize: Int = 2000, seed: UInt64 = 0) {
        let n = points.count / dimension
        checkArgument(sampleSize > 0, "SampledSilhouette: sampleSize \(sampleSize) must be positive")
        let sample = sampledIndices(count: min(n, sampleSize), from: n, seed: seed).sorted()
        let sampled = sample.flatMap { points[($0 * dimension)..<(($0 + 1) * dimension)] }
        // Every sampled point is a "centre" of the others; the gemm form can dip below 0.
        let squared = SquaredDistances(points: sampled, count: sample.count, dimension: dimension)
            .toCentres(sampled, centreCount: sample.count)
        var distances = squared.map { max($0, 0).squareRoot() }
        for row in sample.indices { distances[row * sample.count + row] = 0 }
        self.sample = sample
        self.distances = distances
    }

    /// The mean silhouette of `labels` (one label per point of the full set, any integers
    /// `>= 0`) over the sample; `nil` when the sample holds fewer than two clusters, where the
    /// silhouette is undefined.
    public func score(_ labels: [Int]) -> Double? {
        let m = sample.count
        // Clusters renumbered 0..<k over the sample.
        var compact: [Int: Int] = [:]
        let sampleLabels = sample.map { point in
            let label = labels[point]
            if let index = compact[label] { return index }
            compact[label] = compact.count
            return compact.count - 1
        }
        let k = compact.count
        guard k >= 2 else { return nil }
        var sizes = [Int](repeating: 0, count: k)
        for label in sampleLabels { sizes[label] += 1 }
        var values = [Double](repeating: 0, count: m)
        distances.withUnsafeBufferPointer { distances in
            values.withUnsafeMutableBufferPointer { buffer in
                let output = UncheckedSendable(buffer.baseAddress!)
                parallelChunks(m, minimumChunk: 64) { rows in
                    var sums = [Double](repeating: 0, count: k)
                    for row in rows {
                        let own = sampleLabels[row]
                        if sizes[own] == 1 { output.value[row] = 0; continue }
                        for index in 0..<k { sums[index] = 0 }
                        let distanceRow = distances.baseAddress! + row * m
                        for column in 0..<m { sums[sampleLabels[column]] += Double(distanceRow[column]) }
                        let a = sums[own] / Double(sizes[own] - 1)
                        var b = Double.infinity
                        for index in 0..<k where index != own { b = min(b, sums[index] / Double(sizes[index])) }
                        let scale = max(a, b)
                        output.value[row] = scale > 0 ? (b - a) / scale : 0
                    }
                }
            }
        }
        return values.reduce(0, +) / Double(m)
    }
}
