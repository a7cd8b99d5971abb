import Basics
import Clustering
import Foundation
import Testing

@Suite struct KDTreeTests {
    @Test(arguments: [2, 3, 5])
    func neighboursMatchABruteForceSearch(dimension: Int) {
        var generator = SeededGenerator(seed: UInt64(dimension))
        var points = (0..<(700 * dimension)).map { _ in generator.nextGaussian() }
        // Duplicates and ties: the order is distance, then index.
        for axis in 0..<dimension { points[10 * dimension + axis] = points[3 * dimension + axis] }
        let n = 700, k = 9
        let (indices, distances) = KDTree(points: points, dimension: dimension).neighborsOfEveryPoint(k)
        for point in stride(from: 0, to: n, by: 7) {
            let expected = (0..<n).filter { $0 != point }.map { other -> (Float, Int) in
                var squared: Float = 0
                for axis in 0..<dimension {
                    let step = points[point * dimension + axis] - points[other * dimension + axis]
                    squared += step * step
                }
                return (squared, other)
            }.sorted { $0 < $1 }.prefix(k)
            #expect(indices[(point * k)..<((point + 1) * k)].map(Int.init) == expected.map(\.1), "point \(point)")
            for (rank, (squared, _)) in expected.enumerated() {
                #expect(abs(distances[point * k + rank] - squared.squareRoot()) < 1e-5)
            }
        }
    }
}

@Suite struct PersistenceMergeTests {
    /// Two rings of radius 5 in the plane z = 0, 30 apart, with a little noise.
    func twoRings(perRing: Int) -> (points: [Float], rings: [Int]) {
        var generator = SeededGenerator(seed: 11)
        var points: [Float] = [], rings: [Int] = []
        for index in 0..<(2 * perRing) {
            let ring = index % 2
            let angle = generator.nextUniform(0, 2 * Float.pi)
            let x: Float = Float(ring) * 30 + 5 * cos(angle) + 0.2 * generator.nextGaussian()
            let y: Float = 5 * sin(angle) + 0.2 * generator.nextGaussian()
            let z: Float = 0.2 * generator.nextGaussian()
            points += [x, y, z]
            rings.append(ring)
        }
        return (points, rings)
    }

    @Test func ringsThatGridShiftCutIntoArcsAreJoinedWhole() throws {
        let (points, rings) = twoRings(perRing: 600)
        let finest = try gridShift(points, dimension: 3, bandwidth: .fixed(1))
        #expect(finest.clusterCount > 4, "GridShift at h = 1 should cut the rings into arcs")
        let (merged, diagram) = PersistenceMerge().merge(finest, points: points, dimension: 3)
        #expect(samePartition(merged.labels, rings), "found \(merged.clusterCount) clusters")
        #expect(diagram.count == finest.clusterCount)
        #expect(diagram.count { $0.death == nil } == 2)
        #expect(diagram.allSatisfy { pair in pair.death.map { $0 <= pair.peak } ?? true })
    }

    @Test func aThinBridgeDoesNotJoinTwoBlobs() throws {
        var (points, blobs) = gaussianBlobs(centres: [0, 0, 0, 12, 0, 0], dimension: 3, perBlob: 500, spread: 1, seed: 4)
        // Twelve points strung between the blobs: a valley far below either peak.
        for step in 1...12 {
            points += [Float(step) * 12 / 13, 0, 0]
            blobs.append(step <= 6 ? 0 : 1)
        }
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .persistence)
        #expect(result.clusterCount == 2, "found \(result.clusterCount)")
        let core = Array(0..<1000)
        #expect(samePartition(core.map { result.labels[$0] }, core.map { blobs[$0] }))
        #expect(choice.rule == .persistence && choice.persistence != nil)
        #expect(choice.chosen == choice.candidates.lastIndex { $0.clusterCount <= BandwidthSweep().maximumClusterCount })
    }

    @Test func theResultDoesNotDependOnHowTheFragmentsAreNumbered() throws {
        let (points, _) = twoRings(perRing: 300)
        let finest = try gridShift(points, dimension: 3, bandwidth: .fixed(1.5))
        var renumbered = finest
        let count = finest.clusterCount
        renumbered.labels = finest.labels.map { count - 1 - $0 }
        renumbered.centres = (0..<count).reversed().flatMap { finest.centres[($0 * 3)..<($0 * 3 + 3)] }
        let once = PersistenceMerge().merge(finest, points: points, dimension: 3).result
        let again = PersistenceMerge().merge(renumbered, points: points, dimension: 3).result
        #expect(samePartition(once.labels, again.labels))
    }

    @Test func oneBlobStaysOneCluster() throws {
        let (points, _) = gaussianBlobs(centres: [0, 0, 0], dimension: 3, perBlob: 2000, spread: 1, seed: 9)
        let (result, choice) = try gridShift(points, dimension: 3, selecting: .persistence)
        #expect(result.clusterCount == 1, "found \(result.clusterCount)")
        #expect(choice.candidates[choice.chosen].clusterCount > 1)
    }

    @Test func badSettingsThrowAndNameTheSetting() {
        #expect(throws: ClusteringError.invalidSetting(name: "ratio", value: "1.5", expected: "in [0, 1]")) {
            try PersistenceMerge(ratio: 1.5).validate()
        }
        #expect(throws: ClusteringError.invalidSetting(name: "neighborCount", value: "0", expected: "in 1...1000")) {
            try PersistenceMerge(neighborCount: 0).validate()
        }
    }
}
