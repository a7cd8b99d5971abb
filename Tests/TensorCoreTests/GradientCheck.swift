import Testing
import Basics
import TensorCore

/// Compares reverse-mode gradients with central differences.
///
/// `function` maps the inputs to any tensor; the objective is `sum(function(x) * w)` with
/// fixed random weights w, so every output element matters. Each input element is moved by
/// +-`step`; the difference quotient is compared with the tape's gradient within
/// `absolute + relative |numeric|`.
func checkGradients(
    _ inputs: [Tensor], step: Float = 1e-2, absolute: Float = 2e-3, relative: Float = 2e-2,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ function: ([Tensor]) -> Tensor
) {
    for input in inputs { input.requiresGradient = true }
    var generator = SeededGenerator(seed: 99)
    let probe = function(inputs)
    let weights = Tensor.randomNormal(probe.shape, generator: &generator)
    func objective() -> Float {
        withoutGradient {
            let output = function(inputs)
            return zip(output.scalars, weights.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        }
    }
    let loss = (function(inputs) * weights).sum()
    let analytic = gradients(of: loss, withRespectTo: inputs)
    for (inputIndex, input) in inputs.enumerated() {
        #expect(analytic[inputIndex].shape == input.shape, sourceLocation: sourceLocation)
        let computed = analytic[inputIndex].scalars
        var worst: (index: Int, numeric: Float, analytic: Float)? = nil
        for index in 0..<input.count {
            let original = input.scalars[index]
            input.withUnsafeMutableBufferPointer { $0[index] = original + step }
            let plus = objective()
            input.withUnsafeMutableBufferPointer { $0[index] = original - step }
            let minus = objective()
            input.withUnsafeMutableBufferPointer { $0[index] = original }
            let numeric = (plus - minus) / (2 * step)
            if abs(numeric - computed[index]) > absolute + relative * abs(numeric), worst == nil {
                worst = (index, numeric, computed[index])
            }
        }
        #expect(worst == nil,
                "input \(inputIndex) \(input.shape): element \(worst?.index ?? -1) numeric \(worst?.numeric ?? 0) vs tape \(worst?.analytic ?? 0)",
                sourceLocation: sourceLocation)
    }
}

func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape, standardDeviation: scale, generator: &generator)
}

func positive(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.randomUniform(shape, lower: 0.5, upper: 2, generator: &generator)
}
