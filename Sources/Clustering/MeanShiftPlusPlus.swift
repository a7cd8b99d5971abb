import Basics

/// MeanShift++ (Jang and Jiang, 2021): mean shift with a flat kernel approximated on the
/// same grid as GridShift, but moving every *point*: each pass bins all current positions
/// at `floor(x / h)`, then moves each point to the mean of the points in the `3^d` cells
/// around its own. It stops when no point changed cell and the largest move is below
/// `1e-4 h`; points whose final positions share a cell form a cluster.
///
/// Every point of a cell moves to the same place, so this computes what `gridShift` does,
/// at `n` instead of one neighbourhood sum per occupied cell per pass: it is here as an
/// independent check of GridShift, not for speed.
///
/// - Parameters: as `gridShift(_:dimension:bandwidth:maximumIterations:)`.
/// - Returns: labels numbered by first appearance, the mean final position of each cluster,
///   the passes run, and `h`.
public func meanShiftPlusPlus(
    _ points: [Float], dimension: Int, bandwidth: Bandwidth = .automatic(), maximumIterations: Int = 200
) throws(ClusteringError) -> ModeSeekingResult {
    let (n, h) = try validateModeSeeking(points, dimension: dimension, bandwidth: bandwidth,
                                         maximumIterations: maximumIterations)
    let d = dimension
    var positions = points.map(Double.init)
    let grid = try CellGrid(points: positions, dimension: d, bandwidth: Double(h))
    let table = CellTable(expected: 64)
    var cellOfPoint = [Int](repeating: 0, count: n)
    var cellSums = [Double](repeating: 0, count: n * d)
    var cellSizes = [Double](repeating: 0, count: n)
    var cellKeys = [UInt64](repeating: 0, count: n)
    var shifted = [Double](repeating: 0, count: n * d)
    var moves = [Double](repeating: 0, count: n)

    /// Bins the current positions; returns the number of occupied cells.
    func binPositions(expected: Int) -> Int {
        table.reset(for: expected)
        var cellCount = 0
        positions.withUnsafeBufferPointer { buffer in
            for point in 0..<n {
                let key = grid.key(of: buffer.baseAddress! + point * d)
                let cell = table.findOrInsert(key, newIndex: cellCount)
                if cell == cellCount {
                    cellKeys[cell] = key
                    cellSizes[cell] = 0
                    for axis in 0..<d { cellSums[cell * d + axis] = 0 }
                    cellCount += 1
                }
                cellOfPoint[point] = cell
                for axis in 0..<d { cellSums[cell * d + axis] += buffer[point * d + axis] }
                cellSizes[cell] += 1
            }
        }
        return cellCount
    }

    var cellCount = binPositions(expected: 64)
    var iterations = 0
    var converged = false
    while iterations < maximumIterations {
        let previousCells = cellOfPoint.map { cellKeys[$0] }
        cellSums.withUnsafeBufferPointer { sums in
            cellSizes.withUnsafeBufferPointer { sizes in
                positions.withUnsafeBufferPointer { positions in
                    shifted.withUnsafeMutableBufferPointer { shifted in
                        moves.withUnsafeMutableBufferPointer { moves in
                            // Every point writes only its own row of `shifted` and `moves`.
                            let out = UncheckedSendable((shifted.baseAddress!, moves.baseAddress!))
                            parallelChunks(n, minimumChunk: 4096) { range in
                                let (shifted, moves) = out.value
                                for point in range {
                                    let key = grid.key(of: positions.baseAddress! + point * d)
                                    let target = shifted + point * d
                                    for axis in 0..<d { target[axis] = 0 }
                                    var total = 0.0
                                    for offset in grid.neighborOffsets {
                                        let neighbor = table.find(key &+ offset)
                                        if neighbor < 0 { continue }
                                        for axis in 0..<d { target[axis] += sums[neighbor * d + axis] }
                                        total += sizes[neighbor]
                                    }
                                    var move = 0.0
                                    for axis in 0..<d {
                                        target[axis] /= total
                                        let step = target[axis] - positions[point * d + axis]
                                        move += step * step
                                    }
                                    moves[point] = move
                                }
                            }
                        }
                    }
                }
            }
        }
        swap(&positions, &shifted)
        iterations += 1
        cellCount = binPositions(expected: cellCount)
        let largestMove = (moves.max() ?? 0).squareRoot()
        var cellChanged = false
        for point in 0..<n where cellKeys[cellOfPoint[point]] != previousCells[point] {
            cellChanged = true
            break
        }
        if !cellChanged && largestMove < 1e-4 * Double(h) {
            converged = true
            break
        }
    }
    let (labels, cellOfLabel) = labelsByFirstAppearance(cellOfPoint, groupCount: cellCount)
    var centres = [Float]()
    centres.reserveCapacity(cellOfLabel.count * d)
    for cell in cellOfLabel {
        for axis in 0..<d { centres.append(Float(cellSums[cell * d + axis] / cellSizes[cell])) }
    }
    return ModeSeekingResult(
        labels: labels, centres: centres, dimension: d,
        iterations: iterations, converged: converged, bandwidth: h)
}
