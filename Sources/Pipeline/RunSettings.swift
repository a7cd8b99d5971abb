import ContrastiveLearning
import Datasets

/// Every resolved setting of `nrcc run`, written to `settings.json` next to the results.
public struct RunSettings: Codable, Sendable, Equatable {
    /// The dataset name or path.
    public var dataset: String
    /// Its split (nil: every split, train then test).
    public var split: DatasetSplit?
    /// The training run; nil when the input is a feature matrix, which skips training.
    public var training: TrainingConfiguration?
    /// Which features of the trained networks are clustered.
    public var features: EmbeddingFeatures
    /// The reduction and clustering.
    public var clustering: ClusterSettings

    public init(dataset: String, split: DatasetSplit? = nil, training: TrainingConfiguration?,
                features: EmbeddingFeatures = .projection, clustering: ClusterSettings) {
        self.dataset = dataset
        self.split = split == .all ? nil : split
        self.training = training
        self.features = features
        self.clustering = clustering
    }
}
