import Basics

/// Colours for clusters and classes.
///
/// The first 20 are Tableau's category colours (matplotlib's tab10 then the light halves of
/// tab20), which people already read as distinct; beyond 20, hues step by the golden angle so
/// that neighbouring indices never look alike.
enum Palette {
    static let categorical = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
        "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ]

    /// The colour drawn for points without a cluster.
    static let unassigned = "#b8b8b8"

    /// The colour of index `index` (0, 1, 2, ...).
    static func color(_ index: Int) -> String {
        checkArgument(index >= 0, "Palette.color: index is \(index), must be >= 0")
        if index < categorical.count { return categorical[index] }
        let step = index - categorical.count
        let hue = (Double(step) * 137.508).truncatingRemainder(dividingBy: 360)
        let lightness = step % 2 == 0 ? 45 : 62
        return "hsl(\(Int(hue)), 62%, \(lightness)%)"
    }
}
