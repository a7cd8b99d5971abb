import Basics
import Foundation
import ManifoldLearning
import Testing

@Suite struct TSNETests {
    @Test func digitsTrustworthinessMatchesScikitLearn() throws {
        let (digits, _) = try Fixtures.digits()
        let quality = try #require(try Fixtures.json("quality.json") as? [String: Any])
        let reference = Fixtures.numbers(quality["tsne"])
        let layout = try TSNE(seed: 0).embed(digits, dimension: 64)
        #expect(layout.count == 1797 * 2)
        #expect(layout.allSatisfy { $0.isFinite })
        let ours = trustworthiness(digits, dimension: 64, embedding: layout, embeddedDimension: 2, neighborCount: 10)
        // scikit-learn's Barnes-Hut t-SNE reaches min(reference); ours may be at most 0.01 below.
        let floor = reference.min()! - 0.01
        #expect(ours >= floor, "trustworthiness ours \(ours), scikit-learn \(reference), floor \(floor)")
    }

    @Test(arguments: [TSNE.Method.exact, .barnesHut(theta: 0.5)])
    func threeDimensionsAndBothMethods(method: TSNE.Method) throws {
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(400 * 64)])
        let tsne = try TSNE(dimensions: 3, method: method, seed: 2)
        // One BLAS thread count for both runs, as nrcc runs (other tests may change it).
        let (layout, again) = try BLASThreads.exclusively(1) {
            (try tsne.embed(subset, dimension: 64), try tsne.embed(subset, dimension: 64))
        }
        #expect(layout.count == 400 * 3)
        let trust = trustworthiness(subset, dimension: 64, embedding: layout, embeddedDimension: 3, neighborCount: 10)
        // Floor: 0.97 (scikit-learn reaches 0.99 on all digits; 400 points are an easier set).
        #expect(trust >= 0.97, "trustworthiness \(trust) with \(method)")
        let reproducible = again == layout
        #expect(reproducible, "t-SNE is not reproducible from its seed")
    }

    @Test func invalidSettingsThrow() {
        #expect(throws: ManifoldError.invalidSetting(name: "dimensions", value: "4", expected: "2 or 3")) {
            try TSNE(dimensions: 4)
        }
        #expect(throws: ManifoldError.tooFewPoints(pointCount: 10, required: 31)) {
            try TSNE().embed([Float](repeating: 1, count: 20), dimension: 2)
        }
    }
}
