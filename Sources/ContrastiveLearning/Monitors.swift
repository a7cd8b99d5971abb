// What a run reports while it trains (SPEC §5): never used to choose a checkpoint.
import Basics
import Foundation

/// The monitors of one finished epoch: one line of the run's `training.jsonl`.
public struct EpochMonitors: Sendable, Codable, Equatable {
    /// The epoch just finished (0-based) and the global step count after it.
    public var epoch: Int
    public var globalStep: Int
    /// Means over the epoch's steps: the total loss, the paradigm's part (BYOL,
    /// InfoNCE, SimSiam or Barlow Twins) and the regularizer R (before its weight lambda; 0 when off).
    public var loss: Double
    public var contrastiveLoss: Double
    public var regularizerLoss: Double
    /// The cluster head's objective L_c (before its weight); nil without the head.
    public var clusterLoss: Double?
    /// The regularizer's parts, gradient sizes and negatives' distances, means over the
    /// epoch's steps; nil when it is off.
    public var regularizerTerms: RegularizerTerms?
    /// The learning rate and target momentum of the epoch's last step.
    public var learningRate: Double
    public var targetMomentum: Double?
    /// Weighted kNN accuracy (k 20, t 0.07, leave-one-out) of the embedding on the monitor
    /// subset; nil without labels or monitors.
    public var knnAccuracy: Double?
    /// Mean over dimensions of the std over samples of the L2-normalised embedding
    /// (collapse alarm: 0 when collapsed, about 1/sqrt(D) = 0.0625 at D = 256 when healthy).
    public var featureStandardDeviation: Double?
    /// Training throughput over the epoch (monitors excluded).
    public var imagesPerSecond: Double
    /// Seconds of the epoch's training steps, and of its monitors.
    public var trainingSeconds: Double
    public var monitorSeconds: Double
    /// Data-parallel runs only (nil on one process): the ranks, the bytes of gradient each
    /// step averaged over them, and the mean seconds per step that averaging took on rank 0.
    public var processCount: Int?
    public var allreduceBytesPerStep: Int?
    public var allreduceSecondsPerStep: Double?
}

/// Progress of a run, delivered to the caller's callback.
public enum TrainingProgress: Sendable {
    /// A step finished: (epoch, step within it, steps per epoch, total loss).
    case step(epoch: Int, step: Int, stepsPerEpoch: Int, loss: Float)
    /// An epoch finished, its checkpoint is written.
    case epoch(EpochMonitors)
}

/// The mean over dimensions of the standard deviation over rows of `features`
/// ([rows, dimension], rows already L2-normalised): SimSiam's collapse monitor.
public func featureStandardDeviation(_ features: [Float], dimension: Int) -> Double {
    checkArgument(dimension > 0 && features.count % dimension == 0,
                 "featureStandardDeviation: \(features.count) values do not make rows of \(dimension)")
    let rows = features.count / dimension
    guard rows >= 2 else { return 0 }
    var total = 0.0
    for column in 0..<dimension {
        var sum = 0.0, squares = 0.0
        for row in 0..<rows {
            let value = Double(features[row * dimension + column])
            sum += value
            squares += value * value
        }
        let mean = sum / Double(rows)
        total += max(0, squares / Double(rows) - mean * mean).squareRoot()
    }
    return total / Double(dimension)
}
