// The training loader: a seeded shuffle every epoch, two augmented views per sample, the
// next batch prepared on a background thread while the current one trains.
import Dispatch
import Basics

/// Two views of the same samples, in the same order: `first.indices == second.indices`.
public struct TwoViewBatch: Sendable, Equatable {
    /// The epoch and the step within it (0-based) this batch belongs to.
    public let epoch: Int
    public let step: Int
    /// View a, N x C x H x W normalised floats.
    public let first: ImageBatch
    /// View b, N x C x H x W normalised floats.
    public let second: ImageBatch

    /// The dataset index of every sample.
    public var indices: [Int] { first.indices }
}

/// One rank's rows of every batch in data-parallel training: of a batch of B samples, rank
/// `index` of `count` takes rows `index B / count ..< (index + 1) B / count`. The batches
/// themselves, and every sample's views (drawn per dataset index), are the same on all ranks.
public struct BatchShard: Sendable, Equatable {
    /// This rank, 0..<count.
    public let index: Int
    /// The number of ranks.
    public let count: Int

    /// The whole batch: one rank.
    public static let whole = BatchShard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        checkArgument(count >= 1 && (0..<count).contains(index), "BatchShard: index \(index) of \(count) ranks")
        self.index = index
        self.count = count
    }

    /// The rows of a batch of `batchSize` that this rank takes.
    public func rows(of batchSize: Int) -> Range<Int> {
        (index * batchSize / count)..<((index + 1) * batchSize / count)
    }
}

/// Batches of two views of a dataset, epoch after epoch.
///
/// Epoch `e` visits the samples in the order `order(epoch: e)`, a Fisher-Yates shuffle drawn
/// from `SeededGenerator(seed: seed, stream: [shuffleStream, e])`; step `s` takes positions
/// `s * batchSize ..< (s + 1) * batchSize` of that order. The views come from `augmenter`.
/// Everything is a function of (seed, epoch, step), so `batch(epoch:step:)` and
/// `batches(from:)` starting anywhere give bit-identical batches: resuming is exact. With a
/// `shard`, a batch holds that rank's rows of the step's samples only.
public struct TwoViewLoader: Sendable {
    /// Makes the views (and holds the dataset and seed).
    public let augmenter: Augmenter
    /// Samples per batch; the last incomplete batch of an epoch is dropped when `dropLast`.
    public let batchSize: Int
    /// Whether an epoch's last, smaller batch is skipped (keeps batch statistics comparable).
    public let dropLast: Bool
    /// The rows of each batch this loader makes (all of them unless training is data-parallel).
    public let shard: BatchShard

    static let shuffleStream: UInt64 = 0x5348_5546  // "SHUF"

    /// Throws `invalidSetting` when `batchSize` < 1 or the dataset is empty. A batch size
    /// above the dataset size shrinks to the dataset size (one batch per epoch).
    public init(augmenter: Augmenter, batchSize: Int, dropLast: Bool = true, shard: BatchShard = .whole) throws {
        guard batchSize >= 1 else {
            throw DatasetError.invalidSetting(name: "batchSize", value: "\(batchSize)", expected: ">= 1")
        }
        guard augmenter.dataset.count >= 1 else {
            throw DatasetError.invalidSetting(name: "dataset", value: "0", expected: "at least one image")
        }
        self.augmenter = augmenter
        self.batchSize = min(batchSize, augmenter.dataset.count)
        self.dropLast = dropLast
        self.shard = shard
    }

    /// A loader over `dataset` with the given augmentations, normalisation and seed.
    public init(dataset: ImageDataset, batchSize: Int, settings: AugmentationSettings = AugmentationSettings(),
                normalization: Normalization, seed: UInt64, dropLast: Bool = true, shard: BatchShard = .whole) throws {
        try self.init(augmenter: Augmenter(dataset: dataset, settings: settings, normalization: normalization, seed: seed),
                      batchSize: batchSize, dropLast: dropLast, shard: shard)
    }

    /// Batches in one epoch.
    public var stepsPerEpoch: Int {
        let count = augmenter.dataset.count
        return dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The order epoch `epoch` visits the samples in (a permutation of 0..<N).
    public func order(epoch: Int) -> [Int] {
        var random = SeededGenerator(seed: augmenter.seed, stream: [Self.shuffleStream, UInt64(epoch)])
        var order = Array(0..<augmenter.dataset.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, random.nextInt(below: i + 1))
        }
        return order
    }

    /// The dataset indices of step `step` in `epoch`.
    public func indices(epoch: Int, step: Int) -> [Int] {
        checkArgument(step >= 0 && step < stepsPerEpoch, "indices: step \(step) outside 0..<\(stepsPerEpoch)")
        let order = order(epoch: epoch)
        return Array(order[(step * batchSize)..<min(order.count, (step + 1) * batchSize)])
    }

    /// Step `step` of `epoch` (this shard's rows of it), made now on the calling thread (in
    /// parallel over the batch).
    public func batch(epoch: Int, step: Int) -> TwoViewBatch {
        let all = indices(epoch: epoch, step: step)
        let indices = shard == .whole ? all : Array(all[shard.rows(of: all.count)])
        return TwoViewBatch(epoch: epoch, step: step,
                            first: augmenter.batch(indices, epoch: epoch, view: 0),
                            second: augmenter.batch(indices, epoch: epoch, view: 1))
    }

    /// Batches from (`epoch`, `step`) to the end of epoch `endEpoch - 1` (forever when nil),
    /// each next one prepared on a background thread while the caller works on the current.
    public func batches(from epoch: Int = 0, step: Int = 0, endEpoch: Int? = nil) -> PrefetchingBatches {
        checkArgument(epoch >= 0 && step >= 0 && step <= stepsPerEpoch,
                     "batches(from:step:): epoch \(epoch), step \(step) outside 0...\(stepsPerEpoch)")
        return PrefetchingBatches(loader: self, epoch: epoch, step: step, endEpoch: endEpoch)
    }
}

/// A batch being made on the background queue.
///
/// `batch` is written once by the worker before `ready.signal()` and read by the consumer
/// only after `ready.wait()`; the semaphore orders the two, so sharing it is race-free.
private final class PendingBatch: @unchecked Sendable {
    var batch: TwoViewBatch?
    let ready = DispatchSemaphore(value: 0)
}

/// The loader's batches in order, one prepared ahead on a background thread.
///
/// Use from one thread (e.g. the training loop); `next()` returns the prepared batch (waiting
/// if it is not ready yet) and immediately starts the one after it.
public final class PrefetchingBatches: Sequence, IteratorProtocol {
    private let loader: TwoViewLoader
    private let endEpoch: Int?
    private var epoch: Int
    private var step: Int
    private var pending: PendingBatch?
    private let queue = DispatchQueue(label: "nrcc.datasets.prefetch", qos: .userInitiated)

    init(loader: TwoViewLoader, epoch: Int, step: Int, endEpoch: Int?) {
        self.loader = loader
        self.endEpoch = endEpoch
        (self.epoch, self.step) = step == loader.stepsPerEpoch ? (epoch + 1, 0) : (epoch, step)
        startNext()
    }

    deinit {
        // Let the batch in flight finish rather than leave work running behind.
        pending?.ready.wait()
    }

    /// The (epoch, step) the next call to `next()` returns.
    public var position: (epoch: Int, step: Int) { (epoch, step) }

    private var finished: Bool {
        if let endEpoch { return epoch >= endEpoch }
        return loader.stepsPerEpoch == 0
    }

    private func startNext() {
        guard !finished else {
            pending = nil
            return
        }
        let work = PendingBatch()
        let loader = loader, epoch = epoch, step = step
        queue.async {
            work.batch = loader.batch(epoch: epoch, step: step)
            work.ready.signal()
        }
        pending = work
    }

    /// The next batch (waiting for it if needed), or nil after the last epoch.
    public func next() -> TwoViewBatch? {
        guard let work = pending else { return nil }
        work.ready.wait()
        let batch = work.batch
        step += 1
        if step == loader.stepsPerEpoch {
            step = 0
            epoch += 1
        }
        startNext()
        return batch
    }
}
