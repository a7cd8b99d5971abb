// The Datasets module; see the README's layout section.
