import Basics

// Number and text formatting without Foundation, so that Reporting needs nothing beyond Basics.

/// Escapes `&`, `<`, `>`, `"` and `'` so that any text can go into HTML or SVG, in element
/// content and in quoted attribute values alike.
public func escapeHTML(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        default: escaped.unicodeScalars.append(character)
        }
    }
    return escaped
}

/// `value` with exactly `digits` decimals, rounded half away from zero: `formatFixed(0.8765, digits: 3)`
/// is "0.877". Non-finite values print as "nan", "inf", "-inf".
public func formatFixed(_ value: Double, digits: Int) -> String {
    checkArgument(digits >= 0 && digits <= 12, "formatFixed: digits is \(digits), must be in 0...12")
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    var scale: UInt64 = 1
    for _ in 0..<digits { scale *= 10 }
    let scaled = (value.magnitude * Double(scale)).rounded()
    // Beyond 2^53 the fixed form has no meaning left; Swift's shortest form is exact enough.
    guard scaled < 9_007_199_254_740_992 else { return String(value) }
    let units = UInt64(scaled)
    let sign = value < 0 && units != 0 ? "-" : ""
    let whole = String(units / scale)
    guard digits > 0 else { return sign + whole }
    let fraction = String(units % scale)
    return sign + whole + "." + String(repeating: "0", count: digits - fraction.count) + fraction
}

/// An integer with thousands separators: `formatCount(1234567)` is "1,234,567".
public func formatCount(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var grouped = ""
    for (offset, digit) in digits.enumerated() {
        if offset > 0 && (digits.count - offset) % 3 == 0 { grouped.append(",") }
        grouped.append(digit)
    }
    return (value < 0 ? "-" : "") + grouped
}

/// A duration for people: "0.4 s", "12.3 s", "4m05s", "2h03m".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "--" }
    if seconds < 59.95 { return formatFixed(seconds, digits: 1) + " s" }
    let total = Int(seconds.rounded())
    let hours = total / 3600, minutes = (total % 3600) / 60, remainder = total % 60
    if hours > 0 { return "\(hours)h" + twoDigits(minutes) + "m" }
    return "\(minutes)m" + twoDigits(remainder) + "s"
}

/// A clock-style time for ETAs: "0:07", "12:34", "1:02:03".
public func formatClock(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "--:--" }
    let total = Int(seconds.rounded())
    let hours = total / 3600, minutes = (total % 3600) / 60, remainder = total % 60
    if hours > 0 { return "\(hours):" + twoDigits(minutes) + ":" + twoDigits(remainder) }
    return "\(minutes):" + twoDigits(remainder)
}

func twoDigits(_ value: Int) -> String {
    value < 10 ? "0\(value)" : "\(value)"
}

/// A number in the fewest characters that keep about `significant` digits, for chart labels
/// and ticks: 0.0039, 12.5, 1,024.
func formatCompact(_ value: Double, significant: Int = 3) -> String {
    guard value.isFinite else { return formatFixed(value, digits: 0) }
    if value == 0 { return "0" }
    var magnitude = 0  // floor(log10(|value|))
    var scaled = value.magnitude
    while scaled >= 10 { scaled /= 10; magnitude += 1 }
    while scaled < 1 { scaled *= 10; magnitude -= 1 }
    let digits = max(0, significant - 1 - magnitude)
    if digits == 0 && value.magnitude >= 1000 { return formatCount(Int(value.rounded())) }
    return trimZeros(formatFixed(value, digits: min(digits, 12)))
}

/// Drops trailing zeros after a decimal point: "0.500" -> "0.5", "2.000" -> "2".
func trimZeros(_ text: String) -> String {
    guard text.contains(".") else { return text }
    var trimmed = Substring(text)
    while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
    if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
    return String(trimmed)
}
