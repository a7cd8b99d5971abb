/// The stages of `nrcc run`, in order; each writes one artefact into the run folder.
public enum Stage: String, CaseIterable, Codable, Sendable, Comparable {
    /// Contrastive training: `training/checkpoint.safetensors`, `training/training.jsonl`.
    case train
    /// The trained encoder on every image: `embeddings.npy`.
    case embed
    /// UMAP (or t-SNE) to 3-D: `coordinates.npy`.
    case reduce
    /// GridShift (or k-means) and the scores: `labels.csv`, `metrics.json`.
    case cluster
    /// `report.html`.
    case report

    public static func < (lhs: Stage, rhs: Stage) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
