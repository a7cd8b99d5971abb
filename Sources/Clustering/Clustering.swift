// The Clustering module: groups points without being told k (GridShift, and MeanShift++ as
// its slower check) or with k given (k-means), on plain row-major `[Float]` matrices of
// `n x dimension` values, one point per row.
//
//     let found = try gridShift(points, dimension: 3)                 // automatic bandwidth
//     let fixed = try gridShift(points, dimension: 3, bandwidth: .fixed(1.0))
//     let merged = found.mergingSmallClusters()                       // optional post-step
//     let baseline = try kMeans(points, dimension: 3, clusterCount: 10)
//
// Every entry point validates its input once and throws `ClusteringError` (what was
// expected, what was found, how to fix it); every random choice is seeded.
