// Benchmarks of the contrastive suite; filled in by the module that owns it.
func runContrastiveBenchmarks() throws {}
