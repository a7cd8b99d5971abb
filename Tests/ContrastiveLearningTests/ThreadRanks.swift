import Basics
import Foundation

/// Ranks of a data-parallel run as threads of one process, for tests without MPI: every
/// collective meets at a barrier, and sums run in rank order (the same on every rank).
final class ThreadRanks: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    // Written by each rank at its own index under the lock, read by all after the barrier.
    private var floats: [[Float]]
    private var doubles: [[Double]]

    init(size: Int) {
        self.size = size
        floats = Array(repeating: [], count: size)
        doubles = Array(repeating: [], count: size)
    }

    /// Rank `rank` of these threads, as a `Collective`.
    func rank(_ rank: Int) -> ThreadRank { ThreadRank(ranks: self, rank: rank) }

    /// Runs `body(rank)` on `size` threads at once and waits for all; the first error thrown wins.
    func run(_ body: @escaping @Sendable (ThreadRank) throws -> Void) throws {
        let done = DispatchGroup()
        let failures = Failures()
        for index in 0..<size {
            done.enter()
            let thread = Thread { [self] in
                do { try body(rank(index)) } catch { failures.record(error) }
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        if let error = failures.first { throw error }
    }

    func barrier() {
        condition.lock()
        let current = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while current == generation { condition.wait() }
        }
        condition.unlock()
    }

    func sum(_ values: [Float], rank: Int) -> [Float] {
        exchange { $0.floats[rank] = values } read: { ranks in
            (0..<values.count).map { i in (0..<ranks.size).reduce(Float(0)) { $0 + ranks.floats[$1][i] } }
        }
    }

    func sum(_ values: [Double], rank: Int) -> [Double] {
        exchange { $0.doubles[rank] = values } read: { ranks in
            (0..<values.count).map { i in (0..<ranks.size).reduce(0.0) { $0 + ranks.doubles[$1][i] } }
        }
    }

    func broadcast(_ values: [Float], rank: Int, root: Int) -> [Float] {
        exchange { $0.floats[rank] = values } read: { $0.floats[root] }
    }

    /// Writes this rank's part, waits for all, reads, and waits again before anyone writes anew.
    private func exchange<Result>(write: (ThreadRanks) -> Void, read: (ThreadRanks) -> Result) -> Result {
        condition.lock()
        write(self)
        condition.unlock()
        barrier()
        condition.lock()
        let result = read(self)
        condition.unlock()
        barrier()
        return result
    }
}

/// One thread's view of `ThreadRanks`.
struct ThreadRank: Collective {
    let ranks: ThreadRanks
    let rank: Int
    var size: Int { ranks.size }

    func average(_ values: UnsafeMutableBufferPointer<Float>) {
        let total = ranks.sum(Array(values), rank: rank)
        for i in values.indices { values[i] = total[i] / Float(size) }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        let total = ranks.sum(Array(values), rank: rank)
        for i in values.indices { values[i] = total[i] }
    }

    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) {
        let source = ranks.broadcast(Array(values), rank: rank, root: root)
        for i in values.indices { values[i] = source[i] }
    }

    func abort(status: Int32) -> Never { fatalError("rank \(rank) aborted with status \(status)") }
}

/// The errors thrown on the threads, the first kept.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []

    func record(_ error: Error) { lock.withLock { errors.append(error) } }
    var first: Error? { lock.withLock { errors.first } }
}
