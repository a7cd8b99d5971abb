import Clustering
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
