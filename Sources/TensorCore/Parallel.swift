import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of cores that parallel loops spread work over.
public let processorCount = ProcessInfoCores.active

enum ProcessInfoCores {
    static let active: Int = {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()
}

/// Runs `body` over `0..<count` split into at most one contiguous chunk per core.
///
/// Chunks never overlap, so a body that writes only indices of its own chunk is free of data
/// races. Work smaller than `minimumChunk` items per core runs inline on the caller's thread,
/// where thread start-up would cost more than it saves.
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
