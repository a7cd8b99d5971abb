// The NeuralNetworks module; see the README's layout section.
