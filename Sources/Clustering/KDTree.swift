import Basics

/// A k-d tree over low-dimensional points (a layout in 2 to 6 dimensions) for exact nearest
/// neighbours: each node splits its points at the median of its widest axis, down to leaves
/// of at most `leafSize` points. Building costs `O(n log n)`; a query of `k` neighbours
/// visits about `log n` leaves on well-spread data.
public struct KDTree: Sendable {
    let points: [Float]
    let dimension: Int
    /// The points' indices, ordered so that every node owns a contiguous range.
    let order: [Int32]
    /// Nodes in depth-first order; a leaf has `axis == -1`.
    let nodes: [Node]

    struct Node: Sendable {
        var start: Int32, end: Int32
        var axis: Int32
        var split: Float
        var left: Int32, right: Int32
    }

    static let leafSize = 16

    /// Builds the tree over `points` (row-major `n x dimension`, finite).
    public init(points: [Float], dimension: Int) {
        self.points = points
        self.dimension = dimension
        var order = (0..<Int32(points.count / dimension)).map { $0 }
        var nodes: [Node] = []
        Self.build(&nodes, &order, start: 0, end: order.count, points: points, dimension: dimension)
        self.order = order
        self.nodes = nodes
    }

    @discardableResult
    private static func build(
        _ nodes: inout [Node], _ order: inout [Int32], start: Int, end: Int, points: [Float], dimension: Int
    ) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(Node(start: Int32(start), end: Int32(end), axis: -1, split: 0, left: -1, right: -1))
        guard end - start > leafSize else { return index }
        var axis = 0, widest: Float = -1
        for candidate in 0..<dimension {
            var low = Float.infinity, high = -Float.infinity
            for slot in start..<end {
                let value = points[Int(order[slot]) * dimension + candidate]
                low = min(low, value)
                high = max(high, value)
            }
            if high - low > widest { widest = high - low; axis = candidate }
        }
        guard widest > 0 else { return index }   // all duplicates: one leaf
        let middle = (start + end) / 2
        order[start..<end].sort { points[Int($0) * dimension + axis] < points[Int($1) * dimension + axis] }
        let split = points[Int(order[middle]) * dimension + axis]
        let left = build(&nodes, &order, start: start, end: middle, points: points, dimension: dimension)
        let right = build(&nodes, &order, start: middle, end: end, points: points, dimension: dimension)
        nodes[Int(index)].axis = Int32(axis)
        nodes[Int(index)].split = split
        nodes[Int(index)].left = left
        nodes[Int(index)].right = right
        return index
    }

    /// The `k` nearest other points of every point, nearest first (ties by index), and the
    /// Euclidean distance to each: row-major `n x k`. Requires `k < n`.
    public func neighborsOfEveryPoint(_ k: Int) -> (indices: [Int32], distances: [Float]) {
        let n = points.count / dimension
        checkArgument(k >= 1 && k < n, "KDTree: \(k) neighbours of \(n) points")
        return search(count: n, k: k) { point, coordinates in
            for axis in 0..<dimension { coordinates[axis] = points[point * dimension + axis] }
            return point
        }
    }

    /// The `k` nearest tree points to every row of `queries` (row-major `m x dimension`),
    /// nearest first (ties by index), with their distances: row-major `m x k`. Requires
    /// `k <= n`.
    public func neighbors(of queries: [Float], count k: Int) -> (indices: [Int32], distances: [Float]) {
        let n = points.count / dimension
        checkArgument(k >= 1 && k <= n && queries.count % dimension == 0, "KDTree: \(k) neighbours among \(n) points")
        return search(count: queries.count / dimension, k: k) { query, coordinates in
            for axis in 0..<dimension { coordinates[axis] = queries[query * dimension + axis] }
            return -1
        }
    }

    /// Runs `count` queries in parallel; `load` writes query `i`'s coordinates and returns the
    /// tree point to leave out (-1 for none).
    private func search(
        count: Int, k: Int, load: @Sendable @escaping (Int, inout [Float]) -> Int
    ) -> (indices: [Int32], distances: [Float]) {
        var indices = [Int32](repeating: 0, count: count * k)
        var distances = [Float](repeating: 0, count: count * k)
        indices.withUnsafeMutableBufferPointer { indexBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                // Each query writes its own row.
                let indexOutput = UncheckedSendable(indexBuffer.baseAddress!)
                let distanceOutput = UncheckedSendable(distanceBuffer.baseAddress!)
                parallelChunks(count, minimumChunk: 256) { range in
                    var best = NearestList(capacity: k)
                    var coordinates = [Float](repeating: 0, count: dimension)
                    for query in range {
                        best.removeAll()
                        let skipped = load(query, &coordinates)
                        visit(0, coordinates, skipping: skipped, &best)
                        for rank in 0..<k {
                            indexOutput.value[query * k + rank] = best.indices[rank]
                            distanceOutput.value[query * k + rank] = best.squaredDistances[rank].squareRoot()
                        }
                    }
                }
            }
        }
        return (indices, distances)
    }

    private func visit(_ nodeIndex: Int32, _ query: [Float], skipping skipped: Int, _ best: inout NearestList) {
        let node = nodes[Int(nodeIndex)]
        if node.axis < 0 {
            query.withUnsafeBufferPointer { query in
                points.withUnsafeBufferPointer { points in
                    for slot in Int(node.start)..<Int(node.end) where Int(order[slot]) != skipped {
                        let other = Int(order[slot])
                        best.offer(Int32(other), squaredDistance(
                            query.baseAddress!, points.baseAddress! + other * dimension, count: dimension))
                    }
                }
            }
            return
        }
        let offset = query[Int(node.axis)] - node.split
        let (near, far) = offset < 0 ? (node.left, node.right) : (node.right, node.left)
        visit(near, query, skipping: skipped, &best)
        if !best.isFull || offset * offset <= best.worst { visit(far, query, skipping: skipped, &best) }
    }
}

/// The `capacity` nearest candidates offered so far, nearest first (ties by lower index).
struct NearestList {
    let capacity: Int
    var indices: [Int32] = []
    var squaredDistances: [Float] = []

    init(capacity: Int) {
        self.capacity = capacity
        indices.reserveCapacity(capacity + 1)
        squaredDistances.reserveCapacity(capacity + 1)
    }

    var isFull: Bool { indices.count == capacity }
    var worst: Float { squaredDistances.last ?? .infinity }

    mutating func removeAll() {
        indices.removeAll(keepingCapacity: true)
        squaredDistances.removeAll(keepingCapacity: true)
    }

    mutating func offer(_ index: Int32, _ squaredDistance: Float) {
        if isFull && (squaredDistance > worst || (squaredDistance == worst && index > indices[capacity - 1])) { return }
        var slot = indices.count
        while slot > 0 && (squaredDistances[slot - 1] > squaredDistance
                           || (squaredDistances[slot - 1] == squaredDistance && indices[slot - 1] > index)) {
            slot -= 1
        }
        indices.insert(index, at: slot)
        squaredDistances.insert(squaredDistance, at: slot)
        if indices.count > capacity {
            indices.removeLast()
            squaredDistances.removeLast()
        }
    }
}
