import Foundation
import Basics

/// The result of `kMeans`: the best of its restarts by inertia.
public struct KMeansResult: Sendable, Equatable {
    /// One cluster label per point, in `0..<clusterCount`; label `j` is the point's nearest
    /// centre `j`.
    public var labels: [Int]
    /// Row-major `clusterCount x dimension`.
    public var centres: [Float]
    /// The number of coordinates of a point.
    public let dimension: Int
    /// The sum of squared distances of the points to their centres (`inertia_`).
    public let inertia: Double
    /// Lloyd iterations of the winning restart.
    public let iterations: Int
    /// Whether the winning restart met the tolerance (or stopped changing) before the cap.
    public let converged: Bool

    /// The number of clusters, `k`.
    public var clusterCount: Int { centres.count / dimension }
}

/// k-means (Lloyd's iterations) from k-means++ seeds, best of `restarts` seeded runs by
/// inertia, as scikit-learn's `KMeans(init="k-means++", n_init=restarts)`:
///
/// - seeding is greedy k-means++: the first centre uniform, each next one the best (lowest
///   resulting inertia) of `2 + floor(ln k)` candidates drawn with probability proportional
///   to the squared distance to the nearest chosen centre;
/// - a run stops when the summed squared centre movement falls to `tolerance` times the mean
///   per-coordinate variance of the data, when no label changes, or after
///   `maximumIterations`; an emptied cluster is moved to the point farthest from its centre;
/// - restart `r` draws from `SeededGenerator(seed: seed, stream: [r])`.
///
/// Squared distances go through `gemm` as `|x|^2 - 2 x.c + |c|^2` when the dimension is 16 or
/// more, and through direct loops below; both spread the points over the cores.
///
/// - Parameters:
///   - points: row-major `n x dimension`, finite.
///   - clusterCount: `k`, in `1...n`.
/// - Throws: `ClusteringError` for bad points or parameters.
public func kMeans(
    _ points: [Float], dimension: Int, clusterCount: Int, restarts: Int = 10,
    maximumIterations: Int = 300, tolerance: Double = 1e-4, seed: UInt64 = 0
) throws(ClusteringError) -> KMeansResult {
    let n = try validatePoints(points, dimension: dimension)
    guard clusterCount >= 1 && clusterCount <= n else { throw .invalidClusterCount(requested: clusterCount, points: n) }
    guard restarts >= 1 else { throw .invalidSetting(name: "restarts", value: "\(restarts)", expected: ">= 1") }
    guard maximumIterations >= 1 else {
        throw .invalidSetting(name: "maximumIterations", value: "\(maximumIterations)", expected: ">= 1")
    }
    guard tolerance >= 0 && tolerance.isFinite else {
        throw .invalidSetting(name: "tolerance", value: "\(tolerance)", expected: ">= 0")
    }
    let distances = SquaredDistances(points: points, count: n, dimension: dimension)
    let scaledTolerance = tolerance * meanVariance(points, count: n, dimension: dimension)
    var best: KMeansResult?
    for restart in 0..<restarts {
        var generator = SeededGenerator(seed: seed, stream: [UInt64(restart)])
        let seeds = kMeansPlusPlusSeeds(distances, clusterCount: clusterCount, generator: &generator)
        let run = lloyd(distances, centres: seeds, clusterCount: clusterCount,
                        maximumIterations: maximumIterations, tolerance: scaledTolerance)
        if best == nil || run.inertia < best!.inertia { best = run }
    }
    return best!
}

/// The mean over coordinates of the per-coordinate variance (scikit-learn's tolerance scale).
private func meanVariance(_ points: [Float], count n: Int, dimension d: Int) -> Double {
    var total = 0.0
    for axis in 0..<d {
        var mean = 0.0
        for point in 0..<n { mean += Double(points[point * d + axis]) }
        mean /= Double(n)
        var variance = 0.0
        for point in 0..<n {
            let step = Double(points[point * d + axis]) - mean
            variance += step * step
        }
        total += variance / Double(n)
    }
    return total / Double(d)
}

/// Greedy k-means++ seeding (Arthur and Vassilvitskii, 2007; scikit-learn's local trials).
private func kMeansPlusPlusSeeds(
    _ distances: SquaredDistances, clusterCount k: Int, generator: inout SeededGenerator
) -> [Float] {
    let n = distances.count, d = distances.dimension
    let trials = 2 + Int(log(Double(k)))
    var centres = [Float]()
    centres.reserveCapacity(k * d)
    let first = generator.nextInt(below: n)
    centres.append(contentsOf: distances.row(first))
    var closest = distances.toCentres(distances.row(first), centreCount: 1)
    var candidateDistances = [Float](repeating: 0, count: n * trials)
    for _ in 1..<k {
        // Cumulative weights for sampling proportional to the squared distance.
        var cumulative = [Double](repeating: 0, count: n)
        var running = 0.0
        for point in 0..<n {
            running += Double(closest[point])
            cumulative[point] = running
        }
        var candidates = [Int]()
        for _ in 0..<trials {
            let target = Double(generator.nextUniform()) * running
            // The first point whose cumulative weight exceeds the target.
            var low = 0, high = n - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] > target { high = middle } else { low = middle + 1 }
            }
            candidates.append(running > 0 ? low : generator.nextInt(below: n))
        }
        var candidateRows = [Float]()
        candidateRows.reserveCapacity(trials * d)
        for candidate in candidates { candidateRows.append(contentsOf: distances.row(candidate)) }
        candidateDistances = distances.toCentres(candidateRows, centreCount: trials)
        var bestTrial = 0, bestPotential = Double.infinity
        for trial in 0..<trials {
            var potential = 0.0
            for point in 0..<n { potential += Double(min(closest[point], candidateDistances[point * trials + trial])) }
            if potential < bestPotential { bestPotential = potential; bestTrial = trial }
        }
        for point in 0..<n { closest[point] = min(closest[point], candidateDistances[point * trials + bestTrial]) }
        centres.append(contentsOf: distances.row(candidates[bestTrial]))
    }
    return centres
}

/// Lloyd's iterations from `centres` (row-major `k x d`).
private func lloyd(
    _ distances: SquaredDistances, centres initial: [Float], clusterCount k: Int,
    maximumIterations: Int, tolerance: Double
) -> KMeansResult {
    let n = distances.count, d = distances.dimension
    var centres = initial
    var labels = [Int](repeating: -1, count: n)
    var previous = labels
    var nearest = [Float](repeating: 0, count: n)
    var iterations = 0
    var converged = false
    var sums = [Double](repeating: 0, count: k * d)
    var sizes = [Int](repeating: 0, count: k)
    while iterations < maximumIterations {
        iterations += 1
        swap(&labels, &previous)
        distances.assign(centres: centres, centreCount: k, labels: &labels, nearest: &nearest)
        if labels == previous {
            converged = true
            break
        }
        for index in sums.indices { sums[index] = 0 }
        for index in sizes.indices { sizes[index] = 0 }
        for point in 0..<n {
            let label = labels[point]
            sizes[label] += 1
            for axis in 0..<d { sums[label * d + axis] += Double(distances.points[point * d + axis]) }
        }
        var movement = 0.0
        // Points by decreasing distance to their centre, only when a cluster emptied.
        var farthest = (sizes.contains(0) ? Array(0..<n).sorted { nearest[$0] > nearest[$1] } : []).makeIterator()
        for cluster in 0..<k {
            var newCentre = [Float](repeating: 0, count: d)
            if sizes[cluster] == 0 {
                // An empty cluster restarts at the point worst served by its centre.
                let point = farthest.next() ?? 0
                for axis in 0..<d { newCentre[axis] = distances.points[point * d + axis] }
            } else {
                for axis in 0..<d { newCentre[axis] = Float(sums[cluster * d + axis] / Double(sizes[cluster])) }
            }
            for axis in 0..<d {
                let step = Double(newCentre[axis] - centres[cluster * d + axis])
                movement += step * step
                centres[cluster * d + axis] = newCentre[axis]
            }
        }
        if movement <= tolerance {
            converged = true
            distances.assign(centres: centres, centreCount: k, labels: &labels, nearest: &nearest)
            break
        }
    }
    if !converged {
        distances.assign(centres: centres, centreCount: k, labels: &labels, nearest: &nearest)
    }
    let inertia = nearest.reduce(0.0) { $0 + Double($1) }
    return KMeansResult(
        labels: labels, centres: centres, dimension: d,
        inertia: inertia, iterations: iterations, converged: converged)
}
