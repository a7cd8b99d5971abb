import Foundation
import Testing
import Basics
import TensorCore

/// The folder of fixtures copied into the test bundle.
let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

/// A JSON fixture as a dictionary.
func fixture(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func floats(_ value: Any?) -> [Float] {
    ((value as? [NSNumber]) ?? []).map(\.floatValue)
}

func integers(_ value: Any?) -> [Int] {
    ((value as? [NSNumber]) ?? []).map(\.intValue)
}

/// The largest absolute difference, after checking the counts agree.
func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays have \(a.count) and \(b.count) elements")
    return zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
}

func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape, standardDeviation: scale, generator: &generator)
}
