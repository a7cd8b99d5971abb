import ContrastiveLearning
import Datasets
import Foundation
import Testing
import Basics
import TensorCore

/// NNCLR's nearest-neighbour positives: the loss against PyTorch (Fixtures/make_fixtures.py,
/// neighbours.json), the support set's search and ring, and training with it.
@Suite struct NeighbourPositivesTests {
    let shape = [4, 5]

    /// A support set holding the fixture's seven rows.
    func fixtureSupport(_ fixture: [String: Any]) -> SupportSet {
        let support = SupportSet(capacity: 7, dimension: 5)
        support.append(tensor(fixture["support"], [7, 5]))
        return support
    }

    @Test(arguments: [("tau01", Float(0.1)), ("tau05", Float(0.5))])
    func matchesPyTorch(name: String, temperature: Float) throws {
        let fixture = try loadFixture("neighbours.json")
        let expected = fixture[name] as! [String: Any]
        let a = tensor(fixture["a"], shape, requiresGradient: true)
        let b = tensor(fixture["b"], shape, requiresGradient: true)
        let support = fixtureSupport(fixture)
        let rows = tensor(fixture["support"], [7, 5]).scalars
        let neighboursA = try #require(support.nearest(to: a.l2NormalizedRows().detached()))
        let neighboursB = try #require(support.nearest(to: b.l2NormalizedRows().detached()))
        // The search finds PyTorch's argmax rows, copied whole.
        for (neighbours, key) in [(neighboursA, "nearestA"), (neighboursB, "nearestB")] {
            let indices = (expected[key] as! [Any]).map { ($0 as! NSNumber).intValue }
            for (query, row) in indices.enumerated() {
                #expect(Array(neighbours.scalars[(query * 5)..<(query * 5 + 5)]) == Array(rows[(row * 5)..<(row * 5 + 5)]),
                        "\(key): query \(query) should find row \(row)")
            }
        }
        let loss = nearestNeighbourContrastiveLoss(a, b, neighboursA: neighboursA, neighboursB: neighboursB,
                                                   temperature: temperature)
        let expectedLoss = floats([expected["loss"]!])[0]
        #expect(closeness([loss.scalar], [expectedLoss]) <= 1, "\(name): loss \(loss.scalar) vs \(expectedLoss)")
        let grads = gradients(of: loss, withRespectTo: [a, b])
        #expect(closeness(grads[0].scalars, floats(expected["gradientA"])) <= 1, "\(grads[0].scalars) vs \(floats(expected["gradientA"]))")
        #expect(closeness(grads[1].scalars, floats(expected["gradientB"])) <= 1)
    }

    /// The neighbours are constants: no gradient reaches them, even when given as leaves.
    @Test func neighboursReceiveNoGradient() throws {
        let fixture = try loadFixture("neighbours.json")
        let a = tensor(fixture["a"], shape, requiresGradient: true)
        let b = tensor(fixture["b"], shape, requiresGradient: true)
        let na = tensor(fixture["a"], shape, requiresGradient: true).l2NormalizedRows()
        let nb = tensor(fixture["b"], shape, requiresGradient: true)
        let loss = nearestNeighbourContrastiveLoss(a, b, neighboursA: na, neighboursB: nb)
        let grads = gradients(of: loss, withRespectTo: [nb])
        #expect(grads[0].scalars.allSatisfy { $0 == 0 })
    }

    /// The ring: an empty set finds nothing; rows fill in order, then overwrite the oldest;
    /// a query finds the row it equals, and the lowest index among equal rows.
    @Test func theSupportSetIsARingOfTheLatestRows() throws {
        let support = SupportSet(capacity: 3, dimension: 2)
        let query = Tensor(shape: [1, 2], scalars: [1, 0])
        #expect(support.nearest(to: query) == nil)
        #expect(support.filled == 0)
        support.append(Tensor(shape: [2, 2], scalars: [0, 1, 1, 0]))
        #expect(support.filled == 2)
        #expect(try #require(support.nearest(to: query)).scalars == [1, 0])
        support.append(Tensor(shape: [2, 2], scalars: [0, -1, -1, 0]))  // rows 2, then 0 overwritten
        #expect(support.filled == 3)
        #expect(support.namedState[0].tensor.scalars == [-1, 0, 1, 0, 0, -1])
        #expect(support.namedState[3].tensor.scalars == [1], "the next row to overwrite")
        #expect(support.namedState[1].tensor.scalars == [-1, -1, -1], "images not given")
        #expect(try #require(support.nearest(to: Tensor(shape: [2, 2], scalars: [0, -1, -0.8, -0.6]))).scalars
                == [0, -1, -1, 0])
        support.append(Tensor(shape: [2, 2], scalars: [1, 0, 1, 0]))  // rows 1 and 2, equal: the first is found
        #expect(support.namedState[0].tensor.scalars == [-1, 0, 1, 0, 1, 0])
        #expect(try #require(support.nearest(to: query)).scalars == [1, 0])
        #expect(support.stateProblem == nil)
    }

    /// An image's own earlier rows are never its neighbour; without indices every row counts.
    @Test func anImageIsNotItsOwnNeighbour() throws {
        let support = SupportSet(capacity: 4, dimension: 2)
        support.append(Tensor(shape: [3, 2], scalars: [1, 0, 0.8, 0.6, 0, 1]), of: [7, 8, 9])
        let queries = Tensor(shape: [2, 2], scalars: [1, 0, 0, 1])
        #expect(try #require(support.nearest(to: queries)).scalars == [1, 0, 0, 1])
        #expect(try #require(support.nearest(to: queries, of: [7, 9])).scalars == [0.8, 0.6, 0.8, 0.6])
        #expect(try #require(support.nearest(to: queries, of: [8, 3])).scalars == [1, 0, 0, 1])
        // A set holding only the query's own image gives the query itself.
        let alone = SupportSet(capacity: 2, dimension: 2)
        alone.append(Tensor(shape: [1, 2], scalars: [1, 0]), of: [5])
        #expect(try #require(alone.nearest(to: Tensor(shape: [1, 2], scalars: [0.6, 0.8]), of: [5])).scalars == [0.6, 0.8])
        #expect(alone.namedState[1].tensor.scalars == [5, 0])
    }

    /// Counters a checkpoint could not have written are named, not trusted.
    @Test func damagedCountersAreReported() {
        for (filled, position) in [(Float(4), Float(0)), (2, 3), (1.5, 0), (-1, 0), (.nan, 0)] {
            let support = SupportSet(capacity: 3, dimension: 2)
            support.namedState[2].tensor.withUnsafeMutableBufferPointer { $0[0] = filled }
            support.namedState[3].tensor.withUnsafeMutableBufferPointer { $0[0] = position }
            #expect(support.stateProblem != nil, "filled \(filled), position \(position)")
        }
        let badImage = SupportSet(capacity: 3, dimension: 2)
        badImage.namedState[1].tensor.withUnsafeMutableBufferPointer { $0[0] = -2 }
        #expect(badImage.stateProblem?.contains("image") == true)
        let support = SupportSet(capacity: 3, dimension: 2)
        support.append(Tensor(shape: [1, 2], scalars: [.infinity, 0]))
        #expect(support.stateProblem?.contains("non-finite") == true)
    }

    /// Training with a support set smaller than an epoch (so the ring wraps) resumes bit for
    /// bit: the checkpoint keeps the set and its images, and a run with it trains other
    /// weights than without.
    @Test func resumeIsBitForBitWithASupportSet() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        var configuration = tinyConfiguration(digits, paradigm: .infonce)
        configuration.usesRegularizer = false
        configuration.supportSetSize = 40
        let straight = temporaryDirectory("support-straight"), split = temporaryDirectory("support-split")
        let plain = temporaryDirectory("support-none")
        defer { for folder in [straight, split, plain] { try? FileManager.default.removeItem(at: folder) } }
        let whole = try Trainer(configuration: configuration, dataset: digits, outputDirectory: straight)
        let history = try whole.run()
        #expect(history.allSatisfy { $0.loss.isFinite })
        let first = try Trainer(configuration: configuration, dataset: digits, outputDirectory: split)
        _ = try first.run(untilEpoch: 1)
        let second = try Trainer(configuration: configuration, dataset: digits, outputDirectory: split)
        #expect(try second.run(resume: true).map(\.epoch) == [1])
        #expect(try Data(contentsOf: whole.checkpointURL) == Data(contentsOf: second.checkpointURL),
                "checkpoints differ after resume")
        configuration.supportSetSize = nil
        let without = try Trainer(configuration: configuration, dataset: digits, outputDirectory: plain)
        let plainHistory = try without.run()
        #expect(plainHistory[1].loss != history[1].loss, "the support set changes the loss")
    }

    /// The option's limits, each named.
    @Test func invalidSupportSetsAreNamed() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.epochs = 1
        for (size, paradigm, processes, words) in [(-3, Paradigm.infonce, 1, "support set size"),
                                                    (SupportSet.maximumSize + 1, .infonce, 1, "support set size"),
                                                    (512, .byol, 1, "InfoNCE"),
                                                    (512, .infonce, 2, "their own support set")] {
            overrides.supportSetSize = size
            overrides.paradigm = paradigm
            overrides.processCount = processes
            #expect { try overrides.configuration(for: digits) } throws: { error in
                "\(error)".contains(words)
            }
        }
        overrides = TrainingOverrides()
        overrides.supportSetSize = 512
        overrides.epochs = 1
        #expect(try overrides.configuration(for: digits).supportSetSize == 512)
        overrides.supportSetSize = 0
        #expect(try overrides.configuration(for: digits).supportSetSize == nil, "0: off")
    }
}
