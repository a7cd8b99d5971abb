// Benchmarks of the engine suite; filled in by the module that owns it.
func runEngineBenchmarks() throws {}
