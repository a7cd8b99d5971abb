// Benchmarks of the data suite; filled in by the module that owns it.
func runDataBenchmarks() throws {}
