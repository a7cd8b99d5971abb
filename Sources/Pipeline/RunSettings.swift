import ContrastiveLearning

/// Every resolved setting of `nrcc run`, written to `settings.json` next to the results.
public struct RunSettings: Codable, Sendable, Equatable {
    /// The dataset name or path.
    public var dataset: String
    /// The training run; nil when the input is a feature matrix, which skips training.
    public var training: TrainingConfiguration?
    /// Which features of the trained networks are clustered.
    public var features: EmbeddingFeatures
    /// The reduction and clustering.
    public var clustering: ClusterSettings

    public init(dataset: String, training: TrainingConfiguration?, features: EmbeddingFeatures = .projection,
                clustering: ClusterSettings) {
        self.dataset = dataset
        self.training = training
        self.features = features
        self.clustering = clustering
    }
}
