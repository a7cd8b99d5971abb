import Dispatch
import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// t-distributed Stochastic Neighbour Embedding (van der Maaten and Hinton 2008; Barnes-Hut:
/// van der Maaten 2014) to 2 or 3 dimensions, following scikit-learn's `TSNE`: perplexity 30,
/// squared euclidean input distances, PCA initialisation scaled to standard deviation 1e-4,
/// early exaggeration 12 for the first 250 iterations with momentum 0.5 then 0.8, gains
/// (+0.2 / x0.8, at least 0.01), learning rate `max(n / 12 / 4, 50)`, 1,000 iterations, and a
/// Student-t kernel with `max(dimensions - 1, 1)` degrees of freedom.
///
/// The gradient is the exact derivative of KL(P || Q) for that kernel,
/// `dC/dy_i = (2 (a + 1) / a) sum_j (p_ij - q_ij) (1 + d_ij^2 / a)^-1 (y_i - y_j)`, with
/// a = degrees of freedom; for a = 1 (2-D) this is scikit-learn's (for a = 2 scikit-learn
/// weights the pairs by `(1 + d^2 / a)^(-(a + 1) / 2)` instead). Reproducible from the seed:
/// the PCA start comes from a seeded block power iteration with signs fixed, and the
/// gradient is summed in a fixed order whatever the number of cores.
public struct TSNE: Sendable {
    /// How the gradient is computed.
    public enum Method: Sendable, Equatable {
        /// All pairs: O(n^2) time per iteration and O(n^2) memory; affinities over all points.
        case exact
        /// Barnes-Hut trees with opening angle `theta` [`angle`]; affinities over the
        /// `3 perplexity + 1` nearest neighbours.
        case barnesHut(theta: Float)
        /// Exact up to 1,000 points, Barnes-Hut (theta 0.5) beyond.
        case automatic
    }

    /// The output dimension, 2 or 3 [`n_components`].
    public let dimensions: Int
    /// The effective number of neighbours [`perplexity`].
    public let perplexity: Float
    /// The factor on P during the first 250 iterations [`early_exaggeration`].
    public let earlyExaggeration: Float
    /// The step size; `nil`: `max(n / earlyExaggeration / 4, 50)` [`learning_rate="auto"`].
    public let learningRate: Float?
    /// Total iterations, the 250 exaggerated ones included [`max_iter`].
    public let iterationCount: Int
    /// Exact or Barnes-Hut.
    public let method: Method
    /// Seeds the initialisation and any approximate neighbour search [`random_state`].
    public let seed: UInt64

    /// A validated configuration; throws `ManifoldError.invalidSetting` naming the first
    /// parameter out of range.
    public init(
        dimensions: Int = 2, perplexity: Float = 30, earlyExaggeration: Float = 12, learningRate: Float? = nil,
        iterationCount: Int = 1000, method: Method = .automatic, seed: UInt64 = 0
    ) throws(ManifoldError) {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws(ManifoldError) {
            if !ok { throw .invalidSetting(name: name, value: "\(value)", expected: expected) }
        }
        try check(dimensions == 2 || dimensions == 3, "dimensions", dimensions, "2 or 3")
        try check(perplexity > 0, "perplexity", perplexity, "> 0")
        try check(earlyExaggeration >= 1, "earlyExaggeration", earlyExaggeration, ">= 1")
        try check(learningRate.map { $0 > 0 } ?? true, "learningRate", learningRate ?? 0, "> 0")
        try check(iterationCount >= 250, "iterationCount", iterationCount, ">= 250")
        if case .barnesHut(let theta) = method {
            try check(theta >= 0 && theta <= 1, "theta", theta, "in [0, 1]")
        }
        self.dimensions = dimensions
        self.perplexity = perplexity
        self.earlyExaggeration = earlyExaggeration
        self.learningRate = learningRate
        self.iterationCount = iterationCount
        self.method = method
        self.seed = seed
    }

    /// Embeds `points` (n x `dimension`, row-major); returns n x `dimensions`, row-major.
    ///
    /// - Parameter progress: called after each iteration with (iteration, iterationCount).
    /// - Throws: `ManifoldError` for a ragged or non-finite input, or `n <= 3 perplexity`
    ///   points (scikit-learn requires perplexity < n).
    public func embed(
        _ points: [Float], dimension: Int, progress: ((Int, Int) -> Void)? = nil
    ) throws(ManifoldError) -> [Float] {
        let n = try validateInput(points, dimension: dimension, minimumPoints: max(4, Int(perplexity) + 1))
        let theta: Float?
        switch method {
        case .exact: theta = nil
        case .barnesHut(let value): theta = value
        case .automatic: theta = n <= 1000 ? nil : 0.5
        }
        let affinities = theta == nil
            ? exactAffinities(points, dimension: dimension, perplexity: perplexity)
            : neighborAffinities(points, dimension: dimension, perplexity: perplexity, seed: seed)
        var layout = principalComponents(points, dimension: dimension, count: dimensions, seed: seed)
        // scikit-learn: divide by the first coordinate's standard deviation, times 1e-4.
        var mean = 0.0, squares = 0.0
        for i in 0..<n { mean += Double(layout[i * dimensions]) }
        mean /= Double(n)
        for i in 0..<n { let t = Double(layout[i * dimensions]) - mean; squares += t * t }
        let deviation = Float((squares / Double(n)).squareRoot())
        let scale: Float = deviation > 0 ? 1e-4 / deviation : 1
        for e in layout.indices { layout[e] *= scale }
        optimize(&layout, affinities: affinities, count: n, theta: theta, progress: progress)
        return layout
    }

    private func optimize(_ layout: inout [Float], affinities: Affinities, count n: Int, theta: Float?,
                          progress: ((Int, Int) -> Void)?) {
        let dims = dimensions
        let dof = Float(max(dims - 1, 1))
        let rate = learningRate ?? max(Float(n) / earlyExaggeration / 4, 50)
        var update = [Float](repeating: 0, count: n * dims)
        var gains = [Float](repeating: 1, count: n * dims)
        var gradient = [Float](repeating: 0, count: n * dims)
        let exploration = 250
        for iteration in 0..<iterationCount {
            let exaggeration: Float = iteration < exploration ? earlyExaggeration : 1
            let momentum: Float = iteration < exploration ? 0.5 : 0.8
            computeGradient(layout, affinities: affinities, count: n, exaggeration: exaggeration, dof: dof,
                            theta: theta, gradient: &gradient)
            for e in 0..<(n * dims) {
                if update[e] * gradient[e] < 0 { gains[e] += 0.2 } else { gains[e] *= 0.8 }
                gains[e] = max(gains[e], 0.01)
                update[e] = momentum * update[e] - rate * gains[e] * gradient[e]
                layout[e] += update[e]
            }
            progress?(iteration + 1, iterationCount)
        }
    }

    /// gradient = (2 (dof + 1) / dof) (attraction - repulsion / Z), n x dims.
    private func computeGradient(_ layout: [Float], affinities: Affinities, count n: Int, exaggeration: Float,
                                 dof: Float, theta: Float?, gradient: inout [Float]) {
        let dims = dimensions
        let exponent = (dof + 1) / 2
        var repulsions = [Float](repeating: 0, count: n * dims)
        var normalizers = [Double](repeating: 0, count: n)
        let tree: BarnesHutTree? = theta.map { _ in
            layout.withUnsafeBufferPointer { BarnesHutTree($0.baseAddress!, count: n, dimensions: dims) }
        }
        layout.withUnsafeBufferPointer { y in
        gradient.withUnsafeMutableBufferPointer { g in
        repulsions.withUnsafeMutableBufferPointer { r in
        normalizers.withUnsafeMutableBufferPointer { z in
            let shared = UncheckedSendable((y.baseAddress!, g.baseAddress!, r.baseAddress!, z.baseAddress!))
            // Point i writes only its own rows of gradient and repulsion and its normaliser.
            parallelFor(n, minimumChunk: 32) { i in
                let (y, g, r, z) = shared.value
                let own = y + i * dims
                // Attraction: sum_j p_ij k_ij (y_i - y_j), k = dof / (dof + d^2).
                for c in 0..<dims { g[i * dims + c] = 0 }
                for e in affinities.rowStarts[i]..<affinities.rowStarts[i + 1] {
                    let j = Int(affinities.columns[e])
                    let other = y + j * dims
                    var squared: Float = 0
                    for c in 0..<dims { let t = own[c] - other[c]; squared += t * t }
                    let multiplier = exaggeration * affinities.values[e] * dof / (dof + squared)
                    for c in 0..<dims { g[i * dims + c] += multiplier * (own[c] - other[c]) }
                }
                if let tree, let theta {
                    z[i] = tree.repulsion(of: i, layout: y, theta: theta, dof: dof, force: r + i * dims)
                } else {
                    var normalizer = 0.0
                    for j in 0..<n where j != i {
                        let other = y + j * dims
                        var squared: Float = 0
                        for c in 0..<dims { let t = own[c] - other[c]; squared += t * t }
                        let kernel = dof / (dof + squared)
                        let weight = dof == 1 ? kernel : powf(kernel, exponent)
                        normalizer += Double(weight)
                        for c in 0..<dims { r[i * dims + c] += weight * kernel * (own[c] - other[c]) }
                    }
                    z[i] = normalizer
                }
            }
        }}}}
        let total = Float(max(normalizers.reduce(0, +), 1e-12))
        let factor = 2 * (dof + 1) / dof
        for e in 0..<(n * dims) { gradient[e] = factor * (gradient[e] - repulsions[e] / total) }
    }
}

/// The first `count` principal components of `points` (n x dimension): the centred data
/// projected on the top eigenvectors of its covariance, found by block power iteration with
/// Rayleigh-Ritz (deterministic start), each component's sign fixed so its largest-magnitude
/// loading is positive. Returns n x count.
func principalComponents(_ points: [Float], dimension d: Int, count: Int, seed: UInt64) -> [Float] {
    let n = points.count / d
    var centred = points
    for c in 0..<d {
        var mean: Float = 0
        for i in 0..<n { mean += centred[i * d + c] }
        mean /= Float(n)
        for i in 0..<n { centred[i * d + c] -= mean }
    }
    var covariance = [Float](repeating: 0, count: d * d)
    centred.withUnsafeBufferPointer { x in
        covariance.withUnsafeMutableBufferPointer { cov in
            parallelGEMM(transposeA: true, m: d, n: d, k: n, a: x.baseAddress!, lda: d, b: x.baseAddress!, ldb: d,
                 c: cov.baseAddress!, ldc: d)
        }
    }
    let block = min(d, count + 4)
    var generator = SeededGenerator(seed: seed, stream: [0x9CA, 0])
    var basis = (0..<(d * block)).map { _ in Double(generator.nextGaussian()) } // d x block
    let cov = covariance.map(Double.init)
    for _ in 0..<60 {
        var next = [Double](repeating: 0, count: d * block)
        for r in 0..<d {
            for k in 0..<d where cov[r * d + k] != 0 {
                let value = cov[r * d + k]
                for b in 0..<block { next[r * block + b] += value * basis[k * block + b] }
            }
        }
        // Modified Gram-Schmidt on the columns.
        for b in 0..<block {
            for previous in 0..<b {
                var dot = 0.0
                for r in 0..<d { dot += next[r * block + b] * next[r * block + previous] }
                for r in 0..<d { next[r * block + b] -= dot * next[r * block + previous] }
            }
            var norm = 0.0
            for r in 0..<d { norm += next[r * block + b] * next[r * block + b] }
            norm = norm.squareRoot()
            for r in 0..<d { next[r * block + b] = norm > 0 ? next[r * block + b] / norm : 0 }
        }
        basis = next
    }
    // Rayleigh-Ritz: eigenvectors of B^T C B order the block.
    var projected = [Double](repeating: 0, count: block * block)
    for p in 0..<block {
        for q in 0..<block {
            var sum = 0.0
            for r in 0..<d {
                var row = 0.0
                for k in 0..<d { row += cov[r * d + k] * basis[k * block + q] }
                sum += basis[r * block + p] * row
            }
            projected[p * block + q] = sum
        }
    }
    let (_, rotation) = symmetricEigen(projected, size: block)
    var components = [Float](repeating: 0, count: d * count)
    for column in 0..<min(count, block) {
        var largest = 0.0
        var vector = [Double](repeating: 0, count: d)
        for r in 0..<d {
            for b in 0..<block { vector[r] += basis[r * block + b] * rotation[b * block + column] }
            if abs(vector[r]) > abs(largest) { largest = vector[r] }
        }
        let sign: Double = largest < 0 ? -1 : 1
        for r in 0..<d { components[r * count + column] = Float(sign * vector[r]) }
    }
    var projection = [Float](repeating: 0, count: n * count)
    centred.withUnsafeBufferPointer { x in
        components.withUnsafeBufferPointer { w in
            projection.withUnsafeMutableBufferPointer { out in
                parallelGEMM(m: n, n: count, k: d, a: x.baseAddress!, lda: d, b: w.baseAddress!, ldb: count,
                     c: out.baseAddress!, ldc: count)
            }
        }
    }
    return projection
}
