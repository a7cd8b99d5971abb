import Testing
import Basics
import TensorCore

/// bfloat16 rounding against hand-worked bit patterns, and the bf16 convolution: exactly the
/// fp32 convolution of rounded operands, and within bfloat16's precision of the fp32 one.
@Suite struct BFloat16Tests {
    @Test func roundsToNearestEvenAsTheHardwareConverts() {
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even one, 1.
        #expect(bfloat16Rounded(1 + 0x1p-8) == 1)
        // 1 + 3 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
        #expect(bfloat16Rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6)
        #expect(bfloat16Rounded(1 + 0x1p-8 + 0x1p-20) == 1 + 0x1p-7)
        #expect(bfloat16Rounded(-(1 + 0x1p-8 + 0x1p-20)) == -(1 + 0x1p-7))
        #expect(bfloat16Rounded(0.1) == Float(bitPattern: 0x3DCD_0000))
        #expect(bfloat16Rounded(3) == 3)
        // Values with 8 significant bits are bfloat16 numbers already.
        for value: Float in [1, -2, 0.5, 255, 1 + 0x1p-7, 0x1p-126, -0x1p100] {
            #expect(bfloat16Rounded(value) == value)
        }
        #expect(bfloat16Rounded(.greatestFiniteMagnitude) == .infinity)
        #expect(bfloat16Rounded(-.infinity) == -.infinity)
        #expect(bfloat16Rounded(.nan).isNaN)
        #expect(bfloat16Rounded(Float(bitPattern: 0x7F80_0001)).isNaN)  // a signalling NaN stays a NaN
        #expect(bfloat16Rounded(Float.leastNonzeroMagnitude) == 0)
        #expect(bfloat16Rounded(-Float.leastNormalMagnitude / 2).sign == .minus)
        #expect(bfloat16Rounded(-Float.leastNormalMagnitude / 2) == 0)
    }

    @Test func roundingKeepsTheUpperHalfAndErrsByAtMostHalfAUnit() {
        var generator = SeededGenerator(seed: 70)
        for _ in 0..<10_000 {
            let value = Float.random(in: -1000...1000, using: &generator)
            let rounded = bfloat16Rounded(value)
            #expect(rounded.bitPattern & 0xFFFF == 0)
            #expect(abs(rounded - value) <= value.magnitude * 0x1p-8)
        }
    }

    /// The geometries of each algorithm: im2col (5 filters), shifted products (large planes),
    /// the direct kernels with a direct and an im2col input gradient, strides 1 and 2.
    static let geometries: [(shape: [Int], filters: Int, kernel: Int, stride: Int, padding: Int)] = [
        ([3, 4, 11, 9], 5, 3, 1, 1), ([3, 4, 11, 9], 5, 3, 2, 1), ([2, 3, 24, 20], 4, 3, 1, 1),
        ([3, 16, 11, 12], 16, 3, 1, 1), ([3, 16, 11, 12], 32, 3, 2, 1), ([3, 32, 5, 6], 32, 1, 1, 0),
        ([3, 3, 10, 11], 16, 3, 1, 1),
    ]

    /// Forward and both gradients of a bf16 convolution, and of the fp32 one on operands
    /// rounded beforehand (the output gradient too).
    func bothWays(_ c: (shape: [Int], filters: Int, kernel: Int, stride: Int, padding: Int))
        -> (bf16: [[Float]], roundedFirst: [[Float]], fp32: [[Float]]) {
        let x = random(c.shape, seed: 71), w = random([c.filters, c.shape[1], c.kernel, c.kernel], seed: 72)
        func rounded(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, scalars: t.scalars.map(bfloat16Rounded)) }
        func run(_ x: Tensor, _ w: Tensor, _ precision: ArithmeticPrecision, roundGradient: Bool) -> [[Float]] {
            let x = x.detached(), w = w.detached()
            x.requiresGradient = true
            w.requiresGradient = true
            let y = conv2d(x, weight: w, stride: c.stride, padding: c.padding, precision: precision)
            let dy = random(y.shape, seed: 73)
            let g = roundGradient ? rounded(dy) : dy
            let grads = gradients(of: (y * g).sum(), withRespectTo: [x, w])
            return [y.scalars, grads[0].scalars, grads[1].scalars]
        }
        return (run(x, w, .bf16, roundGradient: false), run(rounded(x), rounded(w), .fp32, roundGradient: true),
                run(x, w, .fp32, roundGradient: false))
    }

    @Test(arguments: geometries)
    func isTheFP32ConvolutionOfRoundedOperands(_ c: (shape: [Int], filters: Int, kernel: Int, stride: Int, padding: Int)) {
        let (bf16, roundedFirst, _) = bothWays(c)
        for (a, b) in zip(bf16, roundedFirst) { #expect(a == b) }
    }

    /// Within bfloat16's precision of fp32: each operand errs by at most 2^-9 relative, so
    /// a sum of products by about 2^-8 of the sum of their magnitudes.
    @Test(arguments: geometries)
    func staysWithinBFloat16PrecisionOfFP32(_ c: (shape: [Int], filters: Int, kernel: Int, stride: Int, padding: Int)) {
        let (bf16, _, fp32) = bothWays(c)
        for (a, b) in zip(bf16, fp32) {
            let scale = b.reduce(Float(0)) { max($0, abs($1)) }
            let largest = zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            #expect(largest <= 1e-2 * scale)
            #expect(largest > 0)  // the rounding happened
        }
    }
}
