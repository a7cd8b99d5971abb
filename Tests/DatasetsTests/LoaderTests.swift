import Datasets
import Foundation
import Testing

@Suite("The two-view loader")
struct LoaderTests {
    func makeLoader(batchSize: Int = 64, seed: UInt64 = 7) throws -> TwoViewLoader {
        let digits = try embeddedDigits()
        return try TwoViewLoader(dataset: digits, batchSize: batchSize, normalization: Normalization(of: digits), seed: seed)
    }

    /// The ranks' shards of a batch, in rank order, are the batch: the same samples and the
    /// same views, pixel for pixel (views are drawn per dataset index, not per position).
    @Test func shardsOfABatchMakeTheBatch() throws {
        let digits = try embeddedDigits()
        let whole = try makeLoader(batchSize: 64).batch(epoch: 1, step: 3)
        var indices: [Int] = [], first: [Float] = [], second: [Float] = []
        for rank in 0..<3 {
            let shard = BatchShard(index: rank, count: 3)
            let loader = try TwoViewLoader(dataset: digits, batchSize: 64, normalization: Normalization(of: digits),
                                           seed: 7, shard: shard)
            let part = loader.batch(epoch: 1, step: 3)
            #expect(part.indices.count == shard.rows(of: 64).count)
            indices += part.indices
            first += part.first.pixels
            second += part.second.pixels
        }
        #expect(BatchShard(index: 0, count: 3).rows(of: 64) == 0..<21)
        #expect(BatchShard(index: 2, count: 3).rows(of: 64) == 42..<64)
        #expect(indices == whole.indices)
        #expect(first == whole.first.pixels)
        #expect(second == whole.second.pixels)
    }

    @Test func everyEpochIsADifferentPermutation() throws {
        let loader = try makeLoader()
        let first = loader.order(epoch: 0), second = loader.order(epoch: 1)
        #expect(first.sorted() == Array(0..<1797))
        #expect(second.sorted() == Array(0..<1797))
        #expect(first != second)
        #expect(first == (try makeLoader()).order(epoch: 0))
        #expect(first != (try makeLoader(seed: 8)).order(epoch: 0))
        #expect(loader.stepsPerEpoch == 1797 / 64)
        // The steps of an epoch cover distinct samples.
        let seen = (0..<loader.stepsPerEpoch).flatMap { loader.indices(epoch: 0, step: $0) }
        #expect(Set(seen).count == seen.count && seen.count == 28 * 64)
    }

    @Test func prefetchedBatchesEqualDirectOnesAndResumeExactly() throws {
        let loader = try makeLoader(batchSize: 256)
        #expect(loader.stepsPerEpoch == 7)
        let streamed = Array(loader.batches(from: 0, step: 0, endEpoch: 2))
        #expect(streamed.count == 14)
        #expect(streamed.map(\.epoch) == [Int](repeating: 0, count: 7) + [Int](repeating: 1, count: 7))
        #expect(streamed[9] == loader.batch(epoch: 1, step: 2))
        #expect(streamed[0].first.indices == streamed[0].second.indices)
        #expect(streamed[0].first.pixels != streamed[0].second.pixels)
        // Resuming at (epoch 1, step 2) gives the same batches, bit for bit.
        let resumed = Array(loader.batches(from: 1, step: 2, endEpoch: 2))
        #expect(resumed == Array(streamed[9...]))
        // Resuming at the end of an epoch starts the next one.
        let next = loader.batches(from: 0, step: 7, endEpoch: 2)
        #expect(next.position == (1, 0) || next.position.epoch == 1)
        #expect(next.next() == streamed[7])
    }

    @Test func aStreamLeftEarlyIsSafe() throws {
        let loader = try makeLoader(batchSize: 32)
        var stream: PrefetchingBatches? = loader.batches()
        _ = stream?.next()
        stream = nil  // the batch in flight finishes before the stream goes
        #expect(stream == nil)
    }

    @Test func badBatchSizeThrows() throws {
        let digits = try embeddedDigits()
        #expect(throws: DatasetError.invalidSetting(name: "batchSize", value: "0", expected: ">= 1")) {
            try TwoViewLoader(dataset: digits, batchSize: 0, normalization: Normalization(of: digits), seed: 1)
        }
        let large = try TwoViewLoader(dataset: digits.subset(Array(0..<10)), batchSize: 256,
                                      normalization: Normalization(of: digits), seed: 1)
        #expect(large.batchSize == 10 && large.stepsPerEpoch == 1)
    }
}

@Suite("Long-tailed subsets")
struct LongTailTests {
    @Test func classCountsFollowTheLDAMRecipe() throws {
        let expected = try loadJSON("longtail_counts.json", as: [String: [Int]].self)
        for (ratio, counts) in expected {
            #expect(longTailClassCounts(maximum: 5000, classCount: 10, imbalanceRatio: Double(ratio)!) == counts)
        }
    }

    @Test(.needsSharedData) func cifarSubsetLongTail() throws {
        let cifar = try loadImageDataset("cifar10", searchPaths: testSearchPaths)
        let longTail = try cifar.longTailed(imbalanceRatio: 10, seed: 1, maximumPerClass: 300)
        let counts = histogram(longTail.labels!, classes: 10)
        #expect(counts == longTailClassCounts(maximum: 300, classCount: 10, imbalanceRatio: 10))
        #expect(counts.first == 300 && counts.last == 30)
        #expect(longTail.classNames == cifar.classNames)
        // Seeded: same seed same images, another seed other images.
        #expect(try cifar.longTailed(imbalanceRatio: 10, seed: 1, maximumPerClass: 300) == longTail)
        #expect(try cifar.longTailed(imbalanceRatio: 10, seed: 2, maximumPerClass: 300).pixels != longTail.pixels)
        // The named CIFAR-10-LT: head class as large as the smallest class, tail 10x smaller.
        let named = try loadImageDataset("cifar10-lt", searchPaths: testSearchPaths)
        let smallest = histogram(cifar.labels!, classes: 10).min()!
        #expect(histogram(named.labels!, classes: 10) == longTailClassCounts(maximum: smallest, classCount: 10, imbalanceRatio: 10))
        #expect(named.name == "cifar10-lt")
        #expect(throws: DatasetError.self) { try cifar.longTailed(imbalanceRatio: 0.5, seed: 1) }
        #expect(throws: DatasetError.self) { try cifar.longTailed(imbalanceRatio: 10, seed: 1, maximumPerClass: 5000) }
    }
}
