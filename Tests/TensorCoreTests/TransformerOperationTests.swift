import Foundation
import Testing
import Basics
import TensorCore

/// The ops of a Vision Transformer: gradients against central differences for every tensor
/// argument, and the fused attention against its composition from primitives.
@Suite struct TransformerOperationTests {
    @Test func layerNormalizationOverTheLastAxis() {
        checkGradients([random([4, 6], seed: 80), positive([6], seed: 81), random([6], seed: 82)],
                       step: 5e-3, absolute: 5e-3) {
            layerNormalized($0[0], scale: $0[1], offset: $0[2], epsilon: 1e-6)
        }
        // Rank 3, and rows wider than the statistics' lanes.
        checkGradients([random([2, 3, 11], seed: 83, scale: 2), positive([11], seed: 84), random([11], seed: 85)],
                       step: 5e-3, absolute: 5e-3) {
            layerNormalized($0[0], scale: $0[1], offset: $0[2])
        }
    }

    /// Each row comes out with mean `offset` and (biased) standard deviation `scale`, as
    /// `F.layer_norm` gives, up to epsilon.
    @Test func layerNormalizationStandardisesEachRow() {
        let x = random([5, 32], seed: 86, scale: 3) + 7
        let y = layerNormalized(x, scale: Tensor(shape: [32], repeating: 2), offset: Tensor(shape: [32], repeating: 0.5))
        let values = y.scalars
        for row in 0..<5 {
            let line = values[(row * 32)..<((row + 1) * 32)]
            let mean = line.reduce(0, +) / 32
            let deviation = (line.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 32).squareRoot()
            #expect(abs(mean - 0.5) < 1e-4 && abs(deviation - 2) < 1e-3, "row \(row): mean \(mean), std \(deviation)")
        }
    }

    @Test func geluInErfForm() {
        checkGradients([random([4, 7], seed: 87, scale: 2)]) { $0[0].gelu() }
        // PyTorch: F.gelu(tensor([-2., -0.5, 0., 1., 3.])).
        let values = Tensor(shape: [5], scalars: [-2, -0.5, 0, 1, 3]).gelu().scalars
        let expected: [Float] = [-0.0455003, -0.1542687, 0, 0.8413447, 2.9959502]
        for (value, reference) in zip(values, expected) { #expect(abs(value - reference) < 1e-6, "\(values)") }
    }

    /// The vectorised erf and exp inside GELU against libm's, value and derivative, from -12
    /// to 12 (the tails included: Phi is 0 or 1 there, and phi underflows to 0).
    @Test func geluMatchesLibmAcrossItsRange() {
        let grid = (0...4800).map { Float($0 - 2400) / 200 }
        let x = Tensor(shape: [grid.count], scalars: grid, requiresGradient: true)
        let y = x.gelu()
        let slope = gradients(of: y.sum(), withRespectTo: [x])[0].scalars
        for (index, value) in grid.enumerated() {
            let cumulative = 0.5 * (1 + erf(Double(value) / 2.0.squareRoot()))
            let density = exp(-0.5 * Double(value) * Double(value)) / (2 * Double.pi).squareRoot()
            let expected = Double(value) * cumulative, expectedSlope = cumulative + Double(value) * density
            #expect(abs(Double(y.scalars[index]) - expected) <= 1e-6 * max(1, abs(expected)), "gelu(\(value))")
            #expect(abs(Double(slope[index]) - expectedSlope) <= 2e-6 * max(1, abs(expectedSlope)), "gelu'(\(value))")
        }
    }

    @Test func scaledSoftmaxOverTheLastAxis() {
        checkGradients([random([2, 3, 5], seed: 88, scale: 2)]) { $0[0].softmax(scale: 0.7) }
        let x = random([3, 6], seed: 89)
        let composed = (x * 0.7).softmaxRows().scalars, fused = x.softmax(scale: 0.7).scalars
        #expect(zip(composed, fused).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func batchedMatrixProductsInEveryTransposition() {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = random(transposeA ? [3, 4, 2] : [3, 2, 4], seed: 90)
                let b = random(transposeB ? [3, 5, 4] : [3, 4, 5], seed: 91)
                checkGradients([a, b]) { batchedMatmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
            }
        }
        // One operand twice: A A^T, both contributions reach it.
        checkGradients([random([2, 3, 4], seed: 92)]) { batchedMatmul($0[0], $0[0], transposeB: true) }
    }

    @Test func rowParallelLinearMatchesLinear() {
        checkGradients([random([5, 4], seed: 93), random([3, 4], seed: 94), random([3], seed: 95)]) {
            rowParallelLinear($0[0], weight: $0[1], bias: $0[2])
        }
        // Many rows (several row blocks): the same values as the one-call product.
        let x = random([300, 24], seed: 96), w = random([40, 24], seed: 97), b = random([40], seed: 98)
        let difference = zip(rowParallelLinear(x, weight: w, bias: b).scalars, linear(x, weight: w, bias: b).scalars)
            .reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(difference < 1e-4)
    }

    /// The weight gradient in one slice of rows cut into blocks of features (1,000 rows) and
    /// in 4 slices of 1,025 (4,100 rows), of a weight used twice (the second product adds to
    /// the first's gradient): the gradients of `linear`, and the same bits on one core as on all.
    @Test(arguments: [1000, 4100]) func rowParallelLinearGradientsOverSlicesOfRows(rows: Int) {
        let x = random([rows, 24], seed: 120), y = random([rows, 24], seed: 121)
        let w = random([40, 24], seed: 122), b = random([40], seed: 123)
        func gradientsOf(_ product: (Tensor, Tensor, Tensor?) -> Tensor) -> [[Float]] {
            let inputs = [x, y, w, b].map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGradient: true) }
            let total = (product(inputs[0], inputs[2], inputs[3]) * product(inputs[1], inputs[2], nil)).sum()
            return gradients(of: total, withRespectTo: inputs).map(\.scalars)
        }
        // One BLAS thread per product, nrcc's rule (threaded OpenBLAS may round differently).
        BLASThreads.exclusively(1) {
            let sliced = gradientsOf { rowParallelLinear($0, weight: $1, bias: $2) }
            let reference = gradientsOf { linear($0, weight: $1, bias: $2) }
            for (ours, theirs) in zip(sliced, reference) {
                let scale = theirs.reduce(Float(0)) { max($0, abs($1)) }
                #expect(zip(ours, theirs).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
            }
            let oneCore = Cores.$limit.withValue(1) { gradientsOf { rowParallelLinear($0, weight: $1, bias: $2) } }
            let sameBits = oneCore == sliced
            #expect(sameBits, "the gradients on one core differ from those on \(processorCount)")
        }
    }

    @Test func permutationsAndTokenOps() {
        checkGradients([random([2, 3, 4], seed: 99)]) { $0[0].permuted([2, 0, 1]) }
        checkGradients([random([2, 2, 4, 6], seed: 100)]) { $0[0].patches(size: 2) }
        checkGradients([random([2 * 3, 4], seed: 101), random([1, 1, 4], seed: 102), random([1, 4, 4], seed: 103)]) {
            tokenSequence(patchEmbeddings: $0[0], classToken: $0[1], positionEmbedding: $0[2])
        }
        checkGradients([random([3 * 4, 5], seed: 104)]) { $0[0].tokenRows(0, tokens: 4) }
    }

    /// Patches are a convolution with kernel and stride p: rows times the flattened weight
    /// give its output, token by token.
    @Test func patchesTimesWeightsAreTheStridedConvolution() {
        let images = random([2, 3, 4, 6], seed: 105), weight = random([5, 3, 2, 2], seed: 106)
        let tokens = matmul(images.patches(size: 2), weight.reshaped([5, 12]), transposeB: true)  // [2 * 6, 5]
        let convolution = conv2d(images, weight: weight, stride: 2, padding: 0)  // [2, 5, 2, 3]
        let expected = convolution.reshaped([2, 5, 6]).permuted([0, 2, 1]).scalars
        #expect(zip(tokens.scalars, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func multiHeadAttentionGradients() {
        checkGradients([random([2 * 3, 3 * 4], seed: 107)], step: 5e-3, absolute: 3e-3) {
            multiHeadAttention($0[0], tokens: 3, heads: 2)
        }
    }

    /// The fused op gives the values and gradients of the attention composed from primitives:
    /// heads split with `permuted`, `batchedMatmul`, `softmax(scale:)`, `batchedMatmul`.
    @Test func multiHeadAttentionMatchesItsComposition() {
        let (samples, tokens, heads, headSize) = (3, 5, 2, 4)
        let width = heads * headSize
        func composed(_ qkv: Tensor) -> Tensor {
            let split = qkv.reshaped([samples, tokens, 3, heads, headSize]).permuted([2, 0, 3, 1, 4])
                .reshaped([3, samples * heads, tokens, headSize])
            let q = split.slice(batch: 0..<1).reshaped([samples * heads, tokens, headSize])
            let k = split.slice(batch: 1..<2).reshaped([samples * heads, tokens, headSize])
            let v = split.slice(batch: 2..<3).reshaped([samples * heads, tokens, headSize])
            let p = batchedMatmul(q, k, transposeB: true).softmax(scale: 1 / Float(headSize).squareRoot())
            return batchedMatmul(p, v).reshaped([samples, heads, tokens, headSize]).permuted([0, 2, 1, 3])
                .reshaped([samples * tokens, width])
        }
        var results: [(output: [Float], gradient: [Float])] = []
        for fused in [true, false] {
            let qkv = random([samples * tokens, 3 * width], seed: 108)
            qkv.requiresGradient = true
            let output = fused ? multiHeadAttention(qkv, tokens: tokens, heads: heads) : composed(qkv)
            let gradient = gradients(of: (output * random(output.shape, seed: 109)).sum(), withRespectTo: [qkv])[0]
            results.append((output.scalars, gradient.scalars))
        }
        let outputDifference = zip(results[0].output, results[1].output).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        let gradientDifference = zip(results[0].gradient, results[1].gradient).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(outputDifference < 1e-5 && gradientDifference < 1e-5, "output \(outputDifference), gradient \(gradientDifference)")
    }
}
