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
    /// How many augmented views each image's features are averaged over (`EmbeddingViews`):
    /// unless given, the default for the training paradigm and whether k-means is given k, 0
    /// without training; settings written before the option existed read as 0, each image
    /// alone.
    public var embeddingViews: Int
    /// The reduction and clustering.
    public var clustering: ClusterSettings
    /// Whether the raw pixels are reduced and clustered the same way, for comparison
    /// (`PixelBaseline`); settings written before it existed read as true.
    public var pixelBaseline: Bool
    /// Whose partition is the run's answer (`ClusterSource`); settings written before the
    /// choice existed read as `.embedding`, which is what those runs reported.
    public var clustersFrom: ClusterSource

    public init(dataset: String, split: DatasetSplit? = nil, training: TrainingConfiguration?,
                features: EmbeddingFeatures = .projection, embeddingViews: Int? = nil, clustering: ClusterSettings,
                pixelBaseline: Bool = true, clustersFrom: ClusterSource = .auto) {
        self.dataset = dataset
        self.split = split == .all ? nil : split
        self.training = training
        self.features = features
        self.embeddingViews = embeddingViews ?? training.map {
            EmbeddingViews.defaultCount(for: $0.paradigm, clusterCountGiven: clustering.method == .kmeans)
        } ?? 0
        self.clustering = clustering
        self.pixelBaseline = pixelBaseline
        self.clustersFrom = clustersFrom
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dataset = try container.decode(String.self, forKey: .dataset)
        split = try container.decodeIfPresent(DatasetSplit.self, forKey: .split)
        training = try container.decodeIfPresent(TrainingConfiguration.self, forKey: .training)
        features = try container.decode(EmbeddingFeatures.self, forKey: .features)
        embeddingViews = try container.decodeIfPresent(Int.self, forKey: .embeddingViews) ?? 0
        clustering = try container.decode(ClusterSettings.self, forKey: .clustering)
        pixelBaseline = try container.decodeIfPresent(Bool.self, forKey: .pixelBaseline) ?? true
        clustersFrom = try container.decodeIfPresent(ClusterSource.self, forKey: .clustersFrom) ?? .embedding
    }
}
