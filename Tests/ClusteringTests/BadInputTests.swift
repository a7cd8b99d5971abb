import Clustering
import Testing

@Suite struct BadInputTests {
    @Test func emptyPointsThrow() {
        #expect(throws: ClusteringError.noPoints) { try gridShift([], dimension: 3, bandwidth: .fixed(1)) }
        #expect(throws: ClusteringError.noPoints) { try meanShiftPlusPlus([], dimension: 3, bandwidth: .fixed(1)) }
        #expect(throws: ClusteringError.noPoints) { try kMeans([], dimension: 3, clusterCount: 2) }
    }

    @Test func nonFiniteCoordinatesNameTheirRow() throws {
        let points: [Float] = [0, 0, 0, 1, 1, 1, 2, .nan, 2]
        let error = try #require(throws: ClusteringError.self) { try gridShift(points, dimension: 3) }
        #expect(error == .nonFinite(row: 2, column: 1, value: .nan) || "\(error)".contains("row 2, column 1"))
        #expect("\(error)".contains("expected finite") && "\(error)".contains("row 2"))
        #expect(throws: ClusteringError.self) { try kMeans([0, .infinity], dimension: 1, clusterCount: 1) }
    }

    @Test func nonPositiveBandwidthsThrow() {
        for h: Float in [0, -1, .nan, .infinity] {
            #expect(throws: ClusteringError.self) { try gridShift([0, 1], dimension: 1, bandwidth: .fixed(h)) }
        }
        let error = ClusteringError.invalidBandwidth(-1)
        #expect(error.description.contains("expected a positive finite bandwidth, found -1.0"))
        #expect(throws: ClusteringError.invalidBandwidth(0)) { try gridShift([0, 1], dimension: 1, bandwidth: .fixed(0)) }
    }

    @Test func shapeAndParameterErrorsThrow() {
        #expect(throws: ClusteringError.shapeMismatch(valueCount: 5, dimension: 3)) {
            try gridShift([0, 1, 2, 3, 4], dimension: 3, bandwidth: .fixed(1))
        }
        #expect(throws: ClusteringError.invalidDimension(0)) { try gridShift([0, 1], dimension: 0) }
        #expect(throws: ClusteringError.invalidClusterCount(requested: 3, points: 2)) {
            try kMeans([0, 1], dimension: 1, clusterCount: 3)
        }
        #expect(throws: ClusteringError.self) { try gridShift([0, 1], dimension: 1, bandwidth: .fixed(1), maximumIterations: -1) }
        #expect(throws: ClusteringError.self) { try gridShift([0.5], dimension: 1) }  // one point: no neighbours
    }

    @Test func duplicatePointsMakeTheAutomaticBandwidthThrow() {
        let points = [Float](repeating: 2, count: 300)
        #expect(throws: ClusteringError.self) { try gridShift(points, dimension: 3) }
        // An explicit bandwidth still works: one cluster.
        #expect((try? gridShift(points, dimension: 3, bandwidth: .fixed(1)))?.clusterCount == 1)
    }

    @Test func tooFineAGridThrows() {
        #expect(throws: ClusteringError.self) {
            try gridShift([0, 0, 0, 1e6, 1e6, 1e6], dimension: 3, bandwidth: .fixed(1e-4))
        }
        // Cell indices beyond Int's range are refused before they are computed.
        #expect(throws: ClusteringError.self) {
            try gridShift([-3e38, 3e38], dimension: 1, bandwidth: .fixed(1e-30))
        }
    }
}
