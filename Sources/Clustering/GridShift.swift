import Basics

/// GridShift (Kumar et al., 2022) as SPEC section 7 fixes it: mode seeking on a grid of
/// cubic cells of side `h`, where every occupied cell moves as one weighted point.
///
///     cells = { floor(x / h): (sum of points, count, member list) }
///     repeat up to maximumIterations:
///       for each cell C: centre_C = sum over the 3^d neighbour cells B of sum_B / sum of count_B
///       re-bin each centre at floor(centre / h); cells landing on one key merge
///         (sums count_C * centre_C, counts and member lists add up)
///       stop when no key changed and the largest centre move < 1e-4 h
///     label(point) = the final cell whose member list holds it
///
/// Floor, not truncation toward zero (the published code bins -0.9 and 0.9 together), and
/// member lists, not chained relabelling (the published code can merge unrelated clusters).
/// A centre's move is the Euclidean distance between its cell's mean before and after the
/// pass. Cells live in a hash table keyed by their packed integer coordinates; each pass
/// costs `3^d` lookups per occupied cell and allocates nothing.
///
/// - Parameters:
///   - points: row-major `n x dimension`, finite. Any `dimension`; the work per pass grows as
///     `3^dimension` (up to about 6 is practical).
///   - bandwidth: the cell side `h`, fixed or automatic (the default).
///   - maximumIterations: the cap on shift passes (200); 0 returns the initial cells.
/// - Returns: labels numbered by first appearance, the modes, the passes run, and `h`.
/// - Throws: `ClusteringError` for empty or non-finite points, `h <= 0`, or a grid too fine
///   for 64-bit keys.
public func gridShift(
    _ points: [Float], dimension: Int, bandwidth: Bandwidth = .automatic(), maximumIterations: Int = 200
) throws(ClusteringError) -> ModeSeekingResult {
    let (n, h) = try validateModeSeeking(points, dimension: dimension, bandwidth: bandwidth,
                                         maximumIterations: maximumIterations)
    let grid = try CellGrid(points: points, dimension: dimension, bandwidth: Double(h))
    var cells = GridShiftCells(points: points, count: n, grid: grid)
    var iterations = 0
    var converged = false
    while iterations < maximumIterations {
        let (keyChanged, largestMove) = cells.shift(grid: grid)
        iterations += 1
        if !keyChanged && largestMove < 1e-4 * Double(h) {
            converged = true
            break
        }
    }
    let (labels, centres) = cells.labelsAndCentres(pointCount: n)
    return ModeSeekingResult(
        labels: labels, centres: centres, dimension: dimension,
        iterations: iterations, converged: converged, bandwidth: h)
}

/// The occupied cells of GridShift, double-buffered so that passes reuse their storage.
struct GridShiftCells {
    let dimension: Int
    let table: CellTable
    /// The live cells, `0..<count`: key, coordinate sums (`count x dimension`), point counts,
    /// and the first and last point of each member list.
    var count: Int
    var keys: [UInt64]
    var sums: [Double]
    var sizes: [Double]
    var heads: [Int32]
    var tails: [Int32]
    /// Member lists: the point after each point in its cell's list, or -1.
    var nextPoint: [Int32]
    /// The pass's scratch: shifted centres, their keys, squared moves, and the merged cells.
    var centres: [Double]
    var newKeys: [UInt64]
    var moves: [Double]
    var mergedKeys: [UInt64]
    var mergedSums: [Double]
    var mergedSizes: [Double]
    var mergedHeads: [Int32]
    var mergedTails: [Int32]

    /// Bins every point at `floor(x / h)`, members in ascending point order.
    init(points: [Float], count n: Int, grid: CellGrid) {
        let d = grid.dimension
        let table = CellTable(expected: 64)
        var keys: [UInt64] = [], heads: [Int32] = [], tails: [Int32] = []
        var nextPoint = [Int32](repeating: -1, count: n)
        var cellOfPoint = [Int32](repeating: 0, count: n)
        // Pass 1: cells and member lists.
        points.withUnsafeBufferPointer { buffer in
            nextPoint.withUnsafeMutableBufferPointer { nextPoint in
                for point in 0..<n {
                    let key = grid.key(of: buffer.baseAddress! + point * d)
                    let cell = table.findOrInsert(key, newIndex: keys.count)
                    if cell == keys.count {
                        keys.append(key)
                        heads.append(Int32(point))
                        tails.append(Int32(point))
                    } else {
                        nextPoint[Int(tails[cell])] = Int32(point)
                        tails[cell] = Int32(point)
                    }
                    cellOfPoint[point] = Int32(cell)
                }
            }
        }
        // Pass 2: sums and counts, now that the number of cells is known.
        var sums = [Double](repeating: 0, count: keys.count * d)
        var sizes = [Double](repeating: 0, count: keys.count)
        points.withUnsafeBufferPointer { buffer in
            sums.withUnsafeMutableBufferPointer { sums in
                sizes.withUnsafeMutableBufferPointer { sizes in
                    for point in 0..<n {
                        let cell = Int(cellOfPoint[point])
                        for axis in 0..<d { sums[cell * d + axis] += Double(buffer[point * d + axis]) }
                        sizes[cell] += 1
                    }
                }
            }
        }
        self.dimension = d
        self.table = table
        self.count = keys.count
        self.keys = keys
        self.sums = sums
        self.sizes = sizes
        self.heads = heads
        self.tails = tails
        self.nextPoint = nextPoint
        centres = [Double](repeating: 0, count: keys.count * d)
        newKeys = [UInt64](repeating: 0, count: keys.count)
        moves = [Double](repeating: 0, count: keys.count)
        mergedKeys = newKeys
        mergedSums = centres
        mergedSizes = moves
        mergedHeads = heads
        mergedTails = tails
    }

    /// One pass: shifts every cell to the mean of its `3^d` neighbourhood, re-bins and merges.
    /// Returns whether any cell's key changed and the largest centre move.
    mutating func shift(grid: CellGrid) -> (keyChanged: Bool, largestMove: Double) {
        let d = dimension
        let cellCount = count
        let table = self.table
        // Shift: every cell reads the old sums and writes only its own outputs.
        sums.withUnsafeBufferPointer { sums in
            sizes.withUnsafeBufferPointer { sizes in
                keys.withUnsafeBufferPointer { keys in
                    centres.withUnsafeMutableBufferPointer { centres in
                        newKeys.withUnsafeMutableBufferPointer { newKeys in
                            moves.withUnsafeMutableBufferPointer { moves in
                                let out = UncheckedSendable((centres.baseAddress!, newKeys.baseAddress!, moves.baseAddress!))
                                parallelChunks(cellCount, minimumChunk: 2048) { range in
                                    let (centres, newKeys, moves) = out.value
                                    for cell in range {
                                        let centre = centres + cell * d
                                        for axis in 0..<d { centre[axis] = 0 }
                                        var total = 0.0
                                        for offset in grid.neighborOffsets {
                                            let neighbor = table.find(keys[cell] &+ offset)
                                            if neighbor < 0 { continue }
                                            for axis in 0..<d { centre[axis] += sums[neighbor * d + axis] }
                                            total += sizes[neighbor]
                                        }
                                        var move = 0.0
                                        for axis in 0..<d {
                                            centre[axis] /= total
                                            let step = centre[axis] - sums[cell * d + axis] / sizes[cell]
                                            move += step * step
                                        }
                                        moves[cell] = move
                                        newKeys[cell] = grid.key(of: UnsafePointer(centre))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var keyChanged = false
        var largestMove = 0.0
        for cell in 0..<cellCount {
            keyChanged = keyChanged || newKeys[cell] != keys[cell]
            largestMove = max(largestMove, moves[cell])
        }
        // Re-bin and merge, in cell order, so the result does not depend on the chunking.
        table.reset(for: cellCount)
        var merged = 0
        for cell in 0..<cellCount {
            let target = table.findOrInsert(newKeys[cell], newIndex: merged)
            if target == merged {
                mergedKeys[merged] = newKeys[cell]
                for axis in 0..<d { mergedSums[merged * d + axis] = sizes[cell] * centres[cell * d + axis] }
                mergedSizes[merged] = sizes[cell]
                mergedHeads[merged] = heads[cell]
                mergedTails[merged] = tails[cell]
                merged += 1
            } else {
                for axis in 0..<d { mergedSums[target * d + axis] += sizes[cell] * centres[cell * d + axis] }
                mergedSizes[target] += sizes[cell]
                nextPoint[Int(mergedTails[target])] = heads[cell]
                mergedTails[target] = tails[cell]
            }
        }
        swap(&keys, &mergedKeys)
        swap(&sums, &mergedSums)
        swap(&sizes, &mergedSizes)
        swap(&heads, &mergedHeads)
        swap(&tails, &mergedTails)
        count = merged
        return (keyChanged, largestMove.squareRoot())
    }

    /// Labels from the member lists (numbered by first appearance) and the cells' means.
    func labelsAndCentres(pointCount: Int) -> (labels: [Int], centres: [Float]) {
        var cellOfPoint = [Int](repeating: 0, count: pointCount)
        for cell in 0..<count {
            var point = heads[cell]
            while point >= 0 {
                cellOfPoint[Int(point)] = cell
                point = nextPoint[Int(point)]
            }
        }
        let (labels, cellOfLabel) = labelsByFirstAppearance(cellOfPoint, groupCount: count)
        var centres = [Float]()
        centres.reserveCapacity(cellOfLabel.count * dimension)
        for cell in cellOfLabel {
            for axis in 0..<dimension { centres.append(Float(sums[cell * dimension + axis] / sizes[cell])) }
        }
        return (labels, centres)
    }
}
