import Basics

/// The most points one scatter plot draws; above it, a deterministic subsample is drawn.
let scatterPointLimit = 5000

/// The indices of at most `limit` points out of `count`, evenly spaced (so every class keeps
/// its share when the data are sorted by class), in a scrambled drawing order so that no
/// cluster is always painted over the others. The same `count` and `limit` give the same list.
public func scatterSubsample(count: Int, limit: Int) -> [Int] {
    checkArgument(count >= 0 && limit > 0, "scatterSubsample: count \(count) must be >= 0 and limit \(limit) > 0")
    let chosen = count <= limit ? Array(0..<count) : (0..<limit).map { $0 * count / limit }
    return chosen.sorted { (mix($0), $0) < (mix($1), $1) }
}

/// SplitMix64's finaliser: a fixed, well-spread hash of an index.
func mix(_ value: Int) -> UInt64 {
    var z = UInt64(bitPattern: Int64(value)) &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// The frame shared by the plot by cluster and the plot by label, so both show the same view
/// at the same scale: equal units on both axes, the width fixed, the height following the
/// cloud's aspect (between half and all of the width).
struct ScatterFrame {
    static let width = 500.0
    static let margin = 14.0
    let height: Double
    let scale: Double
    let xOffset: Double
    let yOffset: Double

    /// - Parameter indices: the points to fit, all with finite coordinates in `plane`.
    init(plane: PrincipalPlane, indices: [Int]) {
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for index in indices {
            minX = min(minX, plane.first[index]); maxX = max(maxX, plane.first[index])
            minY = min(minY, plane.second[index]); maxY = max(maxY, plane.second[index])
        }
        if indices.isEmpty { (minX, maxX, minY, maxY) = (-1, 1, -1, 1) }
        // A cloud flat along an axis (or a single point) is centred in a unit span.
        if maxX - minX < 1e-9 { (minX, maxX) = (minX - 0.5, maxX + 0.5) }
        if maxY - minY < 1e-9 { (minY, maxY) = (minY - 0.5, maxY + 0.5) }
        let spanX = maxX - minX, spanY = maxY - minY
        let inner = Self.width - 2 * Self.margin
        let aspect = min(1, max(0.5, spanY / spanX))
        height = (inner * aspect + 2 * Self.margin).rounded()
        scale = min(inner / spanX, (height - 2 * Self.margin) / spanY)
        // Centre the cloud in the frame.
        xOffset = Self.margin + (inner - spanX * scale) / 2 - minX * scale
        yOffset = Self.margin + (height - 2 * Self.margin - spanY * scale) / 2 + maxY * scale
    }

    func x(_ value: Double) -> Double { xOffset + value * scale }
    func y(_ value: Double) -> Double { yOffset - value * scale }  // SVG's y grows downwards
}

/// A name drawn over a group of points (a cluster's number, a class's name), at the group's
/// most central point.
struct GroupLabel {
    var text: String
    var point: Int
}

/// For each group with at least `minimumSize` points (groups >= 0 only), the point of the
/// group nearest to the group's mean in the plane: unlike the mean itself, it lies on the
/// group even when the group is curved.
func groupLabelPoints(plane: PrincipalPlane, groups: [Int], minimumSize: Int) -> [Int: Int] {
    var sums: [Int: (x: Double, y: Double, count: Int)] = [:]
    for (index, group) in groups.enumerated()
    where group >= 0 && plane.first[index].isFinite && plane.second[index].isFinite {
        let sum = sums[group] ?? (0, 0, 0)
        sums[group] = (sum.x + plane.first[index], sum.y + plane.second[index], sum.count + 1)
    }
    var nearest: [Int: (point: Int, distance: Double)] = [:]
    for (index, group) in groups.enumerated() where plane.first[index].isFinite && plane.second[index].isFinite {
        guard let sum = sums[group], sum.count >= minimumSize else { continue }
        let dx = plane.first[index] - sum.x / Double(sum.count), dy = plane.second[index] - sum.y / Double(sum.count)
        let distance = dx * dx + dy * dy
        if distance < nearest[group]?.distance ?? .infinity { nearest[group] = (index, distance) }
    }
    return nearest.mapValues(\.point)
}

/// An SVG scatter of the points `indices` of `plane`, point i filled with `colors[i]`, with
/// `labels` written over their points.
func scatterPlotSVG(
    plane: PrincipalPlane, indices: [Int], frame: ScatterFrame, colors: [String], labels: [GroupLabel], label: String
) -> String {
    var canvas = SVGCanvas(width: ScatterFrame.width, height: frame.height)
    canvas.rect(x: 0.5, y: 0.5, width: ScatterFrame.width - 1, height: frame.height - 1, fill: "#fcfcfd", stroke: "#e3e5e8")
    let radius = indices.count <= 1000 ? 2.6 : indices.count <= 3000 ? 2.0 : 1.6
    canvas.openGroup(attributes: "fill-opacity=\"0.8\"")
    for index in indices {
        canvas.circle(x: frame.x(plane.first[index]), y: frame.y(plane.second[index]), radius: radius, fill: colors[index])
    }
    canvas.closeGroup()
    for group in labels {
        canvas.text(
            group.text, x: frame.x(plane.first[group.point]), y: frame.y(plane.second[group.point]) + 4,
            anchor: "middle", size: 11.5, fill: "#111", weight: "600", halo: true)
    }
    return canvas.rendered(label: label, className: "scatter")
}
