import Clustering
import Testing

@Suite struct KMeansTests {
    @Test(arguments: [3, 24])
    func recoversSeparatedBlobs(dimension: Int) throws {
        // 24 dimensions take the gemm path, 3 the direct one.
        let centres = separatedCentres(count: 5, dimension: dimension, side: 20, separation: 6, seed: 31)
        let (points, blobs) = gaussianBlobs(centres: centres, dimension: dimension, perBlob: 200, spread: 0.5, seed: 32)
        let result = try kMeans(points, dimension: dimension, clusterCount: 5, seed: 1)
        let partitionsAgree = samePartition(result.labels, blobs)
        #expect(partitionsAgree)
        #expect(result.converged)
        #expect(result.clusterCount == 5)
        // Inertia is the sum of squared distances to the returned centres.
        var inertia = 0.0
        for point in 0..<blobs.count {
            for axis in 0..<dimension {
                let step = Double(points[point * dimension + axis] - result.centres[result.labels[point] * dimension + axis])
                inertia += step * step
            }
        }
        #expect(abs(inertia - result.inertia) < 1e-3 * inertia)
    }

    @Test func isSeededAndRestartsNeverHurt() throws {
        let centres = separatedCentres(count: 8, dimension: 2, side: 10, separation: 1.5, seed: 33)
        let (points, _) = gaussianBlobs(centres: centres, dimension: 2, perBlob: 100, spread: 0.6, seed: 34)
        let first = try kMeans(points, dimension: 2, clusterCount: 8, seed: 5)
        let again = try kMeans(points, dimension: 2, clusterCount: 8, seed: 5)
        #expect(first == again)
        let single = try kMeans(points, dimension: 2, clusterCount: 8, restarts: 1, seed: 5)
        #expect(first.inertia <= single.inertia)
    }

    @Test func oneClusterIsTheMean() throws {
        let result = try kMeans([0, 0, 2, 4, 4, 2], dimension: 2, clusterCount: 1)
        #expect(result.labels == [0, 0, 0])
        #expect(abs(result.centres[0] - 2) < 1e-6 && abs(result.centres[1] - 2) < 1e-6)
    }
}
