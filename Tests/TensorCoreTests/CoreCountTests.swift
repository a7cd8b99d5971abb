import Testing
import Basics
import TensorCore

/// A seed gives the same bits on one core as on all of them: every sum over a batch is cut
/// into shards fixed by the batch, never by the cores. (On a one-core machine both sides of
/// each comparison run alike and the tests hold trivially; CI has two cores.)
@Suite struct CoreCountTests {
    /// Convolution and batch norm, forward and backward, for each convolution algorithm
    /// (4 filters: shifted products at 28x28, im2col at 14x14; 16 filters: the direct kernels).
    @Test(arguments: [(28, 4), (14, 4), (14, 16), (8, 16)])
    func aTrainingLayerGivesTheSameBitsOnOneCore(size: Int, filters: Int) {
        BLASThreads.exclusively(1) {
            let all = layerResults(size: size, filters: filters)
            let one = Cores.$limit.withValue(1) { layerResults(size: size, filters: filters) }
            #expect(one.output == all.output)
            #expect(one.inputGradient == all.inputGradient)
            #expect(one.weightGradient == all.weightGradient)
            #expect(one.scaleGradient == all.scaleGradient)
        }
    }

    @Test func aLargeProductGivesTheSameBitsOnOneCore() {
        let a = random([300, 70], seed: 61).scalars, b = random([90, 70], seed: 62).scalars
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: 300 * 90)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        parallelGEMM(transposeB: true, m: 300, n: 90, k: 70, a: a.baseAddress!, lda: 70,
                                     b: b.baseAddress!, ldb: 70, c: c.baseAddress!, ldc: 90)
                    }
                }
            }
            return c
        }
        BLASThreads.exclusively(1) {
            let all = product()
            let one = Cores.$limit.withValue(1) { product() }
            #expect(one == all)
            // And it is the product: row 0, column 0 by hand.
            let expected = (0..<70).reduce(Float(0)) { $0 + a[$1] * b[$1] }
            #expect(abs(all[0] - expected) < 1e-4)
        }
    }

    /// The queue the direct convolutions take pieces of samples from: every item exactly once,
    /// each to a worker whose index names scratch of its own, on one core and on all of them.
    @Test(arguments: [1, 37, 200])
    func aQueueHandsOutEveryItemOnceToOneWorker(count: Int) {
        for limit in [1, Cores.available] {
            Cores.$limit.withValue(limit) {
                let workers = queueWorkers(count)
                #expect(workers == min(limit, count))
                // Each worker appends to its own list only, so the lists need no lock.
                let taken = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: workers)
                taken.initialize(repeating: [])
                defer { taken.deinitialize().deallocate() }
                let shared = UncheckedSendable(taken)
                parallelFor(queueing: count) { worker, item in shared.value[worker].append(item) }
                #expect(taken.flatMap { $0 }.sorted() == Array(0..<count))
            }
        }
    }

    private func layerResults(size: Int, filters: Int)
        -> (output: [Float], inputGradient: [Float], weightGradient: [Float], scaleGradient: [Float]) {
        let x = random([40, 3, size, size], seed: 71)
        let w = random([filters, 3, 3, 3], seed: 72)
        let scale = random([filters], seed: 73), offset = random([filters], seed: 74)
        for tensor in [x, w, scale] { tensor.requiresGradient = true }
        let y = batchNormalized(
            conv2d(x, weight: w, stride: 1, padding: 1), scale: scale, offset: offset,
            runningMean: .zeros([filters]), runningVariance: Tensor(shape: [filters], repeating: 1),
            mode: .training, relu: true)
        y.squared().sum().backward()
        return (y.scalars, x.gradient!.scalars, w.gradient!.scalars, scale.gradient!.scalars)
    }
}
