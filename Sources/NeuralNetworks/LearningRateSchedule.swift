import Basics
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Linear warm-up then cosine decay (SPEC §5):
///     step < warmupSteps:  base (step + 1) / warmupSteps
///     afterwards:          final + (base - final) (1 + cos(pi t)) / 2,
///                          t = (step - warmupSteps) / (totalSteps - warmupSteps)
public struct WarmupCosineSchedule: Sendable, Equatable {
    public var baseLearningRate: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var finalLearningRate: Float

    public init(baseLearningRate: Float, warmupSteps: Int, totalSteps: Int, finalLearningRate: Float = 0) {
        checkArgument(warmupSteps >= 0 && totalSteps > 0 && warmupSteps <= totalSteps,
                     "WarmupCosineSchedule: warmupSteps \(warmupSteps) must lie in 0...totalSteps \(totalSteps)")
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.finalLearningRate = finalLearningRate
    }

    /// The learning rate of step `step` (0-based).
    public func learningRate(atStep step: Int) -> Float {
        if step < warmupSteps {
            return baseLearningRate * Float(step + 1) / Float(warmupSteps)
        }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        let cosine = (1 + cos(Double.pi * progress)) / 2
        return finalLearningRate + (baseLearningRate - finalLearningRate) * Float(cosine)
    }
}
