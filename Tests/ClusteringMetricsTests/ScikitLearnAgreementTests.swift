import ClusteringMetrics
import Foundation
import Testing

/// One labelling pair of `Fixtures/metrics.json` with scikit-learn's scores.
struct ReferencePair: Decodable, CustomTestStringConvertible {
    let name: String
    let truth: [Int]
    let predicted: [Int]
    let acc: Double
    let nmi: Double
    let ari: Double
    let ami: Double
    let mi: Double
    let contingency: [[Int]]
    var testDescription: String { name }
}

struct KNNReference: Decodable {
    let dimension: Int
    let features: [Float]
    let labels: [Int]
    let trainCount: Int
    let leaveOneOutK20: Double
    let leaveOneOutK5: Double
    let trainTestK20: Double

    enum CodingKeys: String, CodingKey {
        case dimension, features, labels
        case trainCount = "train_count"
        case leaveOneOutK20 = "leave_one_out_k20"
        case leaveOneOutK5 = "leave_one_out_k5"
        case trainTestK20 = "train_test_k20"
    }
}

struct MetricsFixture: Decodable {
    let pairs: [ReferencePair]
    let knn: KNNReference

    /// Made by `Fixtures/make_fixtures.py` (scikit-learn 1.9.1, seed inside).
    static let loaded: MetricsFixture = {
        let url = Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(MetricsFixture.self, from: Data(contentsOf: url))
    }()
}

/// Scores agree with scikit-learn to this absolute tolerance (float64 on both sides; the
/// residue is summation order).
let referenceTolerance = 1e-10

@Suite struct ScikitLearnAgreementTests {
    @Test(arguments: MetricsFixture.loaded.pairs)
    func scoresMatchScikitLearn(_ pair: ReferencePair) {
        let acc = clusteringAccuracy(pair.truth, pair.predicted)
        let nmi = normalizedMutualInformation(pair.truth, pair.predicted)
        let ari = adjustedRandIndex(pair.truth, pair.predicted)
        let ami = adjustedMutualInformation(pair.truth, pair.predicted)
        let mi = mutualInformation(pair.truth, pair.predicted)
        #expect(abs(acc - pair.acc) < referenceTolerance, "ACC \(acc) vs scikit-learn \(pair.acc)")
        #expect(abs(nmi - pair.nmi) < referenceTolerance, "NMI \(nmi) vs scikit-learn \(pair.nmi)")
        #expect(abs(ari - pair.ari) < referenceTolerance, "ARI \(ari) vs scikit-learn \(pair.ari)")
        #expect(abs(ami - pair.ami) < referenceTolerance, "AMI \(ami) vs scikit-learn \(pair.ami)")
        #expect(abs(mi - pair.mi) < referenceTolerance, "MI \(mi) vs scikit-learn \(pair.mi)")
    }

    @Test(arguments: MetricsFixture.loaded.pairs)
    func contingencyTableMatchesScikitLearn(_ pair: ReferencePair) {
        let table = ContingencyTable(truth: pair.truth, predicted: pair.predicted)
        #expect(table.classes.count == pair.contingency.count)
        #expect(table.clusters.count == pair.contingency[0].count)
        #expect(table.counts == pair.contingency.flatMap { $0 })
        #expect(table.sampleCount == pair.truth.count)
    }

    @Test func weightedKNNAccuracyLeaveOneOutMatchesReference() {
        let knn = MetricsFixture.loaded.knn
        let k20 = weightedKNNAccuracy(features: knn.features, labels: knn.labels, dimension: knn.dimension)
        let k5 = weightedKNNAccuracy(
            features: knn.features, labels: knn.labels, dimension: knn.dimension, neighborCount: 5)
        #expect(abs(k20 - knn.leaveOneOutK20) < 1e-12, "k = 20: \(k20) vs reference \(knn.leaveOneOutK20)")
        #expect(abs(k5 - knn.leaveOneOutK5) < 1e-12, "k = 5: \(k5) vs reference \(knn.leaveOneOutK5)")
    }

    @Test func weightedKNNAccuracyTrainTestMatchesReference() {
        let knn = MetricsFixture.loaded.knn
        let split = knn.trainCount * knn.dimension
        let accuracy = weightedKNNAccuracy(
            train: Array(knn.features[..<split]), trainLabels: Array(knn.labels[..<knn.trainCount]),
            test: Array(knn.features[split...]), testLabels: Array(knn.labels[knn.trainCount...]),
            dimension: knn.dimension)
        #expect(abs(accuracy - knn.trainTestK20) < 1e-12, "\(accuracy) vs reference \(knn.trainTestK20)")
    }
}

@Suite struct SuppliedSimilarityTests {
    @Test func suppliedSimilaritiesGiveTheBuiltInAccuracy() {
        let knn = MetricsFixture.loaded.knn
        let d = knn.dimension, n = knn.labels.count
        // Plain cosine similarities, computed here independently of the module.
        var normalized = knn.features
        for row in 0..<n {
            let norm = (0..<d).reduce(Float(0)) { $0 + knn.features[row * d + $1] * knn.features[row * d + $1] }.squareRoot()
            for column in 0..<d { normalized[row * d + column] /= norm }
        }
        let accuracy = weightedKNNAccuracy(
            queryLabels: knn.labels, referenceLabels: knn.labels, leaveOneOut: true, blockSize: 7
        ) { queries, output in
            for (row, query) in queries.enumerated() {
                for reference in 0..<n {
                    output[row * n + reference] = (0..<d).reduce(Float(0)) {
                        $0 + normalized[query * d + $1] * normalized[reference * d + $1]
                    }
                }
            }
        }
        #expect(abs(accuracy - knn.leaveOneOutK20) < 1e-12, "\(accuracy) vs reference \(knn.leaveOneOutK20)")
    }
}
