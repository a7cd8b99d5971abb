import ContrastiveLearning

/// What a person should read before trusting a run's clusters: said after its scores, in its
/// `metrics.json` (`notices`) and at the top of its report.
public enum RunNotices {
    /// Below this many epochs a default run's embedding clustered no better than the raw
    /// pixels on every set measured (docs/defaults.md): worse on USPS at 9 epochs and on
    /// Fashion-MNIST's test images at 3, level without k on the CIFAR-10 subset at 7; COIL-20
    /// at 21 epochs and the digits at 80 clustered well ahead.
    public static let shortTrainingEpochs = 20

    /// The notices of a run of `settings` on `imageCount` images: none for a feature matrix
    /// (nothing was trained) or a training of `shortTrainingEpochs` or more.
    public static func notices(for settings: RunSettings, imageCount: Int) -> [String] {
        guard let training = settings.training, training.epochs < shortTrainingEpochs else { return [] }
        let split = settings.split.map { " --split \($0.rawValue)" } ?? ""
        let seconds = Double(shortTrainingEpochs) * training.modelledEpochSeconds(imageCount: imageCount)
        let minutes = Int((seconds / 60).rounded(.up))
        return ["""
            Short training: \(training.epochs) epoch\(training.epochs == 1 ? "" : "s"). Default runs of fewer than \(shortTrainingEpochs) \
            epochs clustered no better than the raw pixels on every set measured (docs/defaults.md). Compare \
            with the pixels (nrcc cluster \(settings.dataset)\(split)), or train \(shortTrainingEpochs) epochs \
            (--epochs \(shortTrainingEpochs), about \(minutes) minute\(minutes == 1 ? "" : "s") on two cores).
            """]
    }
}
