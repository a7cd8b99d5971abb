// The cluster-level objective of Contrastive Clustering (Li et al. 2021), beyond the paper:
// a head that assigns each image softly to one of K groups, trained so that both views of
// an image agree on the group and every group is used.
import Foundation
import Basics
import TensorCore

/// The settings of the cluster head c and its objective; nil in a configuration turns both off.
///
/// K is an upper bound on the groups, not the number sought: the embedding is still the
/// projector's, and UMAP + GridShift still find the number of clusters. The head shapes the
/// backbone that the projector reads, so that images of one class gather into one dense
/// region rather than spreading evenly, as instance discrimination alone makes them.
public struct ClusterHeadSettings: Sendable, Codable, Equatable {
    /// K, the head's outputs.
    public var size: Int
    /// Weight w_c of the objective in the total loss `L + lambda R + w_c L_c`.
    public var weight: Float
    /// tau_c, the temperature of the contrast between the groups' columns (1 in the paper of
    /// Li et al.).
    public var temperature: Float

    public init(size: Int = 30, weight: Float = 1, temperature: Float = 1) {
        self.size = size
        self.weight = weight
        self.temperature = temperature
    }

    /// The largest K: the objective contrasts 2K columns, a 2K x 2K similarity matrix.
    public static let maximumSize = 4096

    /// Throws `TrainingError.invalidSetting` for the first value out of range.
    public func validate() throws {
        if size < 2 {
            throw TrainingError.invalidSetting(name: "cluster head size K", value: "\(size)", expected: ">= 2")
        }
        if size > Self.maximumSize {
            throw TrainingError.invalidSetting(name: "cluster head size K", value: "\(size)", expected: "<= \(Self.maximumSize)")
        }
        if !(weight >= 0 && weight.isFinite) {
            throw TrainingError.invalidSetting(name: "cluster head weight", value: "\(weight)", expected: "a finite number >= 0")
        }
        if !(temperature > 0 && temperature.isFinite) {
            throw TrainingError.invalidSetting(name: "cluster head temperature", value: "\(temperature)", expected: "a finite number > 0")
        }
    }
}

/// The cluster-level loss of Contrastive Clustering for the head's logits of views a and b
/// ([N, K] each). With P^a = softmax(logits a) row by row, column k of P^a is group k seen
/// through the batch; the loss contrasts the 2K columns with NT-Xent (column k of P^a and
/// column k of P^b are positives, `temperature` tau_c) and adds, for each view, the entropy
/// deficit of the mean assignment m = mean_i P_i:
///
///     L_c = NT-Xent(columns of P^a, columns of P^b; tau_c) + sum over views (log K - H(m))
///
/// The deficit is 0 when the batch uses every group equally; it keeps the head from putting
/// everything in one group. This is Li et al.'s `ClusterLoss` (their code's form).
///
/// - Returns: a scalar.
public func clusterContrastiveLoss(logitsA: Tensor, logitsB: Tensor, temperature: Float = 1) -> Tensor {
    checkArgument(logitsA.shape == logitsB.shape && logitsA.rank == 2,
                 "clusterContrastiveLoss: shapes \(logitsA.shape) and \(logitsB.shape) must be equal [N, K]")
    let groups = logitsA.shape[1]
    checkArgument(groups >= 2, "clusterContrastiveLoss: K = \(groups) groups, need at least 2")
    let assignmentsA = logitsA.softmaxRows(), assignmentsB = logitsB.softmaxRows()
    let contrast = ntXentLoss(assignmentsA.transposed(), assignmentsB.transposed(), temperature: temperature)
    func entropyDeficit(_ assignments: Tensor) -> Tensor {
        let marginal = assignments.mean(alongAxis: 0)
        return (marginal * marginal.clamped(lower: .leastNormalMagnitude).log()).sum() + Float(Foundation.log(Double(groups)))
    }
    return contrast + entropyDeficit(assignmentsA) + entropyDeficit(assignmentsB)
}
