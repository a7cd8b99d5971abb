// Data-parallel training: every rank holds the networks, trains on its rows of each global
// batch, and the ranks average their gradients before every optimiser step (PyTorch's
// DistributedDataParallel). The ranks are a `Collective`; MPI is one, behind the library.
import Basics
import Dispatch
import TensorCore

/// How a run is spread over processes; nil in `TrainingConfiguration` means one process.
///
/// Each of `processCount` ranks trains on `batchSize / processCount` rows of every batch of
/// `batchSize` (the same global batches, in the same seeded order, as one process). The
/// averaged gradient of a loss that is a mean over samples (BYOL's, SimSiam's) is then the
/// one-process gradient of the global batch; the batch-wide parts stay per rank: InfoNCE's
/// negatives, Barlow Twins' correlation, the NRCC regularizer's log-sum-exp and SGHMC's views
/// (docs/distributed.md).
public struct DataParallelism: Sendable, Codable, Equatable {
    /// The number of processes (MPI ranks), at least 2.
    public var processCount: Int
    /// Whether batch normalisation uses the statistics of the global batch (PyTorch's
    /// `SyncBatchNorm`, the authors' DDP setting; `--sync-batch-norm`) rather than each
    /// rank's own rows.
    public var synchronizesBatchNorm: Bool

    public init(processCount: Int, synchronizesBatchNorm: Bool) {
        self.processCount = processCount
        self.synchronizesBatchNorm = synchronizesBatchNorm
    }

    /// Throws `TrainingError.invalidSetting` unless the ranks can share `batchSize` evenly,
    /// at least two rows each (batch statistics need two).
    func validate(batchSize: Int) throws {
        guard processCount >= 2 else {
            throw TrainingError.invalidSetting(name: "processCount", value: "\(processCount)",
                                               expected: ">= 2 (one process trains without data parallelism)")
        }
        guard batchSize % processCount == 0 else {
            throw TrainingError.invalidSetting(
                name: "batchSize", value: "\(batchSize)",
                expected: "a multiple of the \(processCount) processes, so that every rank takes as many rows; use --batch-size \(max(1, batchSize / processCount) * processCount)")
        }
        guard batchSize / processCount >= 2 else {
            throw TrainingError.invalidSetting(
                name: "batchSize", value: "\(batchSize)",
                expected: "at least 2 rows per process (\(2 * processCount) for \(processCount) processes)")
        }
    }
}

/// Averages the gradients of a list of parameters over the ranks, in buckets of about
/// `bucketBytes`, in reverse order of the list (the order a backward pass finishes them in).
///
/// The gradients are copied into one flat buffer, allocated once, whose buckets the
/// collective may reduce concurrently (`average(buckets:)`), and copied back. Every rank
/// must have gradients for the same parameters (the same graph), as it does when the ranks
/// run the same step.
final class GradientAverager {
    let collective: any Collective
    /// The parameters, last first.
    private let parameters: [Tensor]
    private var buffer: [Float]
    /// The bytes of the largest bucket: 1 MiB, a few of them in flight for the networks here.
    static let bucketBytes = 1 << 20

    /// The bytes reduced by the last `average()`, and the seconds it took.
    private(set) var lastBytes = 0
    private(set) var lastSeconds = 0.0

    init(parameters: [Tensor], collective: any Collective) {
        self.collective = collective
        self.parameters = parameters.reversed()
        buffer = [Float](repeating: 0, count: parameters.reduce(0) { $0 + $1.count })
    }

    /// Replaces every gradient with its mean over the ranks.
    func average() {
        let start = DispatchTime.now().uptimeNanoseconds
        let present = parameters.filter { $0.gradient != nil }
        let limit = Self.bucketBytes / MemoryLayout<Float>.stride
        var total = 0
        buffer.withUnsafeMutableBufferPointer { flat in
            // Pack: each bucket is a run of whole gradients, closed once it reaches the limit.
            var buckets: [UnsafeMutableBufferPointer<Float>] = []
            var bucketStart = 0
            for parameter in present {
                parameter.gradient!.withUnsafeBufferPointer { gradient in
                    _ = UnsafeMutableBufferPointer(rebasing: flat[total..<(total + gradient.count)]).initialize(from: gradient)
                }
                total += parameter.count
                if total - bucketStart >= limit {
                    buckets.append(UnsafeMutableBufferPointer(rebasing: flat[bucketStart..<total]))
                    bucketStart = total
                }
            }
            if total > bucketStart { buckets.append(UnsafeMutableBufferPointer(rebasing: flat[bucketStart..<total])) }
            collective.average(buckets: buckets)
            var offset = 0
            for parameter in present {
                parameter.gradient!.withUnsafeMutableBufferPointer { gradient in
                    _ = gradient.initialize(from: UnsafeMutableBufferPointer(rebasing: flat[offset..<(offset + gradient.count)]))
                }
                offset += parameter.count
            }
        }
        lastBytes = total * MemoryLayout<Float>.stride
        lastSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// Every tensor of `state` (rank 0's values, on every rank), in one broadcast.
func broadcastFromWriter(_ state: [Tensor], collective: any Collective) {
    guard collective.size > 1 else { return }
    var flat = [Float]()
    flat.reserveCapacity(state.reduce(0) { $0 + $1.count })
    for tensor in state { flat += tensor.scalars }
    collective.broadcast(&flat, root: 0)
    var offset = 0
    for tensor in state {
        tensor.withUnsafeMutableBufferPointer { values in
            for i in 0..<values.count { values[i] = flat[offset + i] }
        }
        offset += tensor.count
    }
}

/// Rank 0's integers on every rank, exactly (a sum to which the other ranks add zeros).
func shareFromWriter(_ values: [Int], collective: any Collective) -> [Int] {
    guard collective.size > 1 else { return values }
    var totals = collective.isWriter ? values.map(Double.init) : [Double](repeating: 0, count: values.count)
    collective.sum(&totals)
    return totals.map { Int($0) }
}
