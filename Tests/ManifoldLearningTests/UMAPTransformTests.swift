import Basics
import Foundation
import ManifoldLearning
import Testing

@Suite struct UMAPTransformTests {
    /// UMAP fitted on the first 1,500 digits, and the transform of that fit.
    func fitted(seed: UInt64) throws -> (transform: UMAPTransform, digits: [Float], labels: [Int]) {
        let (digits, labels) = try Fixtures.digits()
        let umap = try UMAP(dimensions: 3, neighborCount: 10, minimumDistance: 0, metric: .euclidean, seed: seed)
        let fit = try umap.embed(Array(digits[..<(1500 * 64)]), dimension: 64)
        let transform = try UMAPTransform(umap: umap, reference: Array(digits[..<(1500 * 64)]), dimension: 64,
                                          layout: fit.embedding)
        return (transform, digits, labels)
    }

    /// The index of the nearest row of `rows` (row-major, `dimension` columns) to each row of `queries`.
    func nearest(_ queries: [Float], in rows: [Float], dimension: Int) -> [Int] {
        (0..<(queries.count / dimension)).map { query in
            (0..<(rows.count / dimension)).min { a, b in
                squaredDistance(queries, query, rows, a, dimension) < squaredDistance(queries, query, rows, b, dimension)
            }!
        }
    }

    func squaredDistance(_ x: [Float], _ i: Int, _ y: [Float], _ j: Int, _ dimension: Int) -> Float {
        (0..<dimension).reduce(Float(0)) { sum, axis in
            let step = x[i * dimension + axis] - y[j * dimension + axis]
            return sum + step * step
        }
    }

    @Test func heldOutDigitsLandAsWellAsWithUMAPLearn() throws {
        let reference = try #require(try Fixtures.json("umap_transform.json") as? [String: Any])
        let trustReference = Fixtures.numbers(reference["trustworthiness"])
        let agreementReference = Fixtures.numbers(reference["label_agreement"])
        let (transform, digits, labels) = try fitted(seed: 0)
        let placedPixels = Array(digits[(1500 * 64)...])
        let (layout, neighbors) = try transform.transform(placedPixels)
        #expect(layout.count == 297 * 3 && layout.allSatisfy(\.isFinite))
        #expect(neighbors.neighborCount == 10 && neighbors.pointCount == 297)

        let trust = trustworthiness(placedPixels, dimension: 64, embedding: layout, embeddedDimension: 3, neighborCount: 10)
        let inLayout = nearest(layout, in: transform.layout, dimension: 3)
        let inPixels = nearest(placedPixels, in: transform.reference, dimension: 64)
        let agreement = Double(zip(inLayout, inPixels).count { labels[$0] == labels[$1] }) / 297
        // umap-learn over three seeds: trustworthiness 0.969-0.970, agreement 0.956-0.963.
        #expect(trust >= trustReference.min()! - 0.01, "trustworthiness \(trust), umap-learn \(trustReference)")
        #expect(agreement >= agreementReference.min()! - 0.02, "agreement \(agreement), umap-learn \(agreementReference)")
    }

    @Test func theFittedPointsLandWhereTheFitPutThem() throws {
        let (transform, _, _) = try fitted(seed: 1)
        let sample = Array(transform.reference[..<(300 * 64)])
        let (layout, _) = try transform.transform(sample)
        let landed = nearest(layout, in: transform.layout, dimension: 3)
        let own = landed.enumerated().count { $0.offset == $0.element }
        let sameNeighborhood = landed.enumerated().count { point, found in
            squaredDistance(transform.layout, point, transform.layout, found, 3) < 0.25
        }
        #expect(sameNeighborhood >= 290, "\(sameNeighborhood) of 300 within 0.5 of their own position (\(own) nearest to it)")
    }

    @Test func theResultIsTheSameOnOneCore() throws {
        let (transform, digits, _) = try fitted(seed: 2)
        let placed = Array(digits[(1500 * 64)...])
        try BLASThreads.exclusively(1) {
            let all = try transform.transform(placed).layout
            let oneCore = try Cores.$limit.withValue(1) { try transform.transform(placed).layout }
            #expect(oneCore == all)
        }
    }

    @Test func aLayoutOfTheWrongShapeIsRefused() throws {
        let umap = try UMAP(neighborCount: 5)
        #expect(throws: ManifoldError.self) {
            try UMAPTransform(umap: umap, reference: [Float](repeating: 0.5, count: 40 * 4), dimension: 4,
                              layout: [Float](repeating: 0, count: 39 * 3))
        }
    }
}

@Suite struct ProjectionForestTests {
    @Test(arguments: [DistanceMetric.euclidean, .cosine])
    func findsMostOfTheExactNeighbours(metric: DistanceMetric) throws {
        let (digits, _) = try Fixtures.digits()
        let reference = Array(digits[..<(1500 * 64)]), queries = Array(digits[(1500 * 64)...])
        let exact = neighbors(of: queries, among: reference, dimension: 64, metric: metric, neighborCount: 10, approximate: false)
        let found = neighbors(of: queries, among: reference, dimension: 64, metric: metric, neighborCount: 10, approximate: true)
        var hits = 0
        for query in 0..<297 {
            hits += Set(found.neighbors(of: query)).intersection(exact.neighbors(of: query)).count
        }
        let recall = Double(hits) / Double(297 * 10)
        // 0.89 for both metrics with 4 trees of 128-point leaves (a third of the points seen);
        // the candidates of one random leaf per tree would find about a third.
        #expect(recall >= 0.85, "recall \(recall)")
        // Distances are exact for the neighbours found, ascending.
        for query in 0..<297 {
            let row = Array(found.distances[(query * 10)..<(query * 10 + 10)])
            #expect(row == row.sorted())
        }
    }
}
