// What can go wrong in training and embedding, said so that a user can act on it.

import Basics
import NeuralNetworks

/// A training or embedding failure; `description` says what was expected, what was found,
/// and what to do.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A setting out of its range.
    case invalidSetting(name: String, value: String, expected: String)
    /// The loss became NaN or infinite at this step; the last good checkpoint is untouched.
    case nonFiniteLoss(epoch: Int, step: Int, globalStep: Int, loss: Float)
    /// A checkpoint that cannot be written or used.
    case checkpoint(file: String, reason: String)
    /// A checkpoint file that cannot be read, with the reader's own error.
    case unreadableCheckpoint(CheckpointError)
    /// `--resume` with settings that differ from the checkpoint's.
    case configurationMismatch(file: String, setting: String)
    /// `--resume` with another number of processes than the checkpoint was trained with.
    case processCountMismatch(file: String, trained: Int, running: Int)
    /// The dataset does not fit the network (channels) or is too small for one batch.
    case incompatibleDataset(expected: String, found: String)
    /// The checkpoint's networks give NaN or infinite features for some images.
    case nonFiniteEmbedding(file: String, images: Int)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, expected):
            invalidSettingMessage(name: name, value: value, expected: expected)
        case let .nonFiniteLoss(epoch, step, globalStep, loss):
            "the loss became \(loss) at global step \(globalStep) (epoch \(epoch), step \(step)); training stopped and the last checkpoint is intact; lower the learning rate or the regularizer weight and resume"
        case let .checkpoint(file, reason):
            "checkpoint \(file): \(reason)"
        case let .unreadableCheckpoint(error):
            "\(error)"
        case let .configurationMismatch(file, setting):
            "cannot resume from \(file): its settings differ from this run's in \(setting); resume with the same settings (only --epochs may grow) or start a new output directory"
        case let .processCountMismatch(file, trained, running):
            "cannot resume from \(file): it was trained by \(trained) process\(trained == 1 ? "" : "es"), this run has \(running); the batch statistics, the per-process negatives and the random streams depend on the count, so resume with \(trained == 1 ? "one process (nrcc train, or mpirun -np 1)" : "mpirun -np \(trained)") or start a new output directory"
        case let .incompatibleDataset(expected, found):
            "the dataset does not fit: expected \(expected), found \(found)"
        case let .nonFiniteEmbedding(file, images):
            "checkpoint \(file) gives NaN or infinite features for \(images) images: its weights are damaged or diverged; nothing was written; retrain, or use an earlier checkpoint"
        }
    }
}
