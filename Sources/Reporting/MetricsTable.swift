/// The metrics as an aligned plain-text table for the terminal, one row per clustering:
///
///     clustering         clusters    ACC    NMI    ARI    AMI
///     GridShift                12  0.912  0.876  0.843  0.877
///     merged (< 50 pts)        10  0.930  0.881  0.862  0.880
///     true classes             10
///
/// Scores print with three decimals; a row without scores shows "-". Without any scores
/// (no labels) the score columns are left out and a last line says why. Lines end in "\n".
public func formatMetricsTable(_ metrics: ReportMetrics) -> String {
    let scored = metrics.rows.contains { $0.scores != nil }
    var table: [[String]] = [["clustering", "clusters"] + (scored ? ["ACC", "NMI", "ARI", "AMI"] : [])]
    for row in metrics.rows {
        var cells = [row.name, formatCount(row.clusters)]
        if scored {
            cells += row.scores.map {
                [$0.accuracy, $0.normalizedMutualInformation, $0.adjustedRandIndex, $0.adjustedMutualInformation]
                    .map { formatFixed($0, digits: 3) }
            } ?? ["-", "-", "-", "-"]
        }
        table.append(cells)
    }
    if let classes = metrics.classes { table.append(["true classes", formatCount(classes)]) }

    let columns = table.map(\.count).max() ?? 0
    let widths = (0..<columns).map { column in table.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    var text = ""
    for cells in table {
        var line = ""
        for (column, cell) in cells.enumerated() {
            let padding = String(repeating: " ", count: widths[column] - cell.count)
            // Names align left, numbers right.
            line += column == 0 ? cell + padding : "  " + padding + cell
        }
        text += line + "\n"
    }
    if !scored { text += "no labels, so no scores\n" }
    return text
}
