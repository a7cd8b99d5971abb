// The processes of a data-parallel run and what they do together. The library speaks to this
// protocol only; MPI stands behind it in the `MessagePassing` module (built with the MPI trait),
// and one process needs nothing at all (`SingleProcess`).
import Foundation

/// The processes (ranks) of one data-parallel run and the collective operations between them,
/// MPI's `MPI_COMM_WORLD` in miniature.
///
/// Every rank calls the same operations, with buffers of the same length, in the same order:
/// a collective waits until all ranks have reached it. With one process each operation leaves
/// its buffer as it is.
public protocol Collective: Sendable {
    /// This process's number, 0..<`size`; rank 0 writes every file of a run.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }

    /// Replaces every element of `values` with its mean over the ranks (`MPI_Allreduce` with
    /// `MPI_SUM`, divided by `size`).
    func average(_ values: UnsafeMutableBufferPointer<Float>)

    /// Averages each buffer of `buckets` as `average` does; an implementation may have several
    /// in flight at once (`MPI_Iallreduce`), so a caller hands over all it has.
    func average(buckets: [UnsafeMutableBufferPointer<Float>])

    /// Replaces every element of `values` with its sum over the ranks (in Double: batch
    /// statistics and counts).
    func sum(_ values: UnsafeMutableBufferPointer<Double>)

    /// Copies rank `root`'s `values` into every rank's `values` (`MPI_Bcast`).
    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int)

    /// Stops every rank of the run with exit status `status` (`MPI_Abort`): what a rank does
    /// when it fails, so that the others do not wait for it forever. The caller prints why first.
    func abort(status: Int32) -> Never
}

extension Collective {
    /// Averages the buckets one after another.
    public func average(buckets: [UnsafeMutableBufferPointer<Float>]) {
        for bucket in buckets { average(bucket) }
    }

    /// Whether this rank writes the run's files (rank 0).
    public var isWriter: Bool { rank == 0 }

    /// Averages `values` in place over the ranks.
    public func average(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { average($0) }
    }

    /// Sums `values` in place over the ranks.
    public func sum(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { sum($0) }
    }

    /// Rank `root`'s `values` on every rank.
    public func broadcast(_ values: inout [Float], root: Int = 0) {
        values.withUnsafeMutableBufferPointer { broadcast($0, root: root) }
    }
}

/// One process on its own: rank 0 of 1, every collective leaves its buffer as it is.
public struct SingleProcess: Collective {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func average(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {}
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) {
        checkArgument(root == 0, "broadcast: root \(root) of a single process, expected 0")
    }
    public func abort(status: Int32) -> Never { exit(status) }
}
