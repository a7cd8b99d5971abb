// The Clustering module: groups points without being told k (GridShift, and MeanShift++ as
// its slower check) or with k given (k-means), on plain row-major `[Float]` matrices of
// `n x dimension` values, one point per row.
//
//     // No k, no bandwidth: h swept, the silhouette's or the persistence rule's partition
//     // kept, whichever is the more modular (nrcc's default).
//     let (found, choice) = try gridShift(points, dimension: 3, selecting: .modularity)
//     let bySilhouette = try gridShift(points, dimension: 3, selecting: .silhouette).result
//     let byValleys = try gridShift(points, dimension: 3, selecting: .persistence).result
//     let spaced = try gridShift(points, dimension: 3)                 // SPEC's percentile rule
//     let fixed = try gridShift(points, dimension: 3, bandwidth: .fixed(1.0))
//     let merged = found.mergingSmallClusters()                       // optional post-step
//     let baseline = try kMeans(points, dimension: 3, clusterCount: 10)
//
// Every entry point validates its input once and throws `ClusteringError` (what was
// expected, what was found, how to fix it); every random choice is seeded.
