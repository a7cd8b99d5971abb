import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// umap-learn's spectral initialisation: the eigenvectors of the normalised Laplacian
/// `L = I - D^-1/2 W D^-1/2` for its smallest eigenvalues after the trivial one.
///
/// Computed as the largest eigenvectors of `M = D^-1/2 W D^-1/2` orthogonal to the known top
/// one, `D^1/2 1`, by Lanczos with full re-orthogonalisation (umap-learn calls ARPACK's
/// `eigsh` with `tol = 1e-4`); it stops when the Ritz residuals of the wanted vectors are
/// below 1e-4 or after 300 steps.
///
/// A disconnected graph is laid out as umap-learn's `multi_component_layout` does: component
/// anchors at `±e_1, ±e_2, ...` when there are at most `2 * dim` components, otherwise the
/// classical scaling (PCA) of the component centroids in the input space, or seeded Gaussian
/// anchors when no input is given or there are more than 256 components; each component's own
/// spectral layout (uniform noise when it has fewer than `2 * dim` vertices) is scaled to half
/// the distance from its anchor to the nearest other anchor.
///
/// - Parameters:
///   - graph: the symmetric weighted graph (n vertices).
///   - dimensions: the output dimension.
///   - points: the input, n x `pointDimension`, used only to place disconnected components.
///   - seed: seeds the Lanczos start vector and any noise.
/// - Returns: n x `dimensions`, row-major.
public func spectralLayout(
    _ graph: FuzzyGraph, dimensions: Int, points: [Float]? = nil, pointDimension: Int = 0,
    seed: UInt64
) -> [Float] {
    let n = graph.vertexCount
    let (labels, componentCount) = connectedComponents(graph)
    if componentCount == 1 {
        if n <= dimensions + 1 || n < 2 * dimensions {
            return uniformLayout(count: n, dimensions: dimensions, radius: 1, seed: seed, stream: 1)
        }
        return connectedSpectralLayout(graph, dimensions: dimensions, seed: seed)
    }

    let anchors = componentAnchors(labels: labels, componentCount: componentCount, dimensions: dimensions,
                                   points: points, pointDimension: pointDimension, seed: seed)
    var result = [Float](repeating: 0, count: n * dimensions)
    var members = [[Int]](repeating: [], count: componentCount)
    for i in 0..<n { members[labels[i]].append(i) }
    for component in 0..<componentCount {
        var nearest = Double.infinity
        for other in 0..<componentCount where other != component {
            var sum = 0.0
            for c in 0..<dimensions {
                let t = anchors[component * dimensions + c] - anchors[other * dimensions + c]
                sum += t * t
            }
            if sum > 0 { nearest = min(nearest, sum.squareRoot()) }
        }
        let range = nearest.isFinite ? nearest / 2 : 1
        let vertices = members[component]
        var layout: [Float]
        if vertices.count < 2 * dimensions || vertices.count <= dimensions + 1 {
            layout = uniformLayout(count: vertices.count, dimensions: dimensions, radius: Float(range),
                                   seed: seed, stream: 2 + UInt64(component))
        } else {
            layout = connectedSpectralLayout(subgraph(graph, vertices: vertices), dimensions: dimensions,
                                             seed: seed &+ UInt64(component))
            let largest = layout.reduce(Float(0)) { max($0, abs($1)) }
            let expansion = largest > 0 ? Float(range) / largest : 0
            for e in layout.indices { layout[e] *= expansion }
        }
        for (row, vertex) in vertices.enumerated() {
            for c in 0..<dimensions {
                result[vertex * dimensions + c] = layout[row * dimensions + c] + Float(anchors[component * dimensions + c])
            }
        }
    }
    return result
}

/// Connected components by union-find: a label per vertex (numbered by first vertex) and the count.
public func connectedComponents(_ graph: FuzzyGraph) -> (labels: [Int], count: Int) {
    let n = graph.vertexCount
    var parent = Array(0..<n)
    func root(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
        return x
    }
    for i in 0..<n {
        for e in graph.rowStarts[i]..<graph.rowStarts[i + 1] {
            let a = root(i), b = root(Int(graph.columns[e]))
            if a != b { parent[max(a, b)] = min(a, b) }
        }
    }
    var labelOfRoot = [Int](repeating: -1, count: n)
    var labels = [Int](repeating: 0, count: n)
    var count = 0
    for i in 0..<n {
        let r = root(i)
        if labelOfRoot[r] < 0 { labelOfRoot[r] = count; count += 1 }
        labels[i] = labelOfRoot[r]
    }
    return (labels, count)
}

private func subgraph(_ graph: FuzzyGraph, vertices: [Int]) -> FuzzyGraph {
    var position = [Int32: Int32]()
    for (index, vertex) in vertices.enumerated() { position[Int32(vertex)] = Int32(index) }
    var starts = [0], columns: [Int32] = [], weights: [Float] = []
    for vertex in vertices {
        for e in graph.rowStarts[vertex]..<graph.rowStarts[vertex + 1] {
            if let column = position[graph.columns[e]] {
                columns.append(column); weights.append(graph.weights[e])
            }
        }
        starts.append(columns.count)
    }
    return FuzzyGraph(vertexCount: vertices.count, rowStarts: starts, columns: columns, weights: weights)
}

private func uniformLayout(count: Int, dimensions: Int, radius: Float, seed: UInt64, stream: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed, stream: [0x5EC7, stream])
    return (0..<(count * dimensions)).map { _ in generator.nextUniform(-radius, radius) }
}

/// Anchors (componentCount x dimensions, Double) for the components of a disconnected graph.
private func componentAnchors(
    labels: [Int], componentCount: Int, dimensions: Int, points: [Float]?, pointDimension: Int, seed: UInt64
) -> [Double] {
    var anchors = [Double](repeating: 0, count: componentCount * dimensions)
    if componentCount <= 2 * dimensions {
        let half = (componentCount + 1) / 2
        for component in 0..<componentCount {
            let axis = component % half
            anchors[component * dimensions + axis] = component < half ? 1 : -1
        }
        return anchors
    }
    if let points, pointDimension > 0, componentCount <= 256 {
        // Classical scaling of the centroids: the top eigenvectors of the centred Gram matrix.
        let c = componentCount, d = pointDimension
        var centroids = [Double](repeating: 0, count: c * d)
        var sizes = [Double](repeating: 0, count: c)
        for (i, label) in labels.enumerated() {
            sizes[label] += 1
            for f in 0..<d { centroids[label * d + f] += Double(points[i * d + f]) }
        }
        for label in 0..<c { for f in 0..<d { centroids[label * d + f] /= max(1, sizes[label]) } }
        for f in 0..<d {
            let mean = (0..<c).reduce(0.0) { $0 + centroids[$1 * d + f] } / Double(c)
            for label in 0..<c { centroids[label * d + f] -= mean }
        }
        var gram = [Double](repeating: 0, count: c * c)
        for p in 0..<c {
            for q in p..<c {
                var sum = 0.0
                for f in 0..<d { sum += centroids[p * d + f] * centroids[q * d + f] }
                gram[p * c + q] = sum; gram[q * c + p] = sum
            }
        }
        let (values, vectors) = symmetricEigen(gram, size: c)
        for axis in 0..<min(dimensions, c) {
            let scale = max(values[axis], 0).squareRoot()
            for component in 0..<c { anchors[component * dimensions + axis] = vectors[component * c + axis] * scale }
        }
    } else {
        var generator = SeededGenerator(seed: seed, stream: [0xA4C, 0])
        for e in anchors.indices { anchors[e] = Double(generator.nextGaussian()) }
    }
    let largest = anchors.reduce(0.0) { max($0, abs($1)) }
    if largest > 0 { for e in anchors.indices { anchors[e] /= largest } }
    return anchors
}

/// The spectral layout of a connected graph by Lanczos (see `spectralLayout`).
private func connectedSpectralLayout(_ graph: FuzzyGraph, dimensions: Int, seed: UInt64) -> [Float] {
    let n = graph.vertexCount
    var degree = [Double](repeating: 0, count: n)
    for i in 0..<n { for e in graph.rowStarts[i]..<graph.rowStarts[i + 1] { degree[i] += Double(graph.weights[e]) } }
    let inverseRoot = degree.map { $0 > 0 ? Float(1 / $0.squareRoot()) : 0 }
    // The known top eigenvector of M, D^1/2 1, normalised.
    var trivial = degree.map { Float($0.squareRoot()) }
    normalize(&trivial)

    let maximumSteps = min(n - 1, 300)
    var basis = [Float](repeating: 0, count: (maximumSteps + 1) * n) // Lanczos vectors as rows
    var alphas: [Double] = [], betas: [Double] = []
    var generator = SeededGenerator(seed: seed, stream: [0x1A2C, 0])
    var start = (0..<n).map { _ in generator.nextGaussian() }
    orthogonalize(&start, against: trivial)
    normalize(&start)
    basis.replaceSubrange(0..<n, with: start)
    var work = [Float](repeating: 0, count: n)
    var coefficients = [Float](repeating: 0, count: maximumSteps + 1)
    var steps = 0
    var nextCheck = 2 * dimensions + 10
    var ritzVectors: [Double] = []
    while steps < maximumSteps {
        let j = steps
        // work = M v_j
        basis.withUnsafeBufferPointer { v in
            let row = v.baseAddress! + j * n
            for i in 0..<n {
                var sum: Float = 0
                for e in graph.rowStarts[i]..<graph.rowStarts[i + 1] {
                    let column = Int(graph.columns[e])
                    sum += graph.weights[e] * inverseRoot[column] * row[column]
                }
                work[i] = inverseRoot[i] * sum
            }
        }
        var alpha = 0.0
        basis.withUnsafeBufferPointer { v in
            for i in 0..<n { alpha += Double(work[i]) * Double(v[j * n + i]) }
        }
        alphas.append(alpha)
        // Full re-orthogonalisation, twice (classical Gram-Schmidt through gemv).
        for _ in 0..<2 {
            orthogonalize(&work, against: trivial)
            basis.withUnsafeBufferPointer { v in
                coefficients.withUnsafeMutableBufferPointer { h in
                    work.withUnsafeMutableBufferPointer { w in
                        gemv(rows: j + 1, columns: n, a: v.baseAddress!, lda: n, x: w.baseAddress!, y: h.baseAddress!)
                        gemv(transpose: true, rows: j + 1, columns: n, alpha: -1, a: v.baseAddress!, lda: n,
                             x: h.baseAddress!, beta: 1, y: w.baseAddress!)
                    }
                }
            }
        }
        let beta = Double(norm(work))
        steps += 1
        // Checks at geometrically spaced steps keep the tridiagonal solves (O(m^3)) cheap.
        let check = steps == maximumSteps || beta < 1e-7 || steps >= nextCheck
        if check && steps >= dimensions {
            nextCheck = steps + max(10, steps / 2)
            var d = alphas, e = betas + [0]
            var vectors: [Double] = []
            tridiagonalEigen(diagonal: &d, offDiagonal: &e, vectors: &vectors)
            let order = (0..<steps).sorted { d[$0] > d[$1] }.prefix(dimensions)
            let converged = order.allSatisfy { abs(beta * vectors[(steps - 1) * steps + $0]) < 1e-4 * max(abs(d[$0]), 1e-3) }
            ritzVectors = [Double](repeating: 0, count: steps * dimensions)
            for (column, source) in order.enumerated() {
                for row in 0..<steps { ritzVectors[row * dimensions + column] = vectors[row * steps + source] }
            }
            if converged || beta < 1e-7 || steps == maximumSteps { break }
        }
        if beta < 1e-7 { break }
        betas.append(beta)
        let scale = Float(1 / beta)
        basis.withUnsafeMutableBufferPointer { v in
            for i in 0..<n { v[steps * n + i] = work[i] * scale }
        }
    }
    // Ritz vectors: (n x steps) basis^T times (steps x dims) coefficients.
    let steps32 = ritzVectors.map { Float($0) }
    let usedSteps = ritzVectors.count / max(1, dimensions)
    var layout = [Float](repeating: 0, count: n * dimensions)
    if usedSteps == 0 { return uniformLayout(count: n, dimensions: dimensions, radius: 1, seed: seed, stream: 1) }
    basis.withUnsafeBufferPointer { v in
        steps32.withUnsafeBufferPointer { s in
            layout.withUnsafeMutableBufferPointer { out in
                gemm(transposeA: true, m: n, n: dimensions, k: usedSteps,
                     a: v.baseAddress!, lda: n, b: s.baseAddress!, ldb: dimensions,
                     c: out.baseAddress!, ldc: dimensions)
            }
        }
    }
    return layout
}

private func norm(_ x: [Float]) -> Float {
    var sum = 0.0
    for value in x { sum += Double(value) * Double(value) }
    return Float(sum.squareRoot())
}

private func normalize(_ x: inout [Float]) {
    let length = norm(x)
    if length > 0 { for i in x.indices { x[i] /= length } }
}

private func orthogonalize(_ x: inout [Float], against unit: [Float]) {
    var dot = 0.0
    for i in x.indices { dot += Double(x[i]) * Double(unit[i]) }
    let projection = Float(dot)
    for i in x.indices { x[i] -= projection * unit[i] }
}
