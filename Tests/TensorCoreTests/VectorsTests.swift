import Testing
import Basics

/// The distance loops behind every neighbour search: four running sums of eight lanes, then
/// eight lanes, then a scalar tail; each length exercises a different mix of the three.
@Suite struct VectorsTests {
    static let lengths = [0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 255, 256, 784, 1000]

    /// Small integers: every partial sum is exact in float, so any order gives the exact value.
    @Test(arguments: lengths)
    func exactOnSmallIntegers(count: Int) {
        var generator = SeededGenerator(seed: 7, stream: [UInt64(count)])
        let a = (0..<count).map { _ in Float(generator.nextInt(below: 9)) - 4 }
        let b = (0..<count).map { _ in Float(generator.nextInt(below: 9)) - 4 }
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let squared = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        #expect(dotProduct(a, b, count: count) == dot)
        #expect(squaredDistance(a, b, count: count) == squared)
    }

    /// Random floats: within float rounding of a float64 sum.
    @Test(arguments: lengths)
    func closeToADoubleSum(count: Int) {
        var generator = SeededGenerator(seed: 8, stream: [UInt64(count)])
        let a = (0..<count).map { _ in generator.nextUniform(-1, 1) }
        let b = (0..<count).map { _ in generator.nextUniform(-1, 1) }
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let squared = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let scale = zip(a, b).reduce(1.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        #expect(abs(Double(dotProduct(a, b, count: count)) - dot) <= 1e-6 * scale)
        #expect(abs(Double(squaredDistance(a, b, count: count)) - squared) <= 1e-6 * (1 + squared))
    }

    /// The C kernels (rows of 32 floats and more, in the CPU's widest vectors) give the same
    /// bits as the Swift lanes' order on random floats, one row at a time and several rows
    /// against one: NN-descent's neighbours do not depend on the CPU.
    @Test(arguments: lengths)
    func kernelsGiveTheSwiftLanesBits(count: Int) {
        var generator = SeededGenerator(seed: 9, stream: [UInt64(count)])
        let a = (0..<count).map { _ in generator.nextUniform(-1, 1) }
        let rows = (0..<7).map { _ in (0..<count).map { _ in generator.nextUniform(-1, 1) } }
        for row in rows {
            #expect(dotProduct(a, row, count: count).bitPattern == laneDotProduct(a, row, count: count).bitPattern)
            #expect(squaredDistance(a, row, count: count).bitPattern
                    == laneSquaredDistance(a, row, count: count).bitPattern)
        }
        // Seven rows: one block of four, then three one by one.
        if count == 0 { return }
        let flat = rows.flatMap { $0 }
        flat.withUnsafeBufferPointer { values in
            let pointers: [UnsafePointer<Float>?] = (0..<rows.count).map { values.baseAddress! + $0 * count }
            var dots = [Float](repeating: .nan, count: rows.count), squares = dots
            pointers.withUnsafeBufferPointer { table in
                a.withUnsafeBufferPointer { first in
                    dotProducts(first.baseAddress!, table.baseAddress!, count: rows.count, dimension: count, into: &dots)
                    squaredDistances(first.baseAddress!, table.baseAddress!, count: rows.count, dimension: count, into: &squares)
                }
            }
            for (r, row) in rows.enumerated() {
                #expect(dots[r].bitPattern == laneDotProduct(a, row, count: count).bitPattern)
                #expect(squares[r].bitPattern == laneSquaredDistance(a, row, count: count).bitPattern)
            }
        }
    }
}
