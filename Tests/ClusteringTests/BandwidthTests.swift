import Clustering
import Basics
import Testing

@Suite struct BandwidthTests {
    @Test func automaticBandwidthIsAPercentileOfChebyshevDistancesToTheKthNeighbour() throws {
        let (points, _) = gaussianBlobs(centres: [0, 0, 3, 3], dimension: 2, perBlob: 150, spread: 0.5, seed: 21)
        let n = points.count / 2
        // Every point is a query when sampleSize >= n, so the brute force below is the definition.
        let rule = AutomaticBandwidth(sampleSize: n)
        let k = n / 14
        var radii: [Float] = []
        for query in 0..<n {
            var distances: [Float] = []
            for other in 0..<n where other != query {
                distances.append(max(abs(points[2 * query] - points[2 * other]),
                                     abs(points[2 * query + 1] - points[2 * other + 1])))
            }
            radii.append(distances.sorted()[k - 1])
        }
        radii.sort()
        let rank = 0.04 * Double(radii.count - 1)
        let lower = Int(rank)
        let expected = radii[lower] + Float(rank - Double(lower)) * (radii[lower + 1] - radii[lower])
        let found = try rule.bandwidth(points, dimension: 2)
        #expect(abs(found - expected) <= 1e-6 * expected, "\(found) vs \(expected)")
    }

    @Test func automaticBandwidthIsSeededAndStable() throws {
        let (points, _) = gaussianBlobs(centres: [0, 0, 0, 5, 5, 5], dimension: 3, perBlob: 2000, spread: 0.5, seed: 22)
        let first = try AutomaticBandwidth().bandwidth(points, dimension: 3)
        #expect(try AutomaticBandwidth().bandwidth(points, dimension: 3) == first)
        // Another sample of 1,000 queries lands close by.
        let other = try AutomaticBandwidth(seed: 99).bandwidth(points, dimension: 3)
        #expect(abs(other - first) < 0.1 * first, "\(other) vs \(first)")
    }
}

@Suite struct LargeBandwidthTests {
    /// The documented rule, by brute force over the same seeded sample of queries.
    func bruteForceBandwidth(_ points: [Float], dimension: Int, sampleSize: Int, seed: UInt64) -> Float {
        let n = points.count / dimension
        var generator = SeededGenerator(seed: seed)
        var indices = Array(0..<n)
        let m = min(n, sampleSize)
        for position in 0..<m { indices.swapAt(position, position + generator.nextInt(below: n - position)) }
        let k = n / 14
        var radii: [Float] = []
        for query in indices[..<m] {
            var distances: [Float] = []
            distances.reserveCapacity(n - 1)
            for other in 0..<n where other != query {
                var distance: Float = 0
                for axis in 0..<dimension {
                    distance = max(distance, abs(points[query * dimension + axis] - points[other * dimension + axis]))
                }
                distances.append(distance)
            }
            distances.sort()
            radii.append(distances[k - 1])
        }
        radii.sort()
        let rank = 0.04 * Double(m - 1)
        let lower = Int(rank)
        return radii[lower] + Float(rank - Double(lower)) * (radii[min(lower + 1, m - 1)] - radii[lower])
    }

    @Test(arguments: [false, true])
    func largeSetsGiveTheBruteForceValue(quantized: Bool) throws {
        // 12,000 points take the sampled-bound selection; quantized coordinates make many
        // distances tie, which the bound must survive.
        var (points, _) = gaussianBlobs(
            centres: [0, 0, 0, 4, 4, 4, 8, 0, 2], dimension: 3, perBlob: 4000, spread: 0.7, seed: 41)
        if quantized { points = points.map { ($0 * 4).rounded() / 4 } }
        let found = try AutomaticBandwidth(sampleSize: 40, seed: 3).bandwidth(points, dimension: 3)
        let expected = bruteForceBandwidth(points, dimension: 3, sampleSize: 40, seed: 3)
        #expect(found == expected, "\(found) vs brute force \(expected)")
    }
}
