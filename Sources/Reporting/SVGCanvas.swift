/// A minimal SVG writer: each call appends one element, numbers rounded to 0.1 px so that a
/// 5,000-point scatter stays a few hundred kilobytes. All text passes through `escapeHTML`.
struct SVGCanvas {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// The finished `<svg>` element; `label` becomes its accessible name.
    func rendered(label: String, className: String = "chart") -> String {
        let size = "width=\"\(px(width))\" height=\"\(px(height))\" viewBox=\"0 0 \(px(width)) \(px(height))\""
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(className)\" \(size) role=\"img\" "
            + "aria-label=\"\(escapeHTML(label))\">\n" + body + "</svg>"
    }

    mutating func rect(
        x: Double, y: Double, width: Double, height: Double,
        fill: String, stroke: String? = nil, strokeWidth: Double = 1, title: String? = nil
    ) {
        body += "<rect x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(px(width))\" height=\"\(px(height))\" fill=\"\(fill)\""
        if let stroke { body += " stroke=\"\(stroke)\" stroke-width=\"\(px(strokeWidth))\"" }
        if let title {
            body += "><title>\(escapeHTML(title))</title></rect>\n"
        } else {
            body += "/>\n"
        }
    }

    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double,
        stroke: String, strokeWidth: Double = 1, dashed: Bool = false
    ) {
        body += "<line x1=\"\(px(x1))\" y1=\"\(px(y1))\" x2=\"\(px(x2))\" y2=\"\(px(y2))\" stroke=\"\(stroke)\""
            + " stroke-width=\"\(px(strokeWidth))\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n"
    }

    mutating func polyline(points: [(x: Double, y: Double)], stroke: String, strokeWidth: Double = 2, dashed: Bool = false) {
        let coordinates = points.map { px($0.x) + "," + px($0.y) }.joined(separator: " ")
        body += "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(px(strokeWidth))\""
            + " stroke-linejoin=\"round\" stroke-linecap=\"round\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n"
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String) {
        body += "<circle cx=\"\(px(x))\" cy=\"\(px(y))\" r=\"\(px(radius))\" fill=\"\(fill)\"/>\n"
    }

    /// Text at (x, y); `anchor` is "start", "middle" or "end"; `rotation` in degrees about (x, y);
    /// `halo` draws a white outline under the letters so they stay readable over points.
    mutating func text(
        _ content: String, x: Double, y: Double, anchor: String = "start",
        size: Double = 12, fill: String = "#333", weight: String? = nil, rotation: Double = 0, halo: Bool = false
    ) {
        body += "<text x=\"\(px(x))\" y=\"\(px(y))\" text-anchor=\"\(anchor)\" font-size=\"\(px(size))\" fill=\"\(fill)\""
        if let weight { body += " font-weight=\"\(weight)\"" }
        if halo { body += " stroke=\"#fff\" stroke-width=\"3\" stroke-opacity=\"0.85\" paint-order=\"stroke\"" }
        if rotation != 0 { body += " transform=\"rotate(\(px(rotation)) \(px(x)) \(px(y)))\"" }
        body += ">\(escapeHTML(content))</text>\n"
    }

    /// Opens a group whose children share attributes (e.g. `fill-opacity`); close with `closeGroup`.
    mutating func openGroup(attributes: String) {
        body += "<g \(attributes)>\n"
    }

    mutating func closeGroup() {
        body += "</g>\n"
    }
}

/// A coordinate with at most one decimal: "12.3", "40".
func px(_ value: Double) -> String {
    trimZeros(formatFixed(value, digits: 1))
}
