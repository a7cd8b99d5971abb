/// A 2^d-tree (quadtree in 2-D, octree in 3-D) over a layout, each cell holding its
/// centre of mass and point count, for Barnes-Hut t-SNE's repulsive forces.
struct BarnesHutTree {
    let dimensions: Int
    var centers: [Float] = []      // cells x d: the cell's geometric centre
    var widths: [Float] = []       // cells: the cell's side length
    var masses: [Float] = []       // cells x d: centre of mass
    var counts: [Int32] = []       // cells: points inside
    var firstChild: [Int32] = []   // cells: index of the first of 2^d children, -1 for a leaf
    var pointStart: [Int32] = []   // cells: a leaf's range in `order`
    var order: [Int32] = []        // the points, grouped by leaf

    /// Builds the tree over `layout` (n x dimensions); cells stop splitting at one point or
    /// at depth 32 (coincident points share a leaf).
    init(_ layout: UnsafePointer<Float>, count n: Int, dimensions: Int) {
        self.dimensions = dimensions
        var low = [Float](repeating: .infinity, count: dimensions)
        var high = [Float](repeating: -.infinity, count: dimensions)
        for i in 0..<n {
            for c in 0..<dimensions {
                low[c] = min(low[c], layout[i * dimensions + c]); high[c] = max(high[c], layout[i * dimensions + c])
            }
        }
        var width: Float = 0
        for c in 0..<dimensions { width = max(width, high[c] - low[c]) }
        width = max(width * (1 + 1e-3), 1e-5)
        order = (0..<n).map { Int32($0) }
        let center = (0..<dimensions).map { (low[$0] + high[$0]) / 2 }
        centers = center
        widths = [width]
        masses = [Float](repeating: 0, count: dimensions)
        counts = [0]
        firstChild = [-1]
        pointStart = [0]
        if n > 0 { fill(layout, cell: 0, range: 0..<n, depth: 0) }
    }

    /// Fills an allocated cell (its centre and width already set) with `range`'s points.
    private mutating func fill(_ layout: UnsafePointer<Float>, cell: Int, range: Range<Int>, depth: Int) {
        let center = Array(centers[(cell * dimensions)..<((cell + 1) * dimensions)])
        let width = widths[cell]
        var mass = [Float](repeating: 0, count: dimensions)
        for p in range { for c in 0..<dimensions { mass[c] += layout[Int(order[p]) * dimensions + c] } }
        for c in 0..<dimensions { masses[cell * dimensions + c] = mass[c] / Float(range.count) }
        counts[cell] = Int32(range.count)
        pointStart[cell] = Int32(range.lowerBound)
        if range.count <= 1 || depth >= 32 { return }
        let childCount = 1 << dimensions
        var buckets = [[Int32]](repeating: [], count: childCount)
        for p in range {
            var code = 0
            for c in 0..<dimensions where layout[Int(order[p]) * dimensions + c] >= center[c] { code |= 1 << c }
            buckets[code].append(order[p])
        }
        var position = range.lowerBound
        var childRanges: [Range<Int>] = []
        for bucket in buckets {
            for (offset, point) in bucket.enumerated() { order[position + offset] = point }
            childRanges.append(position..<(position + bucket.count))
            position += bucket.count
        }
        let first = counts.count
        firstChild[cell] = Int32(first)
        for code in 0..<childCount {
            centers += (0..<dimensions).map { c in center[c] + (code >> c & 1 == 1 ? 0.25 : -0.25) * width }
            widths.append(width / 2)
            masses += [Float](repeating: 0, count: dimensions)
            counts.append(0)
            firstChild.append(-1)
            pointStart.append(Int32(childRanges[code].lowerBound))
        }
        for code in 0..<childCount where childRanges[code].count > 0 {
            fill(layout, cell: first + code, range: childRanges[code], depth: depth + 1)
        }
    }

    /// The repulsive force on point i, summarised by cells with
    /// `width / distance < theta`: adds `sum_j n_j w_j k_j (y_i - y_j)` to `force` and returns
    /// `sum_j n_j w_j`, where `w = (1 + d^2 / dof)^(-(dof + 1) / 2)` and `k = dof / (dof + d^2)`.
    func repulsion(of i: Int, layout: UnsafePointer<Float>, theta: Float, dof: Float,
                   force: UnsafeMutablePointer<Float>) -> Double {
        let exponent = (dof + 1) / 2
        var normalizer = 0.0
        var stack: [Int32] = [0]
        stack.reserveCapacity(64)
        let own = layout + i * dimensions
        @inline(__always) func add(_ position: UnsafePointer<Float>, size: Float) {
            var squared: Float = 0
            for c in 0..<dimensions { let t = own[c] - position[c]; squared += t * t }
            let kernel = dof / (dof + squared)
            let weight = dof == 1 ? kernel : powf(kernel, exponent)
            normalizer += Double(size * weight)
            let multiplier = size * weight * kernel
            for c in 0..<dimensions { force[c] += multiplier * (own[c] - position[c]) }
        }
        masses.withUnsafeBufferPointer { mass in
            while let cell = stack.popLast().map(Int.init) {
                let count = counts[cell]
                if count == 0 { continue }
                let com = mass.baseAddress! + cell * dimensions
                var squared: Float = 0
                for c in 0..<dimensions { let t = own[c] - com[c]; squared += t * t }
                let isLeaf = firstChild[cell] < 0
                if isLeaf {
                    let start = Int(pointStart[cell])
                    for p in start..<(start + Int(count)) where Int(order[p]) != i {
                        add(layout + Int(order[p]) * dimensions, size: 1)
                    }
                } else if widths[cell] * widths[cell] < theta * theta * squared {
                    add(com, size: Float(count))
                } else {
                    let first = Int(firstChild[cell])
                    for child in 0..<(1 << dimensions) { stack.append(Int32(first + child)) }
                }
            }
        }
        return normalizer
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
