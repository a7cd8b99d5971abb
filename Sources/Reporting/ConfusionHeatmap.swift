/// The most cluster rows the heatmap draws; the smallest clusters beyond it are summed in one row.
let heatmapRowLimit = 60

/// The confusion matrix as an SVG heatmap: one row per cluster (in the overview's order, so
/// the matched cells run down the diagonal), one column per class, the count in each cell.
/// A cell's shade is its share of the row (how pure the cluster is); the matched cell is outlined.
func confusionHeatmapSVG(overview: ClusterOverview, className: (Int) -> String) -> String {
    var rows = zip(overview.clusters, overview.counts).map { (name: "cluster \($0.0)", cluster: Optional($0.0), counts: $0.1) }
    if rows.count > heatmapRowLimit {
        let rest = rows[(heatmapRowLimit - 1)...]
        let summed = rest.reduce(into: [Int](repeating: 0, count: overview.classes.count)) { total, row in
            for column in total.indices { total[column] += row.counts[column] }
        }
        rows = Array(rows[..<(heatmapRowLimit - 1)]) + [(name: "\(rest.count) more clusters", cluster: nil, counts: summed)]
    }
    if overview.unassignedCount > 0 {
        rows.append((name: "unassigned", cluster: nil, counts: overview.unassignedByClass))
    }

    let columns = overview.classes.count
    let labels = overview.classes.map(className)
    let longestLabel = Double(labels.map(\.count).max() ?? 1)
    let cellWidth = max(30, min(54, 860 / Double(max(columns, 1))))
    let cellHeight = 22.0
    let left = 150.0
    let top = min(150, 16 + 6.5 * longestLabel * 0.72) + 8  // room for the labels, slanted 45 degrees
    let width = left + cellWidth * Double(columns) + 64
    let height = top + cellHeight * Double(rows.count) + 8

    var canvas = SVGCanvas(width: width, height: height)
    for (column, label) in labels.enumerated() {
        let x = left + cellWidth * (Double(column) + 0.5)
        canvas.text(shortened(label, to: 22), x: x, y: top - 6, size: 11, fill: "#444", rotation: -45)
    }
    canvas.text("size", x: left + cellWidth * Double(columns) + 8, y: top - 6, size: 11, fill: "#444")
    for (rowIndex, row) in rows.enumerated() {
        let y = top + cellHeight * Double(rowIndex)
        let total = row.counts.reduce(0, +)
        if let cluster = row.cluster {
            canvas.rect(x: 6, y: y + 6, width: 10, height: 10, fill: overview.color(ofCluster: cluster))
        }
        canvas.text(row.name, x: 22, y: y + 15, size: 11.5, fill: "#333")
        canvas.text(formatCount(total), x: left + cellWidth * Double(columns) + 8, y: y + 15, size: 11, fill: "#666")
        for (column, count) in row.counts.enumerated() {
            let x = left + cellWidth * Double(column)
            let share = total > 0 ? Double(count) / Double(total) : 0
            let matched = row.cluster.map { overview.matchedClass[$0] == overview.classes[column] } ?? false
            canvas.rect(
                x: x + 0.5, y: y + 0.5, width: cellWidth - 1, height: cellHeight - 1, fill: heatColor(share),
                stroke: matched ? "#111" : nil, strokeWidth: 1.5,
                title: "\(row.name), \(labels[column]): \(formatCount(count))")
            if count > 0 {
                canvas.text(
                    formatCount(count), x: x + cellWidth / 2, y: y + 15, anchor: "middle", size: count >= 10_000 ? 9.5 : 11,
                    fill: share > 0.5 ? "#fff" : "#333")
            }
        }
    }
    return canvas.rendered(label: "Confusion matrix: clusters against classes", className: "heatmap")
}

/// White to a deep blue as `share` goes from 0 to 1, on a square-root scale so small leaks show;
/// empty cells a faint grey, so the grid stays readable.
func heatColor(_ share: Double) -> String {
    guard share > 0 else { return "#f4f5f7" }
    let t = min(1, max(0, share)).squareRoot()
    let (r, g, b) = (255 - 226 * t, 255 - 161 * t, 255 - 87 * t)  // #ffffff -> #1d5ea8
    return "rgb(\(Int(r.rounded())),\(Int(g.rounded())),\(Int(b.rounded())))"
}

func shortened(_ text: String, to length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
}
