/// The grid of cubic cells of side `h` that GridShift and MeanShift++ bin points into, with
/// each cell's integer coordinates `floor(x / h)` packed into one `UInt64` key.
///
/// Packing is mixed-radix over the data's own extent: axis `a` holds
/// `floor(x_a / h) - lower_a` in `0..<extent_a`, where `lower_a` is two cells below the
/// smallest occupied cell and `extent_a` leaves two spare cells above the largest, so the
/// `3^d` neighbours of any reachable cell pack without wrapping onto another cell. Centres
/// are convex combinations of the points, so they never leave the occupied range; keys are
/// still clamped to it to absorb rounding.
struct CellGrid {
    let dimension: Int
    let bandwidth: Double
    /// Per axis: the smallest and largest cell index a key may hold (one spare cell each side
    /// of the occupied range), and the index that packs to digit 0.
    private let lowest: [Int]
    private let highest: [Int]
    private let origin: [Int]
    /// Per axis: the mixed-radix place value of that axis's digit.
    private let strides: [UInt64]
    /// The key differences to the `3^d` neighbours (offsets -1, 0, +1 on each axis), as
    /// wrapping `UInt64` additions; the cell itself is among them.
    let neighborOffsets: [UInt64]

    /// The grid over `points` (row-major `n x dimension`, finite) with cells of side `bandwidth`.
    init(points: [Double], dimension: Int, bandwidth: Double) throws(ClusteringError) {
        self.dimension = dimension
        self.bandwidth = bandwidth
        var minimum = [Int](repeating: .max, count: dimension)
        var maximum = [Int](repeating: .min, count: dimension)
        for row in 0..<(points.count / dimension) {
            for axis in 0..<dimension {
                let cell = Self.cellIndex(points[row * dimension + axis], bandwidth)
                minimum[axis] = min(minimum[axis], cell)
                maximum[axis] = max(maximum[axis], cell)
            }
        }
        let extents = (0..<dimension).map { maximum[$0] - minimum[$0] + 5 }
        var strides = [UInt64](repeating: 1, count: dimension)
        var total: UInt64 = 1
        for axis in 0..<dimension {
            strides[axis] = total
            let (product, overflow) = total.multipliedReportingOverflow(by: UInt64(extents[axis]))
            if overflow || product > (1 << 62) {
                throw .gridTooFine(bandwidth: Float(bandwidth), cellsPerAxis: extents)
            }
            total = product
        }
        self.lowest = minimum.map { $0 - 1 }
        self.highest = maximum.map { $0 + 1 }
        self.origin = minimum.map { $0 - 2 }
        self.strides = strides
        var offsets: [UInt64] = []
        var neighborCount = 1
        for _ in 0..<dimension { neighborCount *= 3 }
        offsets.reserveCapacity(neighborCount)
        for neighbor in 0..<neighborCount {
            var code = neighbor
            var offset: UInt64 = 0
            for axis in 0..<dimension {
                let step = code % 3 - 1
                code /= 3
                offset &+= UInt64(bitPattern: Int64(step)) &* strides[axis]
            }
            offsets.append(offset)
        }
        self.neighborOffsets = offsets
    }

    /// `floor(x / h)`: floor, not truncation toward zero, so -0.5 and 0.5 fall in different cells.
    @inline(__always)
    static func cellIndex(_ x: Double, _ bandwidth: Double) -> Int {
        Int((x / bandwidth).rounded(.down))
    }

    /// The packed key of the cell holding `point` (`dimension` coordinates).
    @inline(__always)
    func key(of point: UnsafePointer<Double>) -> UInt64 {
        var key: UInt64 = 0
        for axis in 0..<dimension {
            let cell = min(max(Self.cellIndex(point[axis], bandwidth), lowest[axis]), highest[axis])
            key &+= UInt64(cell - origin[axis]) &* strides[axis]
        }
        return key
    }
}

/// An open-addressing hash table from packed cell keys to cell indices (linear probing),
/// sized once and cleared between passes without reallocating. A class, so that reading it
/// from parallel chunks never triggers a copy of its storage.
final class CellTable {
    private var keys: [UInt64]
    private var values: [Int32]
    private var mask: Int
    private var shift: UInt64

    /// A table that can hold `capacity` cells at a load factor of at most one half.
    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: -1, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    /// Empties the table and narrows it to what `count` cells need (storage is kept, so a
    /// shrinking cell set costs less to clear each pass and nothing to allocate).
    func reset(for count: Int) {
        var size = 16
        while size < 2 * count { size <<= 1 }
        precondition(size <= values.count, "CellTable: \(count) cells exceed the capacity \(values.count / 2)")
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        values.withUnsafeMutableBufferPointer { buffer in
            for slot in 0..<size { buffer[slot] = -1 }
        }
    }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The cell index stored under `key`, or -1.
    @inline(__always)
    func find(_ key: UInt64) -> Int {
        var slot = home(key)
        while true {
            let value = values[slot]
            if value < 0 { return -1 }
            if keys[slot] == key { return Int(value) }
            slot = (slot + 1) & mask
        }
    }

    /// The cell index under `key`; when absent, stores `newIndex` there and returns it.
    @inline(__always)
    func findOrInsert(_ key: UInt64, newIndex: Int) -> Int {
        var slot = home(key)
        while true {
            let value = values[slot]
            if value < 0 {
                keys[slot] = key
                values[slot] = Int32(newIndex)
                return newIndex
            }
            if keys[slot] == key { return Int(value) }
            slot = (slot + 1) & mask
        }
    }
}
