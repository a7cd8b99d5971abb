import ContrastiveLearning
import Reporting

/// What a person should read before trusting a run's clusters: said after its scores, in its
/// `metrics.json` (`notices`) and at the top of its report.
public enum RunNotices {
    /// Below this many epochs a default run's embedding clustered no better than the raw
    /// pixels on every set measured (docs/defaults.md): worse on USPS at 9 epochs and on
    /// Fashion-MNIST's test images at 3, level without k on the CIFAR-10 subset at 7; COIL-20
    /// at 21 epochs and the digits at 80 clustered well ahead.
    public static let shortTrainingEpochs = 20

    /// The notices of a run of `settings` on `imageCount` images whose clusters `report`
    /// describes. Where the raw pixels were clustered beside the embedding and labels exist,
    /// the scores decide: a notice when the pixels scored as well or better (ACC), none when
    /// the embedding is ahead, however short its training. Without labels, a short training
    /// gets the rule of thumb, and a pixels' layout that divides more cleanly (modularity) a
    /// notice of its own. Clusters taken from the pixels (`ClusterSource`) get one notice that
    /// says so and why. A feature matrix (nothing trained) gets none.
    public static func notices(for settings: RunSettings, imageCount: Int, report: ClusteringReport) -> [String] {
        guard let training = settings.training else { return [] }
        let short = training.epochs < shortTrainingEpochs
        let longer = short ? " " + trainLonger(training, imageCount: imageCount) : ""
        if let learned = report.learnedEmbedding, let baseline = report.pixelBaseline {
            return [pixelsChosen(report, baseline: baseline, learned: learned, settings: settings, epochs: training.epochs)
                    + longer]
        }
        if let baseline = report.pixelBaseline, let pixels = baseline.scores, let acc = report.acc {
            guard pixels.acc >= acc else { return [] }
            return ["""
                The learned embedding clustered no better than the raw pixels: ACC \(formatFixed(acc, digits: 3)) \
                with \(report.clusters) clusters after \(epochs(training.epochs)), against \(formatFixed(pixels.acc, digits: 3)) \
                with \(pixels.clusters) for the pixels clustered the same way (\(RunLayout.baselineLabels)).\(longer)
                """]
        }
        var notices: [String] = []
        if short {
            let split = settings.split.map { " --split \($0.rawValue)" } ?? ""
            let pixels = report.pixelBaseline == nil ? "nrcc cluster \(settings.dataset)\(split)" : RunLayout.baselineLabels
            notices.append("""
                Short training: \(epochs(training.epochs)). Default runs of fewer than \(shortTrainingEpochs) epochs \
                clustered no better than the raw pixels on every set measured (docs/defaults.md). Compare with the \
                pixels (\(pixels)).\(longer)
                """)
        }
        if let baseline = report.pixelBaseline, let pixels = baseline.modularity,
           let embedding = baseline.embeddingModularity, pixels > embedding {
            notices.append("""
                The raw pixels' layout divides more cleanly than the learned embedding's: modularity \
                \(formatFixed(pixels, digits: 3)) with \(baseline.clusters) clusters against \
                \(formatFixed(embedding, digits: 3)) with \(report.clusters), each on its own layout's nearest-neighbour \
                graph. Of 30 labelled runs that divided less cleanly than their pixels, 29 clustered worse than them \
                (docs/defaults.md): compare the two partitions (\(RunLayout.baselineLabels); they agree at NMI \
                \(formatFixed(baseline.agreementNMI, digits: 2))).
                """)
        }
        return notices
    }

    /// The notice of a run whose clusters are the raw pixels' (`ClusterSource`), with the
    /// learned embedding's own clusters beside them.
    static func pixelsChosen(_ report: ClusteringReport, baseline: PixelBaseline, learned: LearnedPartition,
                             settings: RunSettings, epochs count: Int) -> String {
        let why = settings.clustersFrom == .pixels ? "as --clusters-from pixels asks"
            : "because their layout divides more cleanly than the learned embedding's: modularity "
                + "\(formatFixed(baseline.modularity ?? 0, digits: 3)) against "
                + "\(formatFixed(baseline.embeddingModularity ?? 0, digits: 3)), each on its own layout's nearest-neighbour graph"
        var scores = ""
        if let pixels = report.acc, let embedding = learned.scores?.acc {
            scores = " Against the labels: ACC \(formatFixed(pixels, digits: 3)) with \(report.clusters) clusters for the "
                + "pixels, \(formatFixed(embedding, digits: 3)) with \(learned.clusters) for the embedding."
        }
        return """
            These clusters are the raw pixels', \(why). The learned embedding, after \(epochs(count)), found \
            \(learned.clusters) clusters (\(RunLayout.embeddingLabels)).\(scores) --clusters-from embedding reports the \
            embedding's instead.
            """
    }

    /// Where to go from a training shorter than `shortTrainingEpochs`.
    static func trainLonger(_ training: TrainingConfiguration, imageCount: Int) -> String {
        let seconds = Double(shortTrainingEpochs) * training.modelledEpochSeconds(imageCount: imageCount)
        let minutes = Int((seconds / 60).rounded(.up))
        return "A longer training may help (--epochs \(shortTrainingEpochs): about \(minutes) "
            + "minute\(minutes == 1 ? "" : "s") on two cores), and nrcc ablation compares settings."
    }

    private static func epochs(_ count: Int) -> String { "\(count) epoch\(count == 1 ? "" : "s")" }
}
