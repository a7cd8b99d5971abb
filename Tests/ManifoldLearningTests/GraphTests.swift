import Foundation
import ManifoldLearning
import Testing

@Suite struct GraphTests {
    @Test func abParametersMatchUMAPLearn() throws {
        let cases = try #require(try Fixtures.json("ab_params.json") as? [[String: Double]])
        #expect(cases.count == 5)
        for reference in cases {
            let (a, b) = findABParameters(spread: Float(reference["spread"]!),
                                          minimumDistance: Float(reference["min_dist"]!))
            // Tolerance: 1e-4 relative; both are least-squares minima of the same problem.
            let relativeA = abs(Double(a) - reference["a"]!) / reference["a"]!
            let relativeB = abs(Double(b) - reference["b"]!) / reference["b"]!
            #expect(relativeA < 1e-4, "a: ours \(a), umap-learn \(reference["a"]!) at \(reference)")
            #expect(relativeB < 1e-4, "b: ours \(b), umap-learn \(reference["b"]!) at \(reference)")
        }
    }

    @Test func smoothedDistancesMatchUMAPLearn() throws {
        let fixture = try #require(try Fixtures.json("smooth_knn.json") as? [String: Any])
        let k = fixture["k"] as! Int
        let distances = Fixtures.numbers(fixture["distances"]).map(Float.init)
        let (sigma, rho) = smoothKNNDistances(distances, neighborCount: k)
        let referenceSigma = Fixtures.numbers(fixture["sigma"]), referenceRho = Fixtures.numbers(fixture["rho"])
        #expect(sigma.count == referenceSigma.count && rho.count == referenceRho.count)
        for i in 0..<sigma.count {
            // Tolerance: 1e-4 relative (float32 storage; the bisection stops within 1e-5 of log2 k).
            #expect(abs(Double(rho[i]) - referenceRho[i]) <= 1e-6 * max(1, referenceRho[i]),
                    "rho[\(i)]: ours \(rho[i]), umap-learn \(referenceRho[i])")
            #expect(abs(Double(sigma[i]) - referenceSigma[i]) <= 1e-4 * referenceSigma[i],
                    "sigma[\(i)]: ours \(sigma[i]), umap-learn \(referenceSigma[i])")
        }
    }

    @Test func fuzzyUnionMatchesUMAPLearn() throws {
        let fixture = try #require(try Fixtures.json("smooth_knn.json") as? [String: Any])
        let n = fixture["n"] as! Int, k = fixture["k"] as! Int
        let neighbors = NeighborGraph(
            pointCount: n, neighborCount: k,
            indices: Fixtures.numbers(fixture["indices"]).map { Int32($0) },
            distances: Fixtures.numbers(fixture["distances"]).map(Float.init))
        let (graph, _, _) = fuzzySimplicialSet(neighbors)
        let rows = Fixtures.numbers(fixture["graph_rows"]), columns = Fixtures.numbers(fixture["graph_cols"])
        let weights = Fixtures.numbers(fixture["graph_weights"])
        #expect(graph.entryCount == weights.count, "entries: ours \(graph.entryCount), umap-learn \(weights.count)")
        for e in weights.indices {
            let ours = graph.weight(Int(rows[e]), Int(columns[e]))
            // Tolerance: 1e-5 absolute on weights in (0, 1].
            #expect(abs(Double(ours) - weights[e]) < 1e-5,
                    "w(\(Int(rows[e])), \(Int(columns[e]))): ours \(ours), umap-learn \(weights[e])")
        }
    }

    @Test func exactNeighborsMatchScikitLearn() throws {
        let fixture = try #require(try Fixtures.json("smooth_knn.json") as? [String: Any])
        let n = fixture["n"] as! Int, k = fixture["k"] as! Int
        let (digits, _) = try Fixtures.digits()
        let subset = Array(digits[0..<(n * 64)])
        let ours = nearestNeighbors(of: subset, dimension: 64, neighborCount: k, metric: .euclidean, algorithm: .exact)
        let reference = NeighborGraph(
            pointCount: n, neighborCount: k,
            indices: Fixtures.numbers(fixture["indices"]).map { Int32($0) },
            distances: Fixtures.numbers(fixture["distances"]).map(Float.init))
        #expect(ours.recall(against: reference) > 0.995, "recall \(ours.recall(against: reference))")
        for e in 0..<(n * k) {
            // Tolerance: 1e-4 absolute (|x|^2 + |y|^2 - 2<x, y> in float32).
            #expect(abs(ours.distances[e] - reference.distances[e]) < 1e-4,
                    "distance \(e): ours \(ours.distances[e]), scikit-learn \(reference.distances[e])")
        }
    }

    @Test(arguments: [DistanceMetric.cosine, .euclidean])
    func approximateNeighborsRecall(metric: DistanceMetric) throws {
        let (digits, _) = try Fixtures.digits()
        let exact = nearestNeighbors(of: digits, dimension: 64, neighborCount: 10, metric: metric, algorithm: .exact)
        let approximate = nearestNeighbors(of: digits, dimension: 64, neighborCount: 10, metric: metric,
                                           algorithm: .approximate(NNDescentParameters()), seed: 3)
        let recall = approximate.recall(against: exact)
        // pynndescent reaches 0.997 here (quality.json); ours must reach 0.97.
        #expect(recall >= 0.97, "NN-descent recall \(recall) (\(metric))")
        for i in 0..<approximate.pointCount {
            #expect(approximate.indices[i * 10] == Int32(i))
            let row = approximate.distances[(i * 10)..<(i * 10 + 10)]
            #expect(zip(row, row.dropFirst()).allSatisfy { $0 <= $1 }, "row \(i) not sorted")
        }
        let again = nearestNeighbors(of: digits, dimension: 64, neighborCount: 10, metric: metric,
                                     algorithm: .approximate(NNDescentParameters()), seed: 3)
        let reproducible = again == approximate
        #expect(reproducible, "NN-descent is not reproducible from its seed")
    }

    @Test func disconnectedGraphGetsOneRegionPerComponent() throws {
        // Three tight blobs far apart: with 5 neighbours the graph has three components.
        var generator = SystemFreeGenerator(state: 7)
        var points: [Float] = []
        for blob in 0..<3 {
            for _ in 0..<40 {
                points += (0..<4).map { c in Float(c == blob ? 100 : 0) + generator.next() }
            }
        }
        let neighbors = nearestNeighbors(of: points, dimension: 4, neighborCount: 5, algorithm: .exact)
        let (graph, _, _) = fuzzySimplicialSet(neighbors)
        #expect(connectedComponents(graph).count == 3)
        let layout = spectralLayout(graph, dimensions: 2, points: points, pointDimension: 4, seed: 1)
        #expect(layout.allSatisfy { $0.isFinite })
        // Each blob's points stay within its own half-gap box.
        var centers: [[Float]] = []
        for blob in 0..<3 {
            let rows = (blob * 40)..<(blob * 40 + 40)
            centers.append((0..<2).map { c in rows.map { layout[$0 * 2 + c] }.reduce(0, +) / 40 })
        }
        for p in 0..<3 {
            for q in (p + 1)..<3 {
                let gap = hypot(centers[p][0] - centers[q][0], centers[p][1] - centers[q][1])
                #expect(gap > 0.9, "components \(p) and \(q) overlap: centers \(centers[p]) \(centers[q])")
            }
        }
    }
}

/// A tiny deterministic source of noise in [-0.5, 0.5) for test inputs.
struct SystemFreeGenerator {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / 16_777_216 - 0.5
    }
}
