import Basics
import ContrastiveLearning
import Testing
import TensorCore

/// The regularizer's monitors: its terms add up to R, and the gradient sizes and distances are
/// what autodiff and the definitions give.
@Suite struct RegularizerTermsTests {
    let n = 12, d = 8

    func unitRows(seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var values = (0..<(n * d)).map { _ in generator.nextGaussian() }
        for row in 0..<n {
            let norm = (0..<d).reduce(Float(0)) { $0 + values[row * d + $1] * values[row * d + $1] }.squareRoot()
            for k in 0..<d { values[row * d + k] /= norm }
        }
        return values
    }

    @Test(arguments: [RegularizerSettings.Preset.paper, .reference])
    func termsAddUpToRAndMatchAutodiffAndTheirDefinitions(preset: RegularizerSettings.Preset) throws {
        let settings = RegularizerSettings(preset: preset)
        let (u, w, other) = (unitRows(seed: 1), unitRows(seed: 2), unitRows(seed: 3))
        let anchor = Tensor(shape: [n, d], scalars: u)
        let contrast = Tensor(shape: [n, d], scalars: w), others = Tensor(shape: [n, d], scalars: other)
        let r = nrccRegularizer(anchors: [anchor], contrast: contrast, otherViews: [others], settings: settings).scalar
        let terms = regularizerTerms(anchors: [anchor], contrast: contrast, otherViews: [others], settings: settings)
        #expect(abs(terms.negativeTerm - terms.positiveTerm - Double(r)) < 1e-4)

        // The gradient of sum_i LSE_j(<u_i, w_j> / tau) with respect to unit rows u: its rows' mean norm.
        let leaf = Tensor(shape: [n, d], scalars: u, requiresGradient: true)
        (matmul(leaf, contrast, transposeB: true) * (1 / settings.temperature)).logSumExp().sum().backward()
        let gradient = try #require(leaf.gradient).scalars
        let meanNorm = (0..<n).reduce(0.0) { total, row in
            total + Double((0..<d).reduce(Float(0)) { $0 + gradient[row * d + $1] * gradient[row * d + $1] }.squareRoot())
        } / Double(n)
        #expect(abs(terms.negativeGradient - meanNorm) < 1e-4 * max(1, meanNorm))

        // Distances of negative pairs j != i, by hand.
        var distances: [Double] = []
        for i in 0..<n {
            for j in 0..<n where j != i {
                distances.append(Double((0..<d).reduce(Float(0)) { $0 + (u[i * d + $1] - w[j * d + $1]) * (u[i * d + $1] - w[j * d + $1]) }.squareRoot()))
            }
        }
        let mean = distances.reduce(0, +) / Double(distances.count)
        let std = (distances.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(distances.count)).squareRoot()
        #expect(abs(terms.sghmcDistanceMean - mean) < 1e-4)
        #expect(abs(terms.sghmcDistanceStd - std) < 1e-3)
        let own = (0..<n).reduce(0.0) { total, i in
            total + Double((0..<d).reduce(Float(0)) { $0 + (u[i * d + $1] - w[i * d + $1]) * (u[i * d + $1] - w[i * d + $1]) }.squareRoot())
        } / Double(n)
        #expect(abs(terms.sghmcSeedDistance - own) < 1e-4)
        if preset == .reference { #expect(terms.positiveTerm == 0 && terms.positiveGradient == 0) }
    }
}
