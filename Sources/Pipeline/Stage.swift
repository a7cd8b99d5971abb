/// The stages of `nrcc run`, in order, each with the artefacts it writes into the run folder.
public enum Stage: String, CaseIterable, Codable, Sendable, Comparable {
    /// Contrastive training.
    case train
    /// The trained encoder on every image.
    case embed
    /// UMAP (or t-SNE) to 3-D.
    case reduce
    /// The same reduction of the raw pixels, the yardstick the embedding's clusters are
    /// compared with (`PixelBaseline`); images only, and skipped with `--no-pixel-baseline`.
    case baseline
    /// GridShift (or k-means) and the scores; milliseconds, so redone on every run, which
    /// keeps the labels, the metrics and the report in agreement.
    case cluster
    /// The HTML report; redone on every run, like `cluster`.
    case report

    /// What the stage writes, relative to the run folder.
    public var artefacts: [String] {
        switch self {
        case .train: [RunLayout.training]
        case .embed: [RunLayout.embeddings, RunLayout.viewDistances]
        case .reduce: [RunLayout.coordinates]
        case .baseline: [RunLayout.baselineCoordinates]
        case .cluster: [RunLayout.labels, RunLayout.metrics, RunLayout.baselineLabels]
        case .report: [RunLayout.report]
        }
    }

    /// Whether the stage runs even when the ledger says it finished with the same inputs.
    var alwaysRuns: Bool { self >= .cluster }

    public static func < (lhs: Stage, rhs: Stage) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The names in a run folder, in one place (see `RunDirectory` for the whole layout).
public enum RunLayout {
    public static let settings = "settings.json"
    public static let training = "training"
    public static let checkpoint = "checkpoint.safetensors"
    public static let trainingLog = "training.jsonl"
    public static let trainingSettings = "settings.json"
    public static let embeddings = "embeddings.npy"
    /// The paper's Tables 1 and 13 for the trained encoder (`ViewDistance` rows).
    public static let viewDistances = "view_distances.json"
    public static let coordinates = "coordinates.npy"
    /// The raw pixels' layout and clusters (`Stage.baseline`).
    public static let baselineCoordinates = "pixel_coordinates.npy"
    public static let baselineLabels = "pixel_labels.csv"
    /// The learned embedding's clusters, written when the run's answer is the pixels'.
    public static let embeddingLabels = "embedding_labels.csv"
    public static let labels = "labels.csv"
    public static let metrics = "metrics.json"
    public static let report = "report.html"

    /// The training checkpoint of `nrcc run`, relative to the run folder.
    public static var trainingCheckpoint: String { training + "/" + checkpoint }
}
