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
    init<Scalar: BinaryFloatingPoint>(points: [Scalar], dimension: Int, bandwidth: Double) throws(ClusteringError) {
        self.dimension = dimension
        self.bandwidth = bandwidth
        // floor(x / h) is monotonic in x, so the extreme cells are those of the extreme coordinates.
        var lowestCoordinate = [Double](repeating: .infinity, count: dimension)
        var highestCoordinate = [Double](repeating: -.infinity, count: dimension)
        for row in 0..<(points.count / dimension) {
            for axis in 0..<dimension {
                let x = Double(points[row * dimension + axis])
                lowestCoordinate[axis] = min(lowestCoordinate[axis], x)
                highestCoordinate[axis] = max(highestCoordinate[axis], x)
            }
        }
        // Cell indices must fit an Int comfortably before they are computed.
        for axis in 0..<dimension
        where abs(lowestCoordinate[axis] / bandwidth) >= 0x1p61 || abs(highestCoordinate[axis] / bandwidth) >= 0x1p61 {
            let cells = (highestCoordinate[axis] - lowestCoordinate[axis]) / bandwidth
            throw .gridTooFine(bandwidth: Float(bandwidth), cellsPerAxis: [cells < 0x1p62 ? Int(cells) + 1 : Int.max])
        }
        let minimum = lowestCoordinate.map { Self.cellIndex($0, bandwidth) }
        let maximum = highestCoordinate.map { Self.cellIndex($0, bandwidth) }
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
        let quotient = x / bandwidth
        // Inline floor (the library call dominates binning otherwise); the grid's size check
        // keeps quotients far inside Int's range.
        let truncated = Int(quotient)
        return Double(truncated) > quotient ? truncated - 1 : truncated
    }

    /// The packed key of the cell holding `point` (`dimension` coordinates).
    @inline(__always)
    func key<Scalar: BinaryFloatingPoint>(of point: UnsafePointer<Scalar>) -> UInt64 {
        var key: UInt64 = 0
        for axis in 0..<dimension {
            let cell = min(max(Self.cellIndex(Double(point[axis]), bandwidth), lowest[axis]), highest[axis])
            key &+= UInt64(cell - origin[axis]) &* strides[axis]
        }
        return key
    }
}

/// An open-addressing hash table from packed cell keys to cell indices (linear probing, load
/// at most one half). It grows by doubling while cells are inserted and is cleared between
/// passes without reallocating; a small table stays in cache, which matters more than the
/// probe count. A class, so that reading it from parallel chunks never copies its storage.
final class CellTable {
    // Manually managed storage: no copy-on-write and no dynamic exclusivity checks in the
    // probe loops, which run once per point per pass.
    private var keys: UnsafeMutablePointer<UInt64>
    private var values: UnsafeMutablePointer<Int32>
    private var allocated: Int
    private var mask: Int
    private var shift: UInt64
    private var occupied = 0

    /// An empty table sized for `expected` cells.
    init(expected: Int) {
        let size = Self.size(for: expected)
        allocated = size
        keys = .allocate(capacity: size)
        values = .allocate(capacity: size)
        values.initialize(repeating: -1, count: size)
        keys.initialize(repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    private static func size(for count: Int) -> Int {
        var size = 16
        while size < 2 * count { size <<= 1 }
        return size
    }

    /// Empties the table, sized for `expected` cells (storage is kept when large enough).
    func reset(for expected: Int) {
        let size = Self.size(for: expected)
        if size > allocated {
            keys.deallocate()
            values.deallocate()
            keys = .allocate(capacity: size)
            values = .allocate(capacity: size)
            keys.initialize(repeating: 0, count: size)
            allocated = size
        }
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        occupied = 0
        values.update(repeating: -1, count: size)
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
            if value < 0 { break }
            if keys[slot] == key { return Int(value) }
            slot = (slot + 1) & mask
        }
        if 2 * (occupied + 1) > mask + 1 {
            grow()
            return findOrInsert(key, newIndex: newIndex)
        }
        keys[slot] = key
        values[slot] = Int32(newIndex)
        occupied += 1
        return newIndex
    }

    /// Doubles the table and re-inserts its entries.
    private func grow() {
        let size = mask + 1
        let oldKeys = Array(UnsafeBufferPointer(start: keys, count: size))
        let oldValues = Array(UnsafeBufferPointer(start: values, count: size))
        reset(for: size)
        for slot in 0..<size where oldValues[slot] >= 0 {
            _ = findOrInsert(oldKeys[slot], newIndex: Int(oldValues[slot]))
        }
    }
}
