import ContrastiveLearning
import Testing
import Basics
import TensorCore

/// BYOL, NT-Xent and the NRCC regularizer against PyTorch (Fixtures/make_fixtures.py).
@Suite struct LossTests {
    let shape = [4, 5]

    @Test func byolMatchesPyTorch() throws {
        let fixture = try loadFixture("losses.json")["byol"] as! [String: Any]
        let pa = tensor(fixture["predictionA"], shape, requiresGradient: true)
        let pb = tensor(fixture["predictionB"], shape, requiresGradient: true)
        let ta = tensor(fixture["targetA"], shape, requiresGradient: true)
        let tb = tensor(fixture["targetB"], shape, requiresGradient: true)
        let loss = byolLoss(predictionA: pa, predictionB: pb, targetA: ta, targetB: tb)
        #expect(closeness([loss.scalar], [floats([fixture["loss"]!])[0]]) <= 1, "loss \(loss.scalar) vs \(fixture["loss"]!)")
        let grads = gradients(of: loss, withRespectTo: [pa, pb, ta, tb])
        #expect(closeness(grads[0].scalars, floats(fixture["gradientA"])) <= 1)
        #expect(closeness(grads[1].scalars, floats(fixture["gradientB"])) <= 1)
        // Stop-gradient: the targets receive nothing.
        #expect(grads[2].scalars.allSatisfy { $0 == 0 } && grads[3].scalars.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [("ntxent", false), ("ntxentDecoupled", true)])
    func ntXentMatchesPyTorch(name: String, decoupled: Bool) throws {
        let fixture = try loadFixture("losses.json")[name] as! [String: Any]
        let a = tensor(fixture["a"], shape, requiresGradient: true)
        let b = tensor(fixture["b"], shape, requiresGradient: true)
        let loss = ntXentLoss(a, b, temperature: 0.1, decoupled: decoupled)
        let expected = floats([fixture["loss"]!])[0]
        #expect(closeness([loss.scalar], [expected]) <= 1, "\(name): loss \(loss.scalar) vs \(expected)")
        let grads = gradients(of: loss, withRespectTo: [a, b])
        #expect(closeness(grads[0].scalars, floats(fixture["gradientA"])) <= 1, "\(grads[0].scalars) vs \(floats(fixture["gradientA"]))")
        #expect(closeness(grads[1].scalars, floats(fixture["gradientB"])) <= 1)
    }

    @Test func simSiamMatchesPyTorch() throws {
        let fixture = try loadFixture("paradigms.json")["simsiam"] as! [String: Any]
        let pa = tensor(fixture["predictionA"], shape, requiresGradient: true)
        let pb = tensor(fixture["predictionB"], shape, requiresGradient: true)
        let za = tensor(fixture["projectionA"], shape, requiresGradient: true)
        let zb = tensor(fixture["projectionB"], shape, requiresGradient: true)
        let loss = simSiamLoss(predictionA: pa, predictionB: pb, projectionA: za, projectionB: zb)
        let expected = floats([fixture["loss"]!])[0]
        #expect(closeness([loss.scalar], [expected]) <= 1, "loss \(loss.scalar) vs \(expected)")
        let grads = gradients(of: loss, withRespectTo: [pa, pb, za, zb])
        #expect(closeness(grads[0].scalars, floats(fixture["gradientA"])) <= 1)
        #expect(closeness(grads[1].scalars, floats(fixture["gradientB"])) <= 1)
        // Stop-gradient: the projections receive nothing through this loss.
        #expect(grads[2].scalars.allSatisfy { $0 == 0 } && grads[3].scalars.allSatisfy { $0 == 0 })
    }

    @Test(arguments: ["barlowTwins", "barlowTwinsHeavy"])
    func barlowTwinsMatchesPyTorch(name: String) throws {
        let fixture = try loadFixture("paradigms.json")[name] as! [String: Any]
        let a = tensor(fixture["a"], [6, 5], requiresGradient: true)
        let b = tensor(fixture["b"], [6, 5], requiresGradient: true)
        let loss = barlowTwinsLoss(a, b, offDiagonalWeight: Float(fixture["offDiagonalWeight"] as! Double))
        let expected = floats([fixture["loss"]!])[0]
        #expect(closeness([loss.scalar], [expected]) <= 1, "\(name): loss \(loss.scalar) vs \(expected)")
        let grads = gradients(of: loss, withRespectTo: [a, b])
        // Standardising divides by a batch std: gradients carry a little more float error.
        #expect(closeness(grads[0].scalars, floats(fixture["gradientA"]), relative: 3e-4) <= 1,
                "\(grads[0].scalars) vs \(floats(fixture["gradientA"]))")
        #expect(closeness(grads[1].scalars, floats(fixture["gradientB"]), relative: 3e-4) <= 1)
    }

    /// Barlow Twins' minimum: identical views whose features are uncorrelated along the batch
    /// give C = I and a loss of about 0; a collapsed feature (constant over the batch) costs 1.
    @Test func barlowTwinsRewardsAgreeingDecorrelatedFeatures() {
        // Columns of a 4 x 2 Hadamard block: zero mean, unit variance, orthogonal.
        let views = Tensor(shape: [4, 2], scalars: [1, 1, 1, -1, -1, 1, -1, -1])
        #expect(abs(barlowTwinsLoss(views, views).scalar) < 1e-4)
        let collapsed = Tensor(shape: [4, 2], scalars: [1, 3, 1, 3, 1, 3, 1, 3])
        #expect(abs(barlowTwinsLoss(collapsed, collapsed).scalar - 2) < 1e-4, "two constant features: 1 each")
        let swapped = Tensor(shape: [4, 2], scalars: [1, 1, -1, 1, 1, -1, -1, -1])
        #expect(barlowTwinsLoss(views, swapped).scalar > 1, "views that disagree feature by feature")
    }

    /// SimSiam's loss is -1 where every prediction points along its other view's projection.
    @Test func simSiamIsMinusOneOnAlignedViews() {
        var generator = SeededGenerator(seed: 3)
        let z = Tensor.randomNormal([5, 7], generator: &generator)
        #expect(abs(simSiamLoss(predictionA: 2 * z, predictionB: z, projectionA: z, projectionB: z).scalar + 1) < 1e-5)
    }

    @Test(arguments: ["regularizerPaper", "regularizerReference", "regularizerMasked"])
    func regularizerMatchesPyTorch(name: String) throws {
        let fixture = try loadFixture("losses.json")[name] as! [String: Any]
        let ua = tensor(fixture["ua"], shape, requiresGradient: true)
        let ub = tensor(fixture["ub"], shape, requiresGradient: true)
        let wc = tensor(fixture["wc"], shape, requiresGradient: true)
        let wa = tensor(fixture["wa"], shape), wb = tensor(fixture["wb"], shape)
        let symmetric = fixture["symmetric"] as! Bool
        var settings = RegularizerSettings(preset: symmetric ? .paper : .reference)
        settings.masksDiagonal = fixture["masksDiagonal"] as! Bool
        #expect(settings.temperature == Float((fixture["temperature"] as! Double)))
        #expect(settings.beta == Float((fixture["beta"] as! Double)))
        let loss = nrccRegularizer(anchors: symmetric ? [ua, ub] : [ua], contrast: wc,
                                   otherViews: symmetric ? [wb, wa] : [wb], settings: settings)
        let expected = floats([fixture["loss"]!])[0]
        #expect(closeness([loss.scalar], [expected]) <= 1, "\(name): loss \(loss.scalar) vs \(expected)")
        let grads = gradients(of: loss, withRespectTo: [ua, ub, wc])
        #expect(closeness(grads[0].scalars, floats(fixture["gradientA"])) <= 1, "\(grads[0].scalars) vs \(floats(fixture["gradientA"]))")
        #expect(closeness(grads[1].scalars, floats(fixture["gradientB"])) <= 1)
        #expect(grads[2].scalars.allSatisfy { $0 == 0 }, "w^c is a constant")
    }

    @Test func presetsHoldSpecValues() {
        let paper = RegularizerSettings(preset: .paper)
        #expect(paper == RegularizerSettings(weight: 0.1, temperature: 0.1, beta: 1, symmetric: true,
                                             contrastEncoder: .target, masksDiagonal: false))
        let reference = RegularizerSettings(preset: .reference)
        #expect(reference == RegularizerSettings(weight: 0.1, temperature: 0.5, beta: 0, symmetric: false,
                                                 contrastEncoder: .online, masksDiagonal: false))
    }

    /// A gradient step on R moves every u away from its own x^c: cos(u_i, w^c_i) falls.
    @Test(arguments: [RegularizerSettings.Preset.paper, .reference])
    func regularizerPushesAnchorsAwayFromContrastViews(preset: RegularizerSettings.Preset) {
        var generator = SeededGenerator(seed: 7)
        let n = 8, d = 16
        let contrast = Tensor.randomNormal([n, d], generator: &generator)
        // Anchors close to their own contrast view.
        let anchor = (contrast + 0.3 * Tensor.randomNormal([n, d], generator: &generator)).copy()
        anchor.requiresGradient = true
        let other = Tensor.randomNormal([n, d], generator: &generator)
        let settings = RegularizerSettings(preset: preset)
        let loss = nrccRegularizer(anchors: [anchor], contrast: contrast, otherViews: [other], settings: settings)
        let gradient = gradients(of: loss, withRespectTo: [anchor])[0]
        let moved = (anchor.detached() - 0.5 * gradient).copy()
        let before = cosineSimilarity(anchor.detached(), contrast).scalars
        let after = cosineSimilarity(moved, contrast).scalars
        for i in 0..<n {
            #expect(after[i] < before[i], "sample \(i): cos(u, w^c) \(before[i]) -> \(after[i])")
        }
    }
}

/// The cluster head's objective (Contrastive Clustering's ClusterLoss) against PyTorch
/// (Fixtures/make_fixtures.py, cluster.json), and what its two terms do.
@Suite struct ClusterObjectiveTests {
    @Test(arguments: ["clusterTau1", "clusterTau05"])
    func matchesPyTorch(name: String) throws {
        let fixture = try loadFixture("cluster.json")[name] as! [String: Any]
        let a = tensor(fixture["logitsA"], [6, 4], requiresGradient: true)
        let b = tensor(fixture["logitsB"], [6, 4], requiresGradient: true)
        let loss = clusterContrastiveLoss(logitsA: a, logitsB: b, temperature: Float(fixture["temperature"] as! Double))
        let expected = floats([fixture["loss"]!])[0]
        #expect(closeness([loss.scalar], [expected]) <= 1, "\(name): loss \(loss.scalar) vs \(expected)")
        let grads = gradients(of: loss, withRespectTo: [a, b])
        #expect(closeness(grads[0].scalars, floats(fixture["gradientA"])) <= 1, "\(grads[0].scalars) vs \(floats(fixture["gradientA"]))")
        #expect(closeness(grads[1].scalars, floats(fixture["gradientB"])) <= 1)
    }

    /// Views that agree on confident, balanced groups cost less than views that disagree,
    /// and both less than a batch that puts everything in one group.
    @Test func rewardsAgreementAndBalance() {
        let rows = 8, groups = 4
        func logits(_ group: (Int) -> Int) -> Tensor {
            Tensor(shape: [rows, groups], scalars: (0..<rows).flatMap { row in
                (0..<groups).map { $0 == group(row) ? Float(6) : 0 }
            })
        }
        let balanced = logits { $0 % groups }
        let agreeing = clusterContrastiveLoss(logitsA: balanced, logitsB: balanced).scalar
        let disagreeing = clusterContrastiveLoss(logitsA: balanced, logitsB: logits { ($0 + 1) % groups }).scalar
        let collapsed = logits { _ in 0 }
        let oneGroup = clusterContrastiveLoss(logitsA: collapsed, logitsB: collapsed).scalar
        #expect(agreeing < disagreeing, "agreeing \(agreeing), disagreeing \(disagreeing)")
        #expect(agreeing < oneGroup, "agreeing \(agreeing), one group \(oneGroup)")
    }
}
