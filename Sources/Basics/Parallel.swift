import CKernels
import Dispatch

/// The number of cores that parallel loops spread work over: the cores this process may run
/// on (`taskset -c 0` means one), or fewer inside `Cores.$limit.withValue(n) { ... }`.
///
/// Results never depend on it: work that sums over items is cut into `Shards`, whose
/// boundaries follow the data alone, and the shards' partial sums are added in shard order.
public var processorCount: Int {
    Cores.limit.map { max(1, min($0, Cores.available)) } ?? Cores.available
}

/// The cores available to parallel loops.
public enum Cores {
    /// The cores this process may run on, read once.
    public static let available = max(1, nrcc_available_cores())

    /// A narrower core count for the work inside `withValue` (tests use it to show that
    /// results are the same on one core as on all of them).
    @TaskLocal public static var limit: Int?
}

/// Runs `body` over `0..<count` split into at most one contiguous chunk per core.
///
/// Chunks never overlap, so a body that writes only indices of its own chunk is free of data
/// races. Work smaller than `minimumChunk` items per core runs inline on the caller's thread,
/// where thread start-up would cost more than it saves. Because the chunks depend on the core
/// count, a body must compute each index independently; sums over indices go through `Shards`.
@inlinable
public func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    if count <= 0 { return }
    let chunks = min(processorCount, max(1, count / max(1, minimumChunk)))
    if chunks == 1 {
        body(0..<count)
        return
    }
    // The body runs concurrently on disjoint ranges only; callers promise that is safe, which
    // is the contract of this function, so the closure is handed over as unchecked Sendable.
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            shared.value(start..<end)
        }
    }
}

/// A value handed across threads where the caller, not the compiler, guarantees safety:
/// e.g. a buffer pointer that concurrent chunks write at disjoint indices.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    @inlinable public init(_ value: Value) { self.value = value }
}

/// Runs `body(i)` for every `i` in `0..<count`, spread over the cores in contiguous chunks.
@inlinable
public func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Int) -> Void) {
    parallelChunks(count, minimumChunk: minimumChunk) { range in
        for index in range { body(index) }
    }
}

/// Runs `body(i)` for every `i` in `0..<count`, each index handed to whichever core is free
/// next (`parallelFor(queueing:)` without the worker): for items of uneven cost (UMAP's parts),
/// or on a host where a core may be held up, where contiguous chunks would leave a core
/// waiting. As with `parallelFor`, each index must be computed independently.
public func parallelFor(handingOut count: Int, _ body: (Int) -> Void) {
    parallelFor(queueing: count) { _, item in body(item) }
}

/// Runs `body(worker, item)` for every `item` in `0..<count` on at most `processorCount`
/// workers, each taking the next item as it comes free: for items of uneven cost, or many of
/// equal cost on a host shared with other work, where a core held up would otherwise keep the
/// rest waiting. `worker` (`0..<queueWorkers(count)`) names scratch of the worker's own; as with
/// `parallelFor`, each item must be computed independently.
public func parallelFor(queueing count: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
    let workers = queueWorkers(count)
    if workers <= 1 {
        for item in 0..<count { body(0, item) }
        return
    }
    let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    next.initialize(to: 0)
    defer { next.deallocate() }
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable((body, next))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let (body, next) = shared.value
            while case let item = nrcc_take_next(next), item < count { body(worker, item) }
        }
    }
}

/// The workers `parallelFor(queueing:)` runs for `count` items: one per core, at most one per item.
public func queueWorkers(_ count: Int) -> Int { max(1, min(processorCount, count)) }

/// `0..<count` cut into at most `Shards.maximum` contiguous shards whose boundaries depend on
/// `count` (and the caller's cap) alone, never on the cores: each shard sums its items into a
/// partial of its own and the partials are added in shard order, so a sum over a batch comes
/// out bit for bit the same on one core or sixteen.
public struct Shards: Sendable {
    /// Eight shards keep two to eight cores busy; more would multiply the partial sums.
    public static let maximum = 8

    /// The number of items cut.
    public let count: Int
    /// The number of shards, 1...maximum (0 when there are no items).
    public let shardCount: Int

    /// At most `cap` shards (and never more than items).
    public init(_ count: Int, cap: Int = Shards.maximum) {
        self.count = count
        shardCount = count <= 0 ? 0 : max(1, min(count, cap, Shards.maximum))
    }

    /// The items of shard `shard`.
    public func range(_ shard: Int) -> Range<Int> {
        (count * shard / shardCount)..<(count * (shard + 1) / shardCount)
    }

    /// Runs `body(shard, items)` for every shard, each shard handed to whichever core is free
    /// next: on a host shared with other work, a core that is held up takes fewer shards
    /// instead of keeping the others waiting.
    public func forEach(_ body: (Int, Range<Int>) -> Void) {
        if shardCount == 1 { body(0, 0..<count); return }
        parallelFor(handingOut: shardCount) { shard in body(shard, range(shard)) }
    }
}
