import Dispatch
import Basics

/// How UMAP's layout starts.
public enum UMAPInitialization: Sendable, Equatable {
    /// The normalised Laplacian's eigenvectors (`spectralLayout`), scaled so the largest
    /// coordinate is 10, plus Gaussian noise of standard deviation 1e-4 (umap-learn's
    /// `noisy_scale_coords`).
    case spectral
    /// Uniform on [-10, 10] in every coordinate.
    case random
}

/// A parameter of UMAP or t-SNE out of range, or input it cannot use.
public enum ManifoldError: Error, Equatable, CustomStringConvertible {
    /// `name` is `value`; it must be `expected`.
    case invalidSetting(name: String, value: String, expected: String)
    /// The input has `valueCount` values, which are not rows of `dimension`.
    case shapeMismatch(valueCount: Int, dimension: Int)
    /// There are `pointCount` points, fewer than `required`.
    case tooFewPoints(pointCount: Int, required: Int)
    /// Row `row`, column `column` is NaN or infinite.
    case nonFinite(row: Int, column: Int)

    /// The message: what was expected, what was found, and how to fix it.
    public var description: String {
        switch self {
        case let .invalidSetting(name, value, expected):
            return invalidSettingMessage(name: name, value: value, expected: expected)
        case let .shapeMismatch(valueCount, dimension):
            return "the input has \(valueCount) values, not a whole number of rows of \(dimension); check the dimension"
        case let .tooFewPoints(pointCount, required):
            return "the input has \(pointCount) points; at least \(required) are needed (lower the neighbour count or add points)"
        case let .nonFinite(row, column):
            return "row \(row), column \(column) is not finite (NaN or infinity); clean the input"
        }
    }
}

/// What `UMAP.embed` returns: the layout and the graph it came from.
public struct UMAPResult: Sendable {
    /// n x `dimensions`, row-major.
    public var embedding: [Float]
    /// The output dimension.
    public var dimensions: Int
    /// The k nearest neighbours found in the input.
    public var neighbors: NeighborGraph
    /// The fuzzy simplicial set (after the fuzzy union, before pruning).
    public var graph: FuzzyGraph
    /// a of the fitted curve `1 / (1 + a d^(2b))` (`findABParameters`).
    public var a: Float
    /// b of the fitted curve `1 / (1 + a d^(2b))`.
    public var b: Float
    /// Wall-clock seconds of each stage: `neighbors`, `graph`, `initialization`, `optimization`.
    public var seconds: [String: Double]
}

/// Uniform Manifold Approximation and Projection (McInnes, Healy and Melville 2018), computed
/// as umap-learn 0.5 computes it; defaults are SPEC §6's (they differ from umap-learn's in
/// `n_components` 3, `n_neighbors` 10, `min_dist` 0 and `metric` cosine).
///
/// Validated once, at construction. Every random choice comes from `seed`: the same input
/// and seed give the same layout, on any number of cores.
public struct UMAP: Sendable {
    /// The output dimension [`n_components`].
    public let dimensions: Int
    /// Neighbours per point, the point itself included [`n_neighbors`].
    public let neighborCount: Int
    /// The smallest distance between points in the layout [`min_dist`].
    public let minimumDistance: Float
    /// The scale of the layout [`spread`].
    public let spread: Float
    /// The input metric [`metric`].
    public let metric: DistanceMetric
    /// Epochs of SGD [`n_epochs`]; `nil`: 500 up to 10,000 points, 200 beyond.
    public let epochCount: Int?
    /// The initial SGD step [`learning_rate`].
    public let learningRate: Float
    /// Negative samples per positive sample [`negative_sample_rate`].
    public let negativeSampleRate: Int
    /// Weight of the repulsive term [`repulsion_strength`, gamma].
    public let repulsionStrength: Float
    /// Neighbours assumed connected [`local_connectivity`].
    public let localConnectivity: Float
    /// Fuzzy union (1) to fuzzy intersection (0) [`set_op_mix_ratio`].
    public let setOperationMixRatio: Float
    /// The starting layout [`init`].
    public let initialization: UMAPInitialization
    /// Exact or approximate neighbour search.
    public let neighborAlgorithm: NeighborAlgorithm
    /// Seeds everything random [`random_state`].
    public let seed: UInt64
    /// The most parts of the layout swept at once, shared out among the cores
    /// (`LayoutOptimizer`); 1 is umap-learn's sequential seeded sweep. The layout depends on
    /// it, never on the cores.
    public let layoutParts: Int
    /// The fewest points in a part: a layout of n points sweeps
    /// `min(layoutParts, n / minimumPartSize)` parts (at least one).
    public let minimumPartSize: Int

    /// Eight parts keep two to eight cores busy.
    public static let defaultLayoutParts = 8
    /// Below 2,000 points the sequential sweep takes under a second, so small layouts stay
    /// exactly umap-learn's; in parts of a few hundred points most edges would cross between
    /// parts (42% of the digits' weight between 8 parts of 225).
    public static let defaultMinimumPartSize = 1_000
    /// More parts than this would leave little of the graph inside any part.
    public static let maximumLayoutParts = 64

    /// A validated configuration; throws `ManifoldError.invalidSetting` naming the first
    /// parameter out of range.
    public init(
        dimensions: Int = 3, neighborCount: Int = 10, minimumDistance: Float = 0, spread: Float = 1,
        metric: DistanceMetric = .cosine, epochCount: Int? = nil, learningRate: Float = 1,
        negativeSampleRate: Int = 5, repulsionStrength: Float = 1, localConnectivity: Float = 1,
        setOperationMixRatio: Float = 1, initialization: UMAPInitialization = .spectral,
        neighborAlgorithm: NeighborAlgorithm = .automatic, seed: UInt64 = 0,
        layoutParts: Int = UMAP.defaultLayoutParts, minimumPartSize: Int = UMAP.defaultMinimumPartSize
    ) throws(ManifoldError) {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws(ManifoldError) {
            if !ok { throw .invalidSetting(name: name, value: "\(value)", expected: expected) }
        }
        try check(dimensions >= 1, "dimensions", dimensions, ">= 1")
        try check(neighborCount >= 2, "neighborCount", neighborCount, ">= 2")
        try check(spread > 0 && spread.isFinite, "spread", spread, "> 0")
        try check(minimumDistance >= 0, "minimumDistance", minimumDistance, ">= 0")
        try check(minimumDistance <= spread, "minimumDistance", minimumDistance, "<= spread (\(spread)); lower minimumDistance")
        try check(epochCount.map { $0 >= 0 } ?? true, "epochCount", epochCount ?? 0, ">= 0")
        try check(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "> 0")
        try check(negativeSampleRate >= 0, "negativeSampleRate", negativeSampleRate, ">= 0")
        try check(repulsionStrength >= 0, "repulsionStrength", repulsionStrength, ">= 0")
        try check(layoutParts >= 1 && layoutParts <= Self.maximumLayoutParts, "layoutParts", layoutParts,
                  "1 to \(Self.maximumLayoutParts)")
        try check(minimumPartSize >= 1, "minimumPartSize", minimumPartSize, ">= 1")
        try check(localConnectivity >= 0, "localConnectivity", localConnectivity, ">= 0")
        try check(setOperationMixRatio >= 0 && setOperationMixRatio <= 1, "setOperationMixRatio",
                  setOperationMixRatio, "in [0, 1]")
        self.dimensions = dimensions
        self.neighborCount = neighborCount
        self.minimumDistance = minimumDistance
        self.spread = spread
        self.metric = metric
        self.epochCount = epochCount
        self.learningRate = learningRate
        self.negativeSampleRate = negativeSampleRate
        self.repulsionStrength = repulsionStrength
        self.localConnectivity = localConnectivity
        self.setOperationMixRatio = setOperationMixRatio
        self.initialization = initialization
        self.neighborAlgorithm = neighborAlgorithm
        self.seed = seed
        self.layoutParts = layoutParts
        self.minimumPartSize = minimumPartSize
    }

    /// Embeds `points` (n x `dimension`, row-major) into `dimensions` dimensions.
    ///
    /// - Parameter progress: called after each epoch with (epoch, epochCount).
    /// - Throws: `ManifoldError` for a ragged input, a non-finite value (naming its row), or
    ///   no more points than `neighborCount`.
    public func embed(
        _ points: [Float], dimension: Int, progress: ((Int, Int) -> Void)? = nil
    ) throws(ManifoldError) -> UMAPResult {
        _ = try validateInput(points, dimension: dimension, minimumPoints: neighborCount + 1)
        let start = DispatchTime.now().uptimeNanoseconds
        let neighbors = nearestNeighbors(of: points, dimension: dimension, neighborCount: neighborCount,
                                         metric: metric, algorithm: neighborAlgorithm, seed: seed)
        var result = embed(neighbors: neighbors, points: points, pointDimension: dimension, progress: progress)
        result.seconds["neighbors"] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            - result.seconds.values.reduce(0, +)
        return result
    }

    /// Embeds from a neighbour graph already computed (umap-learn's `precomputed_knn`).
    ///
    /// - Parameters:
    ///   - neighbors: the neighbours of each point, itself first; the smoothing uses this
    ///     graph's k (normally `neighborCount`).
    ///   - points: the input (n x `pointDimension`), used only to place disconnected components.
    public func embed(
        neighbors: NeighborGraph, points: [Float]? = nil, pointDimension: Int = 0,
        progress: ((Int, Int) -> Void)? = nil
    ) -> UMAPResult {
        let n = neighbors.pointCount
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e9
        }
        var seconds: [String: Double] = [:]
        let (graph, _, _) = fuzzySimplicialSet(neighbors, localConnectivity: localConnectivity,
                                               setOperationMixRatio: setOperationMixRatio)
        let (a, b) = findABParameters(spread: spread, minimumDistance: minimumDistance)
        let defaultEpochs = n <= 10_000 ? 500 : 200
        let epochs = epochCount ?? defaultEpochs
        let maxWeight = graph.weights.max() ?? 0
        let pruned = graph.pruned(below: maxWeight / Float(epochs > 10 ? epochs : defaultEpochs))
        seconds["graph"] = lap()

        var embedding = initialLayout(pruned, points: points, pointDimension: pointDimension)
        seconds["initialization"] = lap()

        let optimizer = LayoutOptimizer(
            graph: pruned, dimensions: dimensions, epochCount: epochs, a: a, b: b,
            repulsion: repulsionStrength, learningRate: learningRate,
            negativeSampleRate: negativeSampleRate, seed: seed, partCount: partCount(pointCount: n))
        optimizer.optimize(&embedding, progress: progress)
        seconds["optimization"] = lap()
        return UMAPResult(embedding: embedding, dimensions: dimensions, neighbors: neighbors, graph: graph,
                          a: a, b: b, seconds: seconds)
    }

    /// The parts a layout of `pointCount` points sweeps at once.
    public func partCount(pointCount: Int) -> Int {
        max(1, min(layoutParts, pointCount / minimumPartSize))
    }

    /// The start of the SGD, rescaled as umap-learn does: each coordinate to [0, 10].
    private func initialLayout(_ graph: FuzzyGraph, points: [Float]?, pointDimension: Int) -> [Float] {
        let n = graph.vertexCount
        var layout: [Float]
        switch initialization {
        case .random:
            var generator = SeededGenerator(seed: seed, stream: [0x1417, 0])
            layout = (0..<(n * dimensions)).map { _ in generator.nextUniform(-10, 10) }
        case .spectral:
            layout = spectralLayout(graph, dimensions: dimensions, points: points,
                                    pointDimension: pointDimension, seed: seed)
            let largest = layout.reduce(Float(0)) { max($0, abs($1)) }
            let expansion: Float = largest > 0 ? 10 / largest : 1
            var generator = SeededGenerator(seed: seed, stream: [0x1417, 1])
            for e in layout.indices { layout[e] = layout[e] * expansion + 1e-4 * generator.nextGaussian() }
        }
        for c in 0..<dimensions {
            var low = Float.infinity, high = -Float.infinity
            for i in 0..<n { low = min(low, layout[i * dimensions + c]); high = max(high, layout[i * dimensions + c]) }
            let scale: Float = high > low ? 10 / (high - low) : 0
            for i in 0..<n { layout[i * dimensions + c] = (layout[i * dimensions + c] - low) * scale }
        }
        return layout
    }
}

/// Checks a row-major input and returns its row count.
func validateInput(_ points: [Float], dimension: Int, minimumPoints: Int) throws(ManifoldError) -> Int {
    if dimension < 1 {
        throw .invalidSetting(name: "dimension", value: "\(dimension)", expected: ">= 1")
    }
    if points.count % dimension != 0 { throw .shapeMismatch(valueCount: points.count, dimension: dimension) }
    let n = points.count / dimension
    if let bad = points.firstIndex(where: { !$0.isFinite }) {
        throw .nonFinite(row: bad / dimension, column: bad % dimension)
    }
    if n < minimumPoints { throw .tooFewPoints(pointCount: n, required: minimumPoints) }
    return n
}
