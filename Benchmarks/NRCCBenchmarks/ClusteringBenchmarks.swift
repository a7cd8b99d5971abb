// Benchmarks of the clustering suite; filled in by the module that owns it.
func runClusteringBenchmarks() throws {}
