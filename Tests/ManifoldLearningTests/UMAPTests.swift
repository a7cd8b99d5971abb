import Foundation
import ManifoldLearning
import Basics
import Testing

@Suite struct UMAPTests {
    /// The sequential sweep (one part) and the default parts alike.
    @Test(arguments: [1, UMAP.defaultLayoutParts])
    func digitsTrustworthinessMatchesUMAPLearn(parts: Int) throws {
        let (digits, _) = try Fixtures.digits()
        let quality = try #require(try Fixtures.json("quality.json") as? [String: Any])
        let reference = Fixtures.numbers(quality["umap"])
        let umap = try UMAP(seed: 0, layoutParts: parts, minimumPartSize: 100)
        #expect(umap.partCount(pointCount: 1797) == parts)
        let result = try umap.embed(digits, dimension: 64)
        #expect(result.embedding.count == 1797 * 3)
        #expect(result.embedding.allSatisfy { $0.isFinite })
        let ours = trustworthiness(digits, dimension: 64, embedding: result.embedding, embeddedDimension: 3,
                                   neighborCount: 10)
        // umap-learn 0.5.12 reaches min(reference) over three seeds; ours may be at most 0.01 below.
        let floor = reference.min()! - 0.01
        #expect(ours >= floor, "trustworthiness ours \(ours), umap-learn \(reference), floor \(floor)")
    }

    @Test func sameSeedSameLayoutOtherSeedOther() throws {
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(600 * 64)])
        // One BLAS thread count for all three, as nrcc runs (other tests may change it).
        let (first, second, other) = try BLASThreads.exclusively(1) {
            (try UMAP(epochCount: 100, seed: 5).embed(subset, dimension: 64).embedding,
             try UMAP(epochCount: 100, seed: 5).embed(subset, dimension: 64).embedding,
             try UMAP(epochCount: 100, seed: 6).embed(subset, dimension: 64).embedding)
        }
        let same = first == second, different = first != other
        #expect(same, "the same seed gave two layouts")
        #expect(different, "two seeds gave the same layout")
    }

    @Test func anyOutputDimension() throws {
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(300 * 64)])
        for dimensions in [1, 2, 5] {
            let layout = try UMAP(dimensions: dimensions, epochCount: 50, seed: 1).embed(subset, dimension: 64).embedding
            #expect(layout.count == 300 * dimensions)
            #expect(layout.allSatisfy { $0.isFinite })
        }
    }

    @Test func invalidSettingsAndInputThrow() throws {
        #expect(throws: ManifoldError.invalidSetting(name: "minimumDistance", value: "2.0",
                                                       expected: "<= spread (1.0); lower minimumDistance")) {
            try UMAP(minimumDistance: 2)
        }
        #expect(throws: ManifoldError.invalidSetting(name: "neighborCount", value: "1", expected: ">= 2")) {
            try UMAP(neighborCount: 1)
        }
        #expect(throws: ManifoldError.invalidSetting(name: "layoutParts", value: "0", expected: "1 to 64")) {
            try UMAP(layoutParts: 0)
        }
        let umap = try UMAP()
        var points = [Float](repeating: 0.5, count: 40 * 3)
        points[7 * 3 + 2] = .nan
        #expect(throws: ManifoldError.nonFinite(row: 7, column: 2)) { try umap.embed(points, dimension: 3) }
        #expect(throws: ManifoldError.shapeMismatch(valueCount: 10, dimension: 3)) {
            try umap.embed([Float](repeating: 0, count: 10), dimension: 3)
        }
        #expect(throws: ManifoldError.tooFewPoints(pointCount: 5, required: 11)) {
            try umap.embed([Float](repeating: 0, count: 15), dimension: 3)
        }
    }

    @Test func trustworthinessMatchesDefinition() throws {
        // A layout equal to the input is perfectly trustworthy; a shuffled one is not.
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(200 * 64)])
        #expect(trustworthiness(subset, dimension: 64, embedding: subset, embeddedDimension: 64) == 1)
        var shuffled = subset
        for i in 0..<200 {
            let j = (i * 37 + 11) % 200
            for c in 0..<64 { shuffled.swapAt(i * 64 + c, j * 64 + c) }
        }
        #expect(trustworthiness(subset, dimension: 64, embedding: shuffled, embeddedDimension: 64) < 0.7)
    }
}

/// A seed gives the same layout on one core as on all of them (CI has two), whatever the
/// parts, in 3-D (the 4-wide sweep) and in 5-D (any dimension).
@Suite struct UMAPCoreCountTests {
    @Test(arguments: [(3, UMAP.defaultLayoutParts), (5, 3), (3, 1)])
    func oneCoreGivesTheSameLayout(dimensions: Int, parts: Int) throws {
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(800 * 64)])
        try BLASThreads.exclusively(1) {
            let umap = try UMAP(dimensions: dimensions, epochCount: 60, seed: 3, layoutParts: parts, minimumPartSize: 50)
            let all = try umap.embed(subset, dimension: 64).embedding
            let one = try Cores.$limit.withValue(1) { try umap.embed(subset, dimension: 64).embedding }
            #expect(one == all)
        }
    }

    /// Parts are a setting of the layout: other parts, another layout.
    @Test func partsChangeTheLayout() throws {
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(800 * 64)])
        let (one, eight) = try BLASThreads.exclusively(1) {
            (try UMAP(epochCount: 60, seed: 3, layoutParts: 1).embed(subset, dimension: 64).embedding,
             try UMAP(epochCount: 60, seed: 3, layoutParts: 8, minimumPartSize: 50).embed(subset, dimension: 64).embedding)
        }
        #expect(one != eight)
    }

    /// Small layouts sweep fewer parts: every part keeps at least `minimumPartSize` points.
    @Test func smallLayoutsSweepFewerParts() throws {
        let umap = try UMAP()
        #expect(umap.partCount(pointCount: 144) == 1)
        #expect(umap.partCount(pointCount: 1_797) == 1)
        #expect(umap.partCount(pointCount: 4_000) == 4)
        #expect(umap.partCount(pointCount: 10_000) == 8)
        #expect(umap.partCount(pointCount: 70_000) == 8)
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(800 * 64)])
        let (sequential, byDefault) = try BLASThreads.exclusively(1) {
            (try UMAP(epochCount: 60, seed: 3, layoutParts: 1).embed(subset, dimension: 64).embedding,
             try UMAP(epochCount: 60, seed: 3).embed(subset, dimension: 64).embedding)
        }
        #expect(byDefault == sequential)
    }
}
