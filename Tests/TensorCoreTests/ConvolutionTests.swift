import Testing
import Basics
import TensorCore

/// The convolution algorithms (im2col + GEMM, shifted products, the direct kernels) against
/// the textbook seven-loop convolution.
@Suite struct ConvolutionTests {
    func direct(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int) -> [Float] {
        let (n, c, h, wi) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * padding - kh) / stride + 1, ow = (wi + 2 * padding - kw) / stride + 1
        let xs = x.scalars, ws = w.scalars
        var out = [Float](repeating: 0, count: n * f * oh * ow)
        for s in 0..<n { for o in 0..<f { for y in 0..<oh { for z in 0..<ow {
            var total: Float = 0
            for ch in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let iy = y * stride - padding + i, ix = z * stride - padding + j
                if iy < 0 || iy >= h || ix < 0 || ix >= wi { continue }
                total += xs[((s * c + ch) * h + iy) * wi + ix] * ws[((o * c + ch) * kh + i) * kw + j]
            } } }
            out[((s * f + o) * oh + y) * ow + z] = total
        } } } }
        return out
    }

    @Test(arguments: [(1, 1, 3), (2, 1, 3), (2, 0, 1), (1, 0, 2), (3, 2, 5), (2, 3, 7), (1, 2, 5), (1, 0, 1), (1, 4, 3)])
    func matchesDirectConvolution(stride: Int, padding: Int, kernel: Int) {
        let x = random([3, 4, 11, 9], seed: 50)
        let w = random([5, 4, kernel, kernel], seed: 51)
        let y = conv2d(x, weight: w, stride: stride, padding: padding)
        let expected = direct(x, w, stride: stride, padding: padding)
        #expect(y.shape == [3, 5, (11 + 2 * padding - kernel) / stride + 1, (9 + 2 * padding - kernel) / stride + 1])
        let difference = zip(y.scalars, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(difference < 1e-4)
    }

    /// The textbook adjoint of `direct`: input and weight gradients for output gradient `dy`.
    func directAdjoint(_ x: Tensor, _ w: Tensor, _ dy: [Float], stride: Int, padding: Int) -> (input: [Float], weight: [Float]) {
        let (n, c, h, wi) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * padding - kh) / stride + 1, ow = (wi + 2 * padding - kw) / stride + 1
        let xs = x.scalars, ws = w.scalars
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        for s in 0..<n { for o in 0..<f { for y in 0..<oh { for z in 0..<ow {
            let g = dy[((s * f + o) * oh + y) * ow + z]
            for ch in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let iy = y * stride - padding + i, ix = z * stride - padding + j
                if iy < 0 || iy >= h || ix < 0 || ix >= wi { continue }
                dx[((s * c + ch) * h + iy) * wi + ix] += g * ws[((o * c + ch) * kh + i) * kw + j]
                dw[((o * c + ch) * kh + i) * kw + j] += g * xs[((s * c + ch) * h + iy) * wi + ix]
            } } }
        } } } }
        return (dx, dw)
    }

    /// Input and weight gradients against the direct adjoint on odd, non-square sizes, for
    /// the same-width path (stride 1, output as wide as the input) and the general one; the
    /// input feeds two convolutions, so its gradient is written fresh by one and added to by
    /// the other.
    @Test(arguments: [(1, 1, 3), (2, 1, 3), (1, 0, 3), (2, 0, 3), (1, 0, 1), (2, 0, 1), (1, 1, 1), (1, 2, 5)])
    func gradientsMatchTheDirectAdjoint(stride: Int, padding: Int, kernel: Int) {
        let x = random([3, 4, 9, 7], seed: 54)
        let w1 = random([5, 4, kernel, kernel], seed: 55), w2 = random([5, 4, kernel, kernel], seed: 56)
        for tensor in [x, w1, w2] { tensor.requiresGradient = true }
        let y1 = conv2d(x, weight: w1, stride: stride, padding: padding)
        let y2 = conv2d(x, weight: w2, stride: stride, padding: padding)
        let dy1 = random(y1.shape, seed: 57), dy2 = random(y2.shape, seed: 58)
        let loss = (y1 * dy1).sum() + (y2 * dy2).sum()
        let computed = gradients(of: loss, withRespectTo: [x, w1, w2])
        let first = directAdjoint(x, w1, dy1.scalars, stride: stride, padding: padding)
        let second = directAdjoint(x, w2, dy2.scalars, stride: stride, padding: padding)
        func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
            zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
        }
        let expectedInput = zip(first.input, second.input).map { $0 + $1 }
        #expect(largestDifference(computed[0].scalars, expectedInput) < 1e-4)
        #expect(largestDifference(computed[1].scalars, first.weight) < 1e-3)
        #expect(largestDifference(computed[2].scalars, second.weight) < 1e-3)
    }

    /// The shifted products (stride 1, size-keeping padding, large planes) against the
    /// direct convolution and its adjoint, for 3x3 and 5x5 kernels, batches of one and of
    /// more samples than a chunk holds, with the input's gradient written fresh by one
    /// convolution and added to by the other.
    @Test(arguments: [(3, 1, 24, 20), (5, 2, 48, 44), (3, 3, 34, 30)])
    func shiftedProductsMatchTheDirectConvolution(kernel: Int, batch: Int, height: Int, width: Int) {
        let padding = kernel / 2
        let x = random([batch, 3, height, width], seed: 60)
        let w1 = random([4, 3, kernel, kernel], seed: 61), w2 = random([4, 3, kernel, kernel], seed: 62)
        let geometry = ConvolutionGeometry(batch: batch, channels: 3, height: height, width: width, filters: 4,
                                           kernelHeight: kernel, kernelWidth: kernel, stride: 1, padding: padding)
        #expect(geometry.usesShiftedProducts)
        for tensor in [x, w1, w2] { tensor.requiresGradient = true }
        let y1 = conv2d(x, weight: w1, stride: 1, padding: padding)
        let y2 = conv2d(x, weight: w2, stride: 1, padding: padding)
        let expected = direct(x, w1, stride: 1, padding: padding)
        #expect(zip(y1.scalars, expected).allSatisfy { abs($0 - $1) < 1e-4 })
        let dy1 = random(y1.shape, seed: 63), dy2 = random(y2.shape, seed: 64)
        let loss = (y1 * dy1).sum() + (y2 * dy2).sum()
        let computed = gradients(of: loss, withRespectTo: [x, w1, w2])
        let first = directAdjoint(x, w1, dy1.scalars, stride: 1, padding: padding)
        let second = directAdjoint(x, w2, dy2.scalars, stride: 1, padding: padding)
        let expectedInput = zip(first.input, second.input).map { $0 + $1 }
        #expect(zip(computed[0].scalars, expectedInput).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(computed[1].scalars, first.weight).allSatisfy { abs($0 - $1) < 1e-3 })
        #expect(zip(computed[2].scalars, second.weight).allSatisfy { abs($0 - $1) < 1e-3 })
    }

    /// The direct kernels (filters in multiples of 16) against the textbook convolution and
    /// its adjoint: strides 1 and 2, 3x3 and 1x1 kernels, paddings 0 to 2, rows that end in a
    /// partial block of positions, each number of filter vectors per block (1, 2, 4), and an
    /// input gradient both by the direct kernel (channels in multiples of 16; with stride 2,
    /// odd and even sizes, and a 1x1 kernel that leaves some positions without a tap) and by
    /// im2col, and batches that end in a partial group of samples (small planes are convolved
    /// several samples at a time). The input feeds two convolutions, so its gradient is
    /// written fresh by one and added to by the other.
    @Test(arguments: [
        (stride: 1, padding: 1, kernel: 3, channels: 16, filters: 16, size: 11, directInput: true, batch: 3),
        (stride: 1, padding: 1, kernel: 3, channels: 32, filters: 64, size: 4, directInput: true, batch: 3),
        (stride: 1, padding: 2, kernel: 3, channels: 16, filters: 48, size: 6, directInput: true, batch: 3),
        (stride: 1, padding: 0, kernel: 1, channels: 32, filters: 32, size: 5, directInput: true, batch: 3),
        (stride: 2, padding: 1, kernel: 3, channels: 16, filters: 32, size: 11, directInput: true, batch: 3),
        (stride: 2, padding: 1, kernel: 3, channels: 32, filters: 16, size: 8, directInput: true, batch: 3),
        (stride: 2, padding: 0, kernel: 1, channels: 16, filters: 16, size: 9, directInput: true, batch: 3),
        (stride: 2, padding: 0, kernel: 1, channels: 8, filters: 32, size: 9, directInput: false, batch: 3),
        (stride: 1, padding: 1, kernel: 3, channels: 3, filters: 16, size: 10, directInput: false, batch: 3),
        (stride: 1, padding: 1, kernel: 3, channels: 32, filters: 32, size: 4, directInput: true, batch: 19),
        (stride: 2, padding: 1, kernel: 3, channels: 16, filters: 32, size: 7, directInput: true, batch: 13),
    ])
    func directKernelsMatchTheTextbookConvolution(
        _ c: (stride: Int, padding: Int, kernel: Int, channels: Int, filters: Int, size: Int, directInput: Bool,
              batch: Int)
    ) {
        let x = random([c.batch, c.channels, c.size, c.size + 1], seed: 65)
        let w1 = random([c.filters, c.channels, c.kernel, c.kernel], seed: 66)
        let w2 = random([c.filters, c.channels, c.kernel, c.kernel], seed: 67)
        let geometry = ConvolutionGeometry(batch: c.batch, channels: c.channels, height: c.size, width: c.size + 1,
                                           filters: c.filters, kernelHeight: c.kernel, kernelWidth: c.kernel,
                                           stride: c.stride, padding: c.padding)
        #expect(geometry.usesDirectKernels)
        #expect(geometry.usesDirectInputGradient == c.directInput)
        for tensor in [x, w1, w2] { tensor.requiresGradient = true }
        let y1 = conv2d(x, weight: w1, stride: c.stride, padding: c.padding)
        let y2 = conv2d(x, weight: w2, stride: c.stride, padding: c.padding)
        let expected = direct(x, w1, stride: c.stride, padding: c.padding)
        #expect(y1.count == expected.count)
        #expect(zip(y1.scalars, expected).allSatisfy { abs($0 - $1) < 1e-4 })
        let dy1 = random(y1.shape, seed: 68), dy2 = random(y2.shape, seed: 69)
        let loss = (y1 * dy1).sum() + (y2 * dy2).sum()
        let computed = gradients(of: loss, withRespectTo: [x, w1, w2])
        let first = directAdjoint(x, w1, dy1.scalars, stride: c.stride, padding: c.padding)
        let second = directAdjoint(x, w2, dy2.scalars, stride: c.stride, padding: c.padding)
        let expectedInput = zip(first.input, second.input).map { $0 + $1 }
        #expect(zip(computed[0].scalars, expectedInput).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(computed[1].scalars, first.weight).allSatisfy { abs($0 - $1) < 1e-3 })
        #expect(zip(computed[2].scalars, second.weight).allSatisfy { abs($0 - $1) < 1e-3 })
    }

    /// The per-filter sums the direct kernels take as they write their output are the output's
    /// own in Double, about each filter's first value (as batch normalisation shifts), though
    /// its mean lies far from zero: geometries with 1, 2 and 4 vectors of filters per block,
    /// strides 1 and 2, partial blocks of positions, a batch that ends in a partial group. Where
    /// the algorithm takes none (im2col), nil.
    @Test(arguments: [
        (stride: 1, padding: 1, kernel: 3, channels: 3, filters: 16, size: 11, batch: 5),
        (stride: 1, padding: 1, kernel: 3, channels: 16, filters: 64, size: 4, batch: 13),
        (stride: 2, padding: 1, kernel: 3, channels: 16, filters: 32, size: 9, batch: 3),
        (stride: 2, padding: 0, kernel: 1, channels: 16, filters: 48, size: 8, batch: 4),
    ])
    func directKernelsTakeTheirOutputsMoments(
        _ c: (stride: Int, padding: Int, kernel: Int, channels: Int, filters: Int, size: Int, batch: Int)
    ) throws {
        let x = random([c.batch, c.channels, c.size, c.size + 1], seed: 70, scale: 0.1) + 3
        let w = random([c.filters, c.channels, c.kernel, c.kernel], seed: 71)
        let (y, moments) = conv2dWithMoments(x, weight: w, stride: c.stride, padding: c.padding, takingMoments: true)
        #expect(y.scalars == conv2d(x, weight: w, stride: c.stride, padding: c.padding).scalars)
        let sums = try #require(moments).sums, shifts = try #require(moments).shifts
        let area = y.shape[2] * y.shape[3], values = y.scalars
        #expect(shifts == (0..<c.filters).map { values[$0 * area] })
        for filter in 0..<c.filters {
            var total = 0.0, squares = 0.0
            for sample in 0..<c.batch {
                for index in 0..<area {
                    let d = Double(values[(sample * c.filters + filter) * area + index]) - Double(shifts[filter])
                    total += d
                    squares += d * d
                }
            }
            #expect(abs(sums[filter] - total) <= 1e-5 * max(1, squares.squareRoot()))
            #expect(abs(sums[c.filters + filter] - squares) <= 1e-5 * squares)
            // The variance, which these sums exist for, to Float's precision of the spread.
            let count = Double(c.batch * area)
            let variance = squares / count - (total / count) * (total / count)
            let handed = sums[c.filters + filter] / count - (sums[filter] / count) * (sums[filter] / count)
            #expect(abs(handed - variance) <= 1e-4 * variance)
        }
        let unfolded = conv2dWithMoments(random([2, 3, 3, 3], seed: 72), weight: random([16, 3, 3, 3], seed: 73),
                                         padding: 1, takingMoments: true)
        #expect(unfolded.moments == nil)
    }

    /// Batch normalisation given a convolution's moments gives what it computes itself, in
    /// values, gradients and running statistics, with and without the residual and ReLU.
    @Test(arguments: [false, true])
    func batchNormalisationTakesTheConvolutionsMoments(residualAndReLU: Bool) {
        let x = random([6, 16, 7, 7], seed: 74), w = random([32, 16, 3, 3], seed: 75)
        let residual = residualAndReLU ? random([6, 32, 7, 7], seed: 76) : nil
        let weights = random([6, 32, 7, 7], seed: 77)
        func run(handingOver: Bool) -> (values: [Float], gradients: [[Float]], running: [Float]) {
            let input = x.detached(), weight = w.detached()
            let scale = Tensor(shape: [32], scalars: (0..<32).map { 1 + Float($0) / 64 }, requiresGradient: true)
            let offset = Tensor(shape: [32], scalars: (0..<32).map { Float($0) / 32 - 0.5 }, requiresGradient: true)
            let runningMean = Tensor.zeros([32]), runningVariance = Tensor(shape: [32], repeating: 1)
            for tensor in [input, weight] { tensor.requiresGradient = true }
            let (convolved, moments) = conv2dWithMoments(input, weight: weight, padding: 1, takingMoments: handingOver)
            #expect((moments != nil) == handingOver)
            let y = batchNormalized(convolved, scale: scale, offset: offset, runningMean: runningMean,
                                    runningVariance: runningVariance, mode: .training, adding: residual,
                                    relu: residualAndReLU, moments: moments)
            let gradients = TensorCore.gradients(of: (y * weights).sum(), withRespectTo: [input, weight, scale, offset])
            return (y.scalars, gradients.map(\.scalars), runningMean.scalars + runningVariance.scalars)
        }
        let own = run(handingOver: false), handed = run(handingOver: true)
        func close(_ a: [Float], _ b: [Float], _ tolerance: Float) -> Bool {
            let scale = a.reduce(Float(1)) { max($0, abs($1)) }
            return a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * scale }
        }
        #expect(close(own.values, handed.values, 1e-5))
        #expect(close(own.running, handed.running, 1e-5))
        for (a, b) in zip(own.gradients, handed.gradients) { #expect(close(a, b, 1e-4)) }
    }

    /// Planes below 4x4 stay with im2col + GEMM, where one product serves many samples.
    @Test func smallPlanesStayWithTheUnfoldedProduct() {
        func geometry(size: Int) -> ConvolutionGeometry {
            ConvolutionGeometry(batch: 64, channels: 128, height: size, width: size, filters: 128,
                                kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        }
        #expect(geometry(size: 4).usesDirectKernels)
        #expect(!geometry(size: 2).usesDirectKernels)
        #expect(!geometry(size: 1).usesDirectKernels)
    }

    /// A batch larger than one chunk of the unfolded matrix gives the same result and
    /// gradients as its samples one by one (chunking and workspace reuse are invisible),
    /// with multi-threaded BLAS (chunks in sequence) and with single-threaded BLAS (the
    /// batch cut into shards), for each algorithm (4 filters: shifted products at 28x28,
    /// im2col at 14x14; 16 filters: the direct kernels). Both strategies are exact, so other
    /// tests running while the thread count is changed are unaffected.
    @Test(arguments: [(1, 28, 4), (2, 28, 4), (1, 14, 4), (2, 14, 4), (1, 28, 16), (2, 14, 16)])
    func chunkedBatchEqualsSamplesOneByOne(blasThreads: Int, size: Int, filters: Int) {
        BLASThreads.exclusively(blasThreads) { checkChunkedBatch(size: size, filters: filters) }
    }

    private func checkChunkedBatch(size: Int, filters: Int) {
        let x = random([40, 3, size, size], seed: 52)
        let w = random([filters, 3, 3, 3], seed: 53)
        x.requiresGradient = true
        w.requiresGradient = true
        let workspace = ConvolutionWorkspace()
        let y = conv2d(x, weight: w, stride: 1, padding: 1, workspace: workspace)
        y.squared().sum().backward()
        var weightGradient = [Float](repeating: 0, count: w.count)
        for sample in [0, 17, 39] {
            let single = x.slice(batch: sample..<(sample + 1)).detached()
            single.requiresGradient = true
            let ys = conv2d(single, weight: w.detached(), stride: 1, padding: 1)
            let perSample = y.slice(batch: sample..<(sample + 1)).detached()
            #expect(zip(ys.scalars, perSample.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
            ys.squared().sum().backward()
            // Relative to the gradient's size: BLAS may round a one-sample product differently.
            let rows = x.gradient!.slice(batch: sample..<(sample + 1)).scalars
            let rowScale = rows.reduce(Float(1)) { max($0, abs($1)) }
            #expect(zip(single.gradient!.scalars, rows).allSatisfy { abs($0 - $1) < 1e-5 * rowScale })
        }
        for sample in 0..<40 {
            let single = x.slice(batch: sample..<(sample + 1)).detached()
            let weight = w.detached()
            weight.requiresGradient = true
            conv2d(single, weight: weight, stride: 1, padding: 1).squared().sum().backward()
            for (index, value) in weight.gradient!.scalars.enumerated() { weightGradient[index] += value }
        }
        let scale = weightGradient.reduce(Float(0)) { max($0, abs($1)) }
        #expect(zip(w.gradient!.scalars, weightGradient).allSatisfy { abs($0 - $1) < 1e-4 * scale })
    }
}
