import Testing
import Basics
import CKernels
import TensorCore

/// bfloat16 rounding against hand-worked bit patterns, and the bf16 convolution: exactly the
/// fp32 convolution of rounded operands, and within bfloat16's precision of the fp32 one; its
/// kernels on bfloat16 pairs (AVX512_BF16's VDPBF16PS, emulated exactly where the CPU lacks it)
/// against the rounded operands' convolution, and the instruction against its emulation.
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

    typealias Geometry = (shape: [Int], filters: Int, kernel: Int, stride: Int, padding: Int)

    /// Forward, both gradients and (where the direct kernels take them) the output's moments,
    /// with `precision` and `kernel`.
    static func run(_ c: Geometry, _ x: Tensor, _ w: Tensor, _ precision: ArithmeticPrecision,
                    kernel: BFloat16Kernel = .roundedOperands, roundGradient: Bool = false) -> [[Float]] {
        let x = x.detached(), w = w.detached()
        x.requiresGradient = true
        w.requiresGradient = true
        let (y, moments) = conv2dWithMoments(x, weight: w, stride: c.stride, padding: c.padding, precision: precision,
                                             takingMoments: true, bfloat16Kernel: kernel)
        let dy = random(y.shape, seed: 73)
        let g = roundGradient ? rounded(dy) : dy
        let grads = gradients(of: (y * g).sum(), withRespectTo: [x, w])
        let sums = moments.map { m in m.shifts + m.sums.map(Float.init) } ?? []
        return [y.scalars, grads[0].scalars, grads[1].scalars, sums]
    }

    static func rounded(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, scalars: t.scalars.map(bfloat16Rounded)) }

    static func operands(_ c: Geometry) -> (x: Tensor, w: Tensor) {
        (random(c.shape, seed: 71), random([c.filters, c.shape[1], c.kernel, c.kernel], seed: 72))
    }

    /// Forward and both gradients of a bf16 convolution on rounded copies, and of the fp32 one
    /// on operands rounded beforehand (the output gradient too), and on the operands as they are.
    func bothWays(_ c: Geometry) -> (bf16: [[Float]], roundedFirst: [[Float]], fp32: [[Float]]) {
        let (x, w) = Self.operands(c)
        return (Self.run(c, x, w, .bf16),
                Self.run(c, Self.rounded(x), Self.rounded(w), .fp32, roundGradient: true),
                Self.run(c, x, w, .fp32))
    }

    @Test(arguments: geometries)
    func isTheFP32ConvolutionOfRoundedOperands(_ c: Geometry) {
        let (bf16, roundedFirst, _) = bothWays(c)
        for (a, b) in zip(bf16, roundedFirst) { #expect(a == b) }
    }

    /// Within bfloat16's precision of fp32: each operand errs by at most 2^-9 relative, so
    /// a sum of products by about 2^-8 of the sum of their magnitudes.
    @Test(arguments: geometries)
    func staysWithinBFloat16PrecisionOfFP32(_ c: Geometry) {
        let (bf16, _, fp32) = bothWays(c)
        for (a, b) in zip(bf16.prefix(3), fp32.prefix(3)) {
            let scale = b.reduce(Float(0)) { max($0, abs($1)) }
            let largest = zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            #expect(largest <= 1e-2 * scale)
            #expect(largest > 0)  // the rounding happened
        }
    }

    // MARK: Pairs of channels

    /// The direct kernels' geometries (filters in 16s, outputs of 16 positions and more): odd and
    /// even channel counts (the last pair half empty), strides 1 and 2, 1x1 kernels, and 64
    /// channels on 8x8 planes, whose weights the kernels take in chunks of channels.
    static let directGeometries: [Geometry] = [
        ([3, 16, 11, 12], 16, 3, 1, 1), ([3, 16, 11, 12], 32, 3, 2, 1), ([3, 32, 5, 6], 32, 1, 1, 0),
        ([3, 3, 10, 11], 16, 3, 1, 1), ([2, 64, 8, 8], 64, 3, 1, 1), ([2, 64, 9, 8], 64, 3, 2, 1),
        ([2, 32, 8, 8], 64, 1, 2, 0),
    ]

    /// The pairs' kernels give the products of the rounded operands, as the rounded copies do,
    /// summed in another order: every output, gradient and moment within a few fp32 roundings
    /// of a sum of the products' magnitudes.
    @Test(arguments: directGeometries)
    func pairProductsAreTheRoundedOperandsProducts(_ c: Geometry) {
        let (x, w) = Self.operands(c)
        let pairs = Self.run(c, x, w, .bf16, kernel: .emulatedPairs)
        let roundedFirst = Self.run(c, x, w, .bf16, kernel: .roundedOperands)
        let fp32 = Self.run(c, x, w, .fp32)
        #expect(pairs[3].count == 3 * c.filters)  // the kernels took the moments
        for (part, (a, b)) in zip(pairs, roundedFirst).enumerated() {
            #expect(a.count == b.count)
            let scale = b.reduce(Float(1)) { max($0, abs($1)) }
            let largest = zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            #expect(largest <= 2e-5 * scale, "part \(part): \(largest) against \(scale)")
        }
        // And they did round: the fp32 convolution differs by bfloat16's precision.
        let forward = zip(pairs[0], fp32[0]).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(forward > 1e-4 && forward <= 1e-2 * fp32[0].reduce(Float(0)) { max($0, abs($1)) })
    }

    /// The kernels round their operands as `bfloat16Rounded` does, bit for bit: a 1x1
    /// convolution of one channel by weights of 1 gives each input rounded, and of inputs of 1
    /// each weight rounded (ties, subnormals, infinities, NaN and values past the largest
    /// bfloat16 among them).
    @Test(arguments: [BFloat16Kernel.emulatedPairs, .hardwarePairs])
    func pairKernelsRoundAsTheRoundingDoes(_ kernel: BFloat16Kernel) {
        var generator = SeededGenerator(seed: 76)
        let edges: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, -(1 + 0x1p-8 + 0x1p-20), 0.1, .greatestFiniteMagnitude,
                              -.infinity, .infinity, .leastNonzeroMagnitude, -.leastNormalMagnitude / 2,
                              .leastNormalMagnitude, 0, -0.0, .nan]
        let values = edges + (0..<(64 * 16 - edges.count)).map { _ in Float.random(in: -1e4...1e4, using: &generator) }
        func expectRounded(_ output: [Float], _ inputs: [Float]) {
            // Equal values (a sum that starts at +0 makes -0 a +0), and NaN for NaN.
            for (a, b) in zip(output, inputs.map(bfloat16Rounded)) { #expect(a == b || (a.isNaN && b.isNaN), "\(a) against \(b)") }
        }
        let c: Geometry = ([16, 1, 8, 8], 16, 1, 1, 0)
        // Inputs by weights of 1: every filter's plane is the sample's inputs rounded.
        let byOnes = conv2dWithMoments(Tensor(shape: c.shape, scalars: values), weight: Tensor(shape: [16, 1, 1, 1], scalars: [Float](repeating: 1, count: 16)),
                                       precision: .bf16, takingMoments: false, bfloat16Kernel: kernel).output.scalars
        for sample in 0..<16 {
            let inputs = Array(values[(64 * sample)..<(64 * sample + 64)])
            for filter in 0..<16 { expectRounded(Array(byOnes[(1024 * sample + 64 * filter)...].prefix(64)), inputs) }
        }
        // Weights by inputs of 1: each filter's plane is its weight rounded.
        for first in stride(from: 0, to: values.count, by: 16) {
            let weights = Array(values[first..<(first + 16)])
            let output = conv2dWithMoments(Tensor(shape: [1, 1, 4, 4], scalars: [Float](repeating: 1, count: 16)), weight: Tensor(shape: [16, 1, 1, 1], scalars: weights),
                                           precision: .bf16, takingMoments: false, bfloat16Kernel: kernel).output.scalars
            for filter in 0..<16 { expectRounded(Array(output[(16 * filter)...].prefix(16)), Array(repeating: weights[filter], count: 16)) }
        }
    }

    /// Where the CPU has AVX512_BF16, its kernels give the emulation's bits exactly: the same
    /// blocks, the same order of sums, the same instruction.
    @Test(.enabled(if: BFloat16Kernel.fastest == .hardwarePairs, "needs a CPU with AVX512_BF16"),
          arguments: directGeometries)
    func hardwarePairsAreTheEmulatedPairs(_ c: Geometry) {
        let (x, w) = Self.operands(c)
        #expect(Self.run(c, x, w, .bf16, kernel: .hardwarePairs) == Self.run(c, x, w, .bf16, kernel: .emulatedPairs))
    }

    /// VDPBF16PS as Intel's manual writes it, one lane at a time: sum += high(a) high(b) as a
    /// fused multiply-add, flushed to zero if subnormal, then the same for the low halves;
    /// subnormal inputs (the bfloat16 halves and the sum) read as zero.
    static func pairProducts(_ sum: Float, _ a: UInt32, _ b: UInt32) -> Float {
        func value(_ half: UInt32) -> Float {
            let bits = half << 16
            return Float(bitPattern: bits & 0x7F80_0000 == 0 ? bits & 0x8000_0000 : bits)
        }
        func flushed(_ x: Float) -> Float { x.isSubnormal ? Float(sign: x.sign, exponent: 0, significand: 0) : x }
        let high = flushed(flushed(sum).addingProduct(value(a >> 16), value(b >> 16)))
        return flushed(high.addingProduct(value(a & 0xFFFF), value(b & 0xFFFF)))
    }

    @Test func emulatedPairProductsFollowTheManual() {
        var generator = SeededGenerator(seed: 74)
        // Ordinary values, and halves chosen to land on the edges: zeros, subnormals, the
        // smallest normals, infinities; sums that cancel to subnormals.
        let edges: [UInt32] = [0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x8080, 0x3F80, 0xBF80, 0x7F80, 0x7F7F]
        for round in 0..<400 {
            var sums = [Float](repeating: 0, count: 16), a = [UInt32](repeating: 0, count: 16), b = a
            for lane in 0..<16 {
                func half() -> UInt32 {
                    round % 4 == 0 ? edges.randomElement(using: &generator)!
                        : UInt32(bfloat16Rounded(Float.random(in: -4...4, using: &generator)).bitPattern >> 16)
                }
                a[lane] = half() << 16 | half()
                b[lane] = half() << 16 | half()
                sums[lane] = round % 8 == 1 ? 0x1p-126 * Float.random(in: -2...2, using: &generator)
                    : Float.random(in: -8...8, using: &generator)
            }
            let expected = (0..<16).map { Self.pairProducts(sums[$0], a[$0], b[$0]) }
            nrcc_bfloat16_pair_products(&sums, a, b, 1)
            for lane in 0..<16 {
                #expect(sums[lane].bitPattern == expected[lane].bitPattern || (sums[lane].isNaN && expected[lane].isNaN),
                        "lane \(lane): \(sums[lane]) against \(expected[lane])")
            }
        }
    }

    @Test(.enabled(if: BFloat16Kernel.fastest == .hardwarePairs, "needs a CPU with AVX512_BF16"))
    func theInstructionIsItsEmulation() {
        var generator = SeededGenerator(seed: 75)
        for _ in 0..<2_000 {
            let a = (0..<16).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }
            let b = (0..<16).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }
            var emulated = (0..<16).map { _ in Float.random(in: -100...100, using: &generator) }
            var hardware = emulated
            nrcc_bfloat16_pair_products(&emulated, a, b, 1)
            nrcc_bfloat16_pair_products(&hardware, a, b, 2)
            for (e, h) in zip(emulated, hardware) { #expect(e.bitPattern == h.bitPattern || (e.isNaN && h.isNaN)) }
        }
    }
}
