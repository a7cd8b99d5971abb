// Elementwise arithmetic with NumPy broadcasting, and the unary maps.

/// The shape two operands broadcast to (NumPy rules: align trailing dimensions; each pair
/// must be equal or contain a 1).
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
        let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
        checkArgument(x == y || x == 1 || y == 1, "broadcast: shapes \(a) and \(b) are incompatible")
        result[axis] = x == 1 ? y : x
    }
    return result
}

/// Row-major strides of `shape` seen as broadcast to `target`: 0 along broadcast axes.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: target.count)
    var step = 1
    for axis in (0..<shape.count).reversed() {
        let targetAxis = axis + target.count - shape.count
        strides[targetAxis] = shape[axis] == 1 ? 0 : step
        step *= shape[axis]
    }
    return strides
}

/// Visits `shape` in row-major order one innermost row at a time:
/// `body(outputOffset, offsetA, offsetB, length, innerStrideA, innerStrideB)`.
@inline(__always)
func forEachBroadcastRow(
    _ shape: [Int], _ stridesA: [Int], _ stridesB: [Int],
    _ body: (Int, Int, Int, Int, Int, Int) -> Void
) {
    let rank = shape.count
    if rank == 0 { body(0, 0, 0, 1, 0, 0); return }
    let inner = shape[rank - 1]
    let rows = shape.reduce(1, *) / max(1, inner)
    if inner == 0 || rows == 0 { return }
    var index = [Int](repeating: 0, count: rank)
    var offsetA = 0, offsetB = 0
    for row in 0..<rows {
        body(row * inner, offsetA, offsetB, inner, stridesA[rank - 1], stridesB[rank - 1])
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            offsetA += stridesA[axis]
            offsetB += stridesB[axis]
            if index[axis] < shape[axis] { break }
            offsetA -= stridesA[axis] * shape[axis]
            offsetB -= stridesB[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

extension Tensor {
    /// `result = f(a, b)` elementwise with broadcasting; the pullback adds (assigns, into a
    /// fresh gradient of the full shape) `gradientA(g, a, b)` and `gradientB(g, a, b)`
    /// summed over broadcast axes.
    @inline(__always)
    static func binary(
        _ a: Tensor, _ b: Tensor, _ name: String,
        _ forward: (Float, Float) -> Float,
        gradientA: @escaping (Float, Float, Float) -> Float,
        gradientB: @escaping (Float, Float, Float) -> Float
    ) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape)
        let result = Tensor.uninitialized(shape)
        let x = a.storage.pointer, y = b.storage.pointer, z = result.storage.pointer
        if a.shape == b.shape {
            let shared = UncheckedSendable(z)
            parallelChunks(result.count, minimumChunk: 1 << 15) { range in
                for index in range { shared.value[index] = forward(x[index], y[index]) }
            }
        } else {
            let stridesA = broadcastStrides(a.shape, to: shape)
            let stridesB = broadcastStrides(b.shape, to: shape)
            forEachBroadcastRow(shape, stridesA, stridesB) { out, offsetA, offsetB, length, innerA, innerB in
                for i in 0..<length { z[out + i] = forward(x[offsetA + i * innerA], y[offsetB + i * innerB]) }
            }
        }
        result.record([a, b]) { _, g in
            if a.shape == b.shape {
                // A before B in every chunk: if they are one tensor, B adds to A's write.
                let gradA = a.isGradientNeeded ? a.gradientDestination() : nil
                let gradB = b.isGradientNeeded ? b.gradientDestination() : nil
                parallelChunks(shape.reduce(1, *), minimumChunk: 1 << 15) { range in
                    if let gradA { for i in range { gradA.write(i, gradientA(g[i], x[i], y[i])) } }
                    if let gradB { for i in range { gradB.write(i, gradientB(g[i], x[i], y[i])) } }
                }
            } else {
                let stridesA = broadcastStrides(a.shape, to: shape)
                let stridesB = broadcastStrides(b.shape, to: shape)
                let gradA = a.isGradientNeeded ? a.gradientPointer() : nil
                let gradB = b.isGradientNeeded ? b.gradientPointer() : nil
                forEachBroadcastRow(shape, stridesA, stridesB) { out, offsetA, offsetB, length, innerA, innerB in
                    for i in 0..<length {
                        let ia = offsetA + i * innerA, ib = offsetB + i * innerB
                        gradA?[ia] += gradientA(g[out + i], x[ia], y[ib])
                        gradB?[ib] += gradientB(g[out + i], x[ia], y[ib])
                    }
                }
            }
        }
        _ = name
        return result
    }

    /// `result = f(x)` elementwise; the pullback adds (assigns, into a fresh gradient)
    /// `derivative(g, x, result)`.
    @inline(__always)
    func unary(
        _ forward: (Float) -> Float,
        derivative: @escaping (_ g: Float, _ x: Float, _ y: Float) -> Float
    ) -> Tensor {
        let result = Tensor.uninitialized(shape)
        let x = storage.pointer
        let z = UncheckedSendable(result.storage.pointer)
        parallelChunks(count, minimumChunk: 1 << 15) { range in
            for index in range { z.value[index] = forward(x[index]) }
        }
        result.record([self]) { output, g in
            let gradX = self.gradientDestination()
            let y = output.storage.pointer
            parallelChunks(output.count, minimumChunk: 1 << 15) { range in
                for i in range { gradX.write(i, derivative(g[i], x[i], y[i])) }
            }
        }
        return result
    }
}

// d(a+b) = da + db;  d(a-b) = da - db;  d(ab) = b da + a db;  d(a/b) = da/b - a db/b^2.

/// Elementwise sum with broadcasting.
public func + (a: Tensor, b: Tensor) -> Tensor {
    Tensor.binary(a, b, "+", { $0 + $1 }, gradientA: { g, _, _ in g }, gradientB: { g, _, _ in g })
}

/// Elementwise difference with broadcasting.
public func - (a: Tensor, b: Tensor) -> Tensor {
    Tensor.binary(a, b, "-", { $0 - $1 }, gradientA: { g, _, _ in g }, gradientB: { g, _, _ in -g })
}

/// Elementwise product with broadcasting.
public func * (a: Tensor, b: Tensor) -> Tensor {
    Tensor.binary(a, b, "*", { $0 * $1 }, gradientA: { g, _, y in g * y }, gradientB: { g, x, _ in g * x })
}

/// Elementwise quotient with broadcasting.
public func / (a: Tensor, b: Tensor) -> Tensor {
    Tensor.binary(a, b, "/", { $0 / $1 }, gradientA: { g, _, y in g / y },
                  gradientB: { g, x, y in -g * x / (y * y) })
}

/// `a + s` elementwise.
public func + (a: Tensor, s: Float) -> Tensor { a.unary({ $0 + s }, derivative: { g, _, _ in g }) }
/// `s + a` elementwise.
public func + (s: Float, a: Tensor) -> Tensor { a + s }
/// `a - s` elementwise.
public func - (a: Tensor, s: Float) -> Tensor { a.unary({ $0 - s }, derivative: { g, _, _ in g }) }
/// `s - a` elementwise.
public func - (s: Float, a: Tensor) -> Tensor { a.unary({ s - $0 }, derivative: { g, _, _ in -g }) }
/// `a * s` elementwise.
public func * (a: Tensor, s: Float) -> Tensor { a.unary({ $0 * s }, derivative: { g, _, _ in g * s }) }
/// `s * a` elementwise.
public func * (s: Float, a: Tensor) -> Tensor { a * s }
/// `a / s` elementwise.
public func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
/// `-a` elementwise.
public prefix func - (a: Tensor) -> Tensor { a * -1 }

extension Tensor {
    /// `e^x` elementwise. d/dx = e^x.
    public func exp() -> Tensor {
        unary({ scalarExp($0) }, derivative: { g, _, y in g * y })
    }

    /// Natural logarithm elementwise. d/dx = 1/x.
    public func log() -> Tensor {
        unary({ scalarLog($0) }, derivative: { g, x, _ in g / x })
    }

    /// Square root elementwise. d/dx = 1 / (2 sqrt x).
    public func sqrt() -> Tensor {
        unary({ $0.squareRoot() }, derivative: { g, _, y in g / (2 * y) })
    }

    /// `x^2` elementwise. d/dx = 2x.
    public func squared() -> Tensor {
        unary({ $0 * $0 }, derivative: { g, x, _ in 2 * g * x })
    }

    /// `max(x, 0)` elementwise. d/dx = 1 where x > 0, else 0.
    public func relu() -> Tensor {
        unary({ max($0, 0) }, derivative: { g, x, _ in x > 0 ? g : 0 })
    }

    /// The Gaussian error linear unit, erf form (PyTorch's `F.gelu` default, timm's ViT MLP):
    /// `x Phi(x) = x (1 + erf(x / sqrt 2)) / 2`. d/dx = Phi(x) + x phi(x), phi the standard
    /// normal density.
    ///
    /// Both passes run `gaussianTerms`, plain arithmetic that the compiler vectorises, where
    /// libm's `erff` and `expf` went element by element (a third of a ViT block's time).
    public func gelu() -> Tensor {
        let result = Tensor.uninitialized(shape)
        let x = storage.pointer
        let y = UncheckedSendable(result.storage.pointer)
        parallelChunks(count, minimumChunk: 1 << 15) { range in
            for i in range {
                let (cumulative, _) = gaussianTerms(x[i])
                y.value[i] = x[i] * cumulative
            }
        }
        result.record([self]) { _, g in
            let gradX = self.gradientDestination()
            parallelChunks(self.count, minimumChunk: 1 << 15) { range in
                for i in range {
                    let (cumulative, density) = gaussianTerms(x[i])
                    gradX.write(i, g[i] * (cumulative + x[i] * density))
                }
            }
        }
        return result
    }

    /// `min(max(x, lower), upper)` elementwise. d/dx = 1 where lower <= x <= upper, else 0
    /// (PyTorch's convention at the boundaries).
    public func clamped(lower: Float = -.infinity, upper: Float = .infinity) -> Tensor {
        checkArgument(lower <= upper, "clamped: lower \(lower) > upper \(upper)")
        return unary({ min(max($0, lower), upper) },
                     derivative: { g, x, _ in (x >= lower && x <= upper) ? g : 0 })
    }
}

/// Phi(x) and phi(x), the standard normal distribution and density, to about 2e-7: erf by
/// Abramowitz and Stegun 7.1.26 (what PyTorch's vectorised GELU uses), whose e^(-x^2/2) is
/// phi's too, with `polynomialExp`.
@inline(__always)
func gaussianTerms(_ x: Float) -> (cumulative: Float, density: Float) {
    let z = abs(x) * 0.70710678
    let t = 1 / (1 + 0.3275911 * z)
    let series = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    let gaussian = polynomialExp(-0.5 * x * x)
    let erfOfZ = 1 - series * gaussian  // erf(|x| / sqrt 2)
    let cumulative = 0.5 + 0.5 * (x < 0 ? -erfOfZ : erfOfZ)
    return (cumulative, 0.39894228 * gaussian)
}

/// e^x for x in [-87, 88] to about 1 ulp (Cephes' expf: x = n ln 2 + r, a degree-6 polynomial
/// in r, 2^n from the exponent bits), in plain arithmetic that vectorises: n is rounded by
/// adding 1.5 x 2^23, which leaves it in the low bits of the sum, and no checked integer
/// conversion stands in the loop's way. Below -87 it returns e^-87 (about 1.6e-38).
@inline(__always)
func polynomialExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87), 88)
    let shifted = clamped * 1.44269504 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693359375 + n * 2.12194440e-4
    let p = ((((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r
        + 1.6666665459e-1) * r + 5.0000001201e-1) * r * r) + r + 1
    return p * Float(bitPattern: (shifted.bitPattern &+ 127) &<< 23)
}

#if canImport(Glibc)
import Basics
import Glibc
@inline(__always) func scalarExp(_ x: Float) -> Float { Glibc.expf(x) }
@inline(__always) func scalarLog(_ x: Float) -> Float { Glibc.logf(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func scalarExp(_ x: Float) -> Float { Darwin.expf(x) }
@inline(__always) func scalarLog(_ x: Float) -> Float { Darwin.logf(x) }
#endif
