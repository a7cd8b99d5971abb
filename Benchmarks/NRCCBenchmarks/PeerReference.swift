// The Python peers (PyTorch, umap-learn), run in the same invocation as the Swift figure they
// are compared with (these machines are shared: only ratios from one invocation mean
// anything). With NRCC_REFERENCE_PYTHON set to a Python that has them (.venv-bench), a suite
// runs its script of Benchmarks/reference after its own work, passes the script's lines
// through, and prints nrcc's speed relative to each mode the script timed and to the fastest.
import Foundation

enum PeerReference {
    /// The Python named by NRCC_REFERENCE_PYTHON, or nil: the comparison is then skipped.
    static var python: String? { ProcessInfo.processInfo.environment["NRCC_REFERENCE_PYTHON"] }

    /// The modes the ResNet references time (NRCC_REFERENCE_MODES, default all four:
    /// fp32, channels_last, bf16, bf16_channels_last).
    static var modes: String {
        ProcessInfo.processInfo.environment["NRCC_REFERENCE_MODES"] ?? "fp32,channels_last,bf16,bf16_channels_last"
    }

    /// Runs `Benchmarks/reference/<script>` with `arguments`, prints its lines as they come,
    /// and for each line named `referenceName` (one per mode) or `<referenceName>_fastest`
    /// emits `<comparisonName>_<mode>` or `<comparisonName>_fastest` with nrcc's speed-up
    /// over it: the reference's `<timeKey>` over `seconds`. A reference line's
    /// `trustworthiness` is passed on beside `nrccTrustworthiness`, when given.
    static func compare(script: String, arguments: [String], referenceName: String, seconds: Double,
                        comparisonName: String, timeKey: String = "step_seconds",
                        nrccTrustworthiness: Double? = nil) throws {
        guard let python else { return }
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("reference/\(script)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // Line by line, as the reference prints them: a slow mode's figures come last.
        var pending = Data()
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                print(line)
                fflush(nil)
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let name = object["name"] as? String, let reference = object[timeKey] as? Double,
                      let mode = object["mode"] as? String else { continue }
                let suffix = name == referenceName ? mode : name == referenceName + "_fastest" ? "fastest" : nil
                guard let suffix else { continue }
                var fields: [String: Any] = ["speedup": reference / seconds, "nrcc_\(timeKey)": seconds,
                                             "reference_\(timeKey)": reference, "reference_mode": mode]
                if let ours = nrccTrustworthiness, let theirs = object["trustworthiness"] as? Double {
                    fields["nrcc_trustworthiness"] = ours
                    fields["reference_trustworthiness"] = theirs
                }
                Report.emit("\(comparisonName)_\(suffix)", fields)
            }
        }
        process.waitUntilExit()
    }
}
