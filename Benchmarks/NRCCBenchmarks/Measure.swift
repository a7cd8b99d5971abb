import Foundation

/// Benchmarks print one JSON object per line, each with a `name`; figures are medians.
enum Report {
    /// Prints `{"name": name, ...fields}` as one line of JSON on standard output.
    static func emit(_ name: String, _ fields: [String: Any]) {
        var object = fields
        object["name"] = name
        object["peak_rss_mb"] = object["peak_rss_mb"] ?? peakResidentMegabytes()
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        fflush(nil)  // every output stream; naming `stdout` is not concurrency-safe in Swift 6
    }
}

/// Runs `body` `warmup` times unmeasured, then `repeats` times, and returns the median
/// wall-clock seconds of one run.
func medianSeconds(warmup: Int = 1, repeats: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return median(times)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The process's peak resident set size in MiB (VmHWM on Linux, ru_maxrss elsewhere).
func peakResidentMegabytes() -> Double {
    #if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return (kilobytes / 1024 * 10).rounded() / 10
    }
    return 0
    #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576
    #endif
}
