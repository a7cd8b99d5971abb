// The ManifoldLearning module; see the README's layout section.
