// Benchmarks of the manifold suite; filled in by the module that owns it.
func runManifoldBenchmarks() throws {}
