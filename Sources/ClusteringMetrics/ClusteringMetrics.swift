// The ClusteringMetrics module; see the README's layout section.
