import Foundation
import Basics
import TensorCore

/// The parsed JSON of a fixture file in `Fixtures/`.
func loadFixture(_ name: String) throws -> [String: Any] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name)
    let data = try Data(contentsOf: url)
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

func floats(_ value: Any?) -> [Float] {
    (value as! [Any]).map { Float(($0 as! NSNumber).doubleValue) }
}

func tensor(_ value: Any?, _ shape: [Int], requiresGradient: Bool = false) -> Tensor {
    Tensor(shape: shape, scalars: floats(value), requiresGradient: requiresGradient)
}

/// The largest |a - b| / (absolute + relative |b|) over the elements; <= 1 means close.
func closeness(_ a: [Float], _ b: [Float], absolute: Float = 1e-5, relative: Float = 1e-4) -> Float {
    precondition(a.count == b.count, "closeness: \(a.count) vs \(b.count) elements")
    return zip(a, b).map { abs($0 - $1) / (absolute + relative * abs($1)) }.max() ?? 0
}
