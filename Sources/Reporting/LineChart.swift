/// One line of a chart: points (x, y) joined in order, non-finite points skipped.
struct ChartLine {
    var name: String
    var xs: [Double]
    var ys: [Double]
    var color: String
    var dashed = false
    /// Points only, no line between them (a scatter).
    var markersOnly = false
}

/// Tick positions covering [low, high] with a step of 1, 2 or 5 times a power of ten,
/// about `target` of them (Heckbert's "nice numbers"). The first tick is <= low, the last >= high.
func niceTicks(low: Double, high: Double, target: Int = 5) -> [Double] {
    var low = low, high = high
    if !(high > low) {
        let pad = low == 0 ? 1 : low.magnitude * 0.1
        (low, high) = (low - pad, high + pad)
    }
    let rough = (high - low) / Double(max(target - 1, 1))
    var power = 1.0
    while power * 10 <= rough { power *= 10 }
    while power > rough { power /= 10 }
    let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
    let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
    return stride(from: first, through: last, by: 1).map { $0 * step }
}

/// An SVG line chart with axes, ticks and gridlines; the legend is drawn by the page.
func lineChartSVG(
    lines: [ChartLine], title: String, xLabel: String, includeZero: Bool = false,
    width: Double = 340, height: Double = 230
) -> String {
    let left = 50.0, right = 12.0, top = 26.0, bottom = 38.0
    let points = lines.flatMap { line in zip(line.xs, line.ys).filter { $0.0.isFinite && $0.1.isFinite } }
    var minX = points.map(\.0).min() ?? 0, maxX = points.map(\.0).max() ?? 1
    var minY = points.map(\.1).min() ?? 0, maxY = points.map(\.1).max() ?? 1
    if includeZero { minY = min(minY, 0); maxY = max(maxY, 0) }
    if minX == maxX { (minX, maxX) = (minX - 1, maxX + 1) }
    let xTicks = niceTicks(low: minX, high: maxX, target: 6).filter { $0 >= minX - 1e-9 && $0 <= maxX + 1e-9 }
    let yTicks = niceTicks(low: minY, high: maxY, target: 5)
    minY = yTicks.first ?? minY
    maxY = yTicks.last ?? maxY

    let plotWidth = width - left - right, plotHeight = height - top - bottom
    func x(_ value: Double) -> Double { left + (value - minX) / (maxX - minX) * plotWidth }
    func y(_ value: Double) -> Double { top + (maxY - value) / max(maxY - minY, 1e-300) * plotHeight }

    var canvas = SVGCanvas(width: width, height: height)
    canvas.text(title, x: left, y: 15, size: 13, fill: "#222", weight: "600")
    for tick in yTicks {
        canvas.line(x1: left, y1: y(tick), x2: width - right, y2: y(tick), stroke: "#eceef1")
        canvas.text(formatCompact(tick), x: left - 6, y: y(tick) + 4, anchor: "end", size: 11, fill: "#666")
    }
    for tick in xTicks {
        canvas.line(x1: x(tick), y1: top + plotHeight, x2: x(tick), y2: top + plotHeight + 4, stroke: "#999")
        canvas.text(formatCompact(tick), x: x(tick), y: top + plotHeight + 17, anchor: "middle", size: 11, fill: "#666")
    }
    canvas.line(x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, stroke: "#999")
    canvas.text(xLabel, x: left + plotWidth / 2, y: height - 4, anchor: "middle", size: 11, fill: "#555")

    for line in lines {
        let visible = zip(line.xs, line.ys).filter { $0.0.isFinite && $0.1.isFinite }.map { (x: x($0.0), y: y($0.1)) }
        if visible.count > 1 && !line.markersOnly {
            canvas.polyline(points: visible, stroke: line.color, strokeWidth: line.dashed ? 1.5 : 2, dashed: line.dashed)
        }
        if line.markersOnly || (!line.dashed && visible.count <= 24) {
            for point in visible { canvas.circle(x: point.x, y: point.y, radius: 2.5, fill: line.color) }
        }
    }
    return canvas.rendered(label: title)
}
