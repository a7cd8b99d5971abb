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
}
