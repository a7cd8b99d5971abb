// The Clustering module; see the README's layout section.
