import Testing
import Basics
import TensorCore

/// The tape's contract: what records, what accumulates, what is released.
@Suite struct TapeTests {
    @Test func forwardValuesWithBroadcasting() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let row = Tensor(shape: [3], scalars: [10, 20, 30])
        let column = Tensor(shape: [2, 1], scalars: [2, 3])
        #expect((a + row).scalars == [11, 22, 33, 14, 25, 36])
        #expect((a * column).scalars == [2, 4, 6, 12, 15, 18])
        #expect(a.sum(alongAxis: 0).scalars == [5, 7, 9])
        #expect(a.sum(alongAxis: 1, keepingDimensions: true).shape == [2, 1])
        #expect(matmul(a, a, transposeB: true).scalars == [14, 32, 32, 77])
        let lse = Tensor(shape: [1, 2], scalars: [1000, 1000]).logSumExp().scalar
        #expect(abs(lse - (1000 + 0.6931472)) < 1e-3)
    }

    @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        #expect(x.gradient!.scalars == [6, 6])
        x.zeroGradient()
        (x.squared()).sum().backward()
        #expect(x.gradient!.scalars == [2, 4])
    }

    @Test func tensorsUsedTwiceReceiveBothContributions() {
        let x = Tensor(shape: [3], scalars: [1, -2, 3], requiresGradient: true)
        let y = x * x + x.relu()
        y.sum().backward()
        #expect(x.gradient!.scalars == [3, -4, 7])
    }

    @Test func noGradientModeRecordsNothing() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let y = withoutGradient { (x * 2).exp() }
        #expect(!y.requiresGradient)
        #expect((x * 2).requiresGradient)
        #expect(GradientMode.isEnabled)
        #expect(withoutGradient { GradientMode.isEnabled } == false)
    }

    @Test func backwardReleasesTheGraphAndIntermediateGradients() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let hidden = x.exp()
        let loss = hidden.sum()
        loss.backward()
        #expect(!hidden.requiresGradient && hidden.gradient == nil)
        #expect(!loss.requiresGradient)
        #expect(x.requiresGradient && x.gradient != nil)
        // The released intermediate is now a plain value: new ops on it record nothing.
        #expect(!(hidden * 2).requiresGradient)
    }

    @Test func detachedStopsGradients() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let loss = (x * x.detached()).sum()
        loss.backward()
        #expect(x.gradient!.scalars == [1, 2])
    }

    @Test func requestedGradientsOnlyAndZerosWhenIndependent() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let w = Tensor(shape: [2], scalars: [3, 4], requiresGradient: true)
        let unrelated = Tensor(shape: [1], scalars: [5], requiresGradient: true)
        let result = gradients(of: (x * w).sum(), withRespectTo: [x, unrelated])
        #expect(result[0].scalars == [3, 4])
        #expect(result[1].scalars == [0])
        #expect(w.gradient == nil && x.gradient == nil)
    }

    @Test func seededBackwardOfANonScalar() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        (x * 5).backward(seed: Tensor(shape: [2], scalars: [1, -1]))
        #expect(x.gradient!.scalars == [5, -5])
    }
}

/// Programmer errors trap (checked in a child process) with both shapes in the message.
@Suite struct ShapeErrorTests {
    @Test func mismatchedMatrixProductTraps() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]"), "\(message)")
    }

    @Test func incompatibleBroadcastTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
    }

    @Test func secondBackwardThroughAReleasedGraphTraps() async {
        await #expect(processExitsWith: .failure) {
            let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
            let loss = x.exp().sum()
            loss.backward()
            loss.backward()
        }
    }
}
