// The text of progress on a terminal, kept pure so it can be tested; the `nrcc` executable
// decides when to print it and where.

/// The state of one stage's progress at one moment.
public struct ProgressSnapshot: Sendable, Equatable {
    /// The stage's name, e.g. "train", "umap".
    public var stage: String
    /// Units of work done so far.
    public var completed: Int
    /// Units of work in the stage, when known.
    public var total: Int?
    /// Seconds since the stage started.
    public var elapsedSeconds: Double
    /// What one unit is, e.g. "batches", "epochs"; printed with the rate.
    public var unit: String

    public init(stage: String, completed: Int, total: Int?, elapsedSeconds: Double, unit: String = "it") {
        self.stage = stage
        self.completed = completed
        self.total = total
        self.elapsedSeconds = elapsedSeconds
        self.unit = unit
    }

    /// Units per second so far; `nil` before any time has passed or any work is done.
    public var rate: Double? {
        elapsedSeconds > 0 && completed > 0 ? Double(completed) / elapsedSeconds : nil
    }

    /// Seconds left at the rate so far; `nil` when the total or the rate is unknown.
    public var remainingSeconds: Double? {
        guard let total, let rate else { return nil }
        return Double(max(0, total - completed)) / rate
    }
}

/// "412 batches/s", or "2.3 s/epoch" when one unit takes more than a second.
public func formatRate(_ snapshot: ProgressSnapshot) -> String {
    guard let rate = snapshot.rate else { return "-- \(snapshot.unit)/s" }
    if rate >= 1 { return formatCompact(rate, significant: 3) + " \(snapshot.unit)/s" }
    let singular = snapshot.unit.hasSuffix("s") && snapshot.unit.count > 1 ? String(snapshot.unit.dropLast()) : snapshot.unit
    return formatCompact(1 / rate, significant: 2) + " s/\(singular)"
}

/// A single terminal line at most `width` columns wide, for redrawing in place:
///
///     train   [██████████▌         ]  1,234/5,000  412 it/s  ETA 0:09
///
/// The bar takes the columns the text leaves (at most 40) and disappears below 6. Without a
/// total there is no bar and no ETA, only the count, rate and elapsed time.
public func formatProgressLine(_ snapshot: ProgressSnapshot, width: Int) -> String {
    let rate = formatRate(snapshot)
    guard let total = snapshot.total, total > 0 else {
        let line = "\(snapshot.stage)  \(formatCount(snapshot.completed))  \(rate)  \(formatClock(snapshot.elapsedSeconds))"
        return String(line.prefix(max(width, 0)))
    }
    let eta: String
    if snapshot.completed >= total {
        eta = "done " + formatClock(snapshot.elapsedSeconds)
    } else {
        eta = "ETA " + (snapshot.remainingSeconds.map(formatClock) ?? "--:--")
    }
    let counts = "\(formatCount(snapshot.completed))/\(formatCount(total))"
    let text = "  \(counts)  \(rate)  \(eta)"
    let barWidth = min(40, width - snapshot.stage.count - 4 - text.count)
    guard barWidth >= 6 else { return String((snapshot.stage + text).prefix(max(width, 0))) }
    let fraction = min(1, max(0, Double(snapshot.completed) / Double(total)))
    return snapshot.stage + " [" + progressBar(fraction: fraction, width: barWidth) + "]" + text
}

/// A plain progress line for logs and pipes, where nothing is redrawn:
///
///     train: 1,234/5,000 (24.7%), 412 it/s, ETA 0:09
public func formatProgressMessage(_ snapshot: ProgressSnapshot) -> String {
    var line = "\(snapshot.stage): \(formatCount(snapshot.completed))"
    if let total = snapshot.total, total > 0 {
        let percent = formatFixed(100 * Double(snapshot.completed) / Double(total), digits: 1)
        line += "/\(formatCount(total)) (\(percent)%)"
    }
    line += ", " + formatRate(snapshot)
    if snapshot.total != nil, let total = snapshot.total, snapshot.completed >= total {
        line += ", done in " + formatDuration(snapshot.elapsedSeconds)
    } else if let remaining = snapshot.remainingSeconds {
        line += ", ETA " + formatClock(remaining)
    } else {
        line += ", " + formatDuration(snapshot.elapsedSeconds) + " elapsed"
    }
    return line
}

/// `width` cells of a bar `fraction` full, in eighths of a cell: "█████▌    ".
func progressBar(fraction: Double, width: Int) -> String {
    let eighths = Int((fraction * Double(width) * 8).rounded(.down))
    let full = min(width, eighths / 8)
    var bar = String(repeating: "█", count: full)
    if full < width {
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        bar += partial
        bar += String(repeating: " ", count: width - full - (partial.isEmpty ? 0 : 1))
    }
    return bar
}
