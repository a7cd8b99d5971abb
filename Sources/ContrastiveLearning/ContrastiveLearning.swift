// The ContrastiveLearning module; see the README's layout section.
