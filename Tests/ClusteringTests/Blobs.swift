import Basics

/// Seeded Gaussian blobs: `perBlob` points around each of `centres` (row-major, `dimension`
/// columns), standard deviation `spread`; returns the points and each point's blob.
func gaussianBlobs(
    centres: [Float], dimension: Int, perBlob: Int, spread: Float, seed: UInt64
) -> (points: [Float], blobs: [Int]) {
    var generator = SeededGenerator(seed: seed)
    let blobCount = centres.count / dimension
    var points: [Float] = []
    var blobs: [Int] = []
    for point in 0..<(blobCount * perBlob) {
        // Interleave the blobs so no method can lean on the input order.
        let blob = point % blobCount
        for axis in 0..<dimension {
            points.append(centres[blob * dimension + axis] + spread * generator.nextGaussian())
        }
        blobs.append(blob)
    }
    return (points, blobs)
}

/// `count` blob centres in `[0, side)^dimension`, each pair at least `separation` apart.
func separatedCentres(count: Int, dimension: Int, side: Float, separation: Float, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    var centres: [Float] = []
    while centres.count < count * dimension {
        let candidate = (0..<dimension).map { _ in generator.nextUniform(0, side) }
        let farEnough = stride(from: 0, to: centres.count, by: dimension).allSatisfy { start in
            var squared: Float = 0
            for axis in 0..<dimension { squared += (centres[start + axis] - candidate[axis]) * (centres[start + axis] - candidate[axis]) }
            return squared >= separation * separation
        }
        if farEnough { centres.append(contentsOf: candidate) }
    }
    return centres
}

/// Whether two labellings describe the same partition (equal up to renaming).
func samePartition(_ a: [Int], _ b: [Int]) -> Bool {
    guard a.count == b.count else { return false }
    var forward: [Int: Int] = [:], backward: [Int: Int] = [:]
    for index in a.indices {
        if let mapped = forward[a[index]], mapped != b[index] { return false }
        if let mapped = backward[b[index]], mapped != a[index] { return false }
        forward[a[index]] = b[index]
        backward[b[index]] = a[index]
    }
    return true
}
