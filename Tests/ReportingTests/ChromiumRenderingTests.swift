import Foundation
import Reporting
import Testing

/// The path of `chromium` on PATH, when installed (Debian's package `chromium`).
let chromiumPath: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// Runs headless Chromium with `arguments` (under `timeout`, so a hung browser fails the test
/// instead of stalling it) and returns what it printed on stdout.
func runChromium(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["120", chromiumPath!, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("Report in a browser")
struct ChromiumRenderingTests {
    /// Writes the synthetic sample to /tmp/nrcc-report-sample.html (open it to look at the
    /// report), screenshots it, and reads back the page's text as the browser built it.
    @Test(.enabled(if: chromiumPath != nil, "needs Debian's chromium on PATH"))
    func rendersSampleReport() throws {
        let directory = FileManager.default.temporaryDirectory
        let page = directory.appendingPathComponent("nrcc-report-sample.html")
        let screenshot = directory.appendingPathComponent("nrcc-report-sample.png")
        try? FileManager.default.removeItem(at: screenshot)
        try renderReport(sampleReportContent()).write(to: page, atomically: true, encoding: .utf8)

        let shot = try runChromium(["--screenshot=\(screenshot.path)", "--window-size=1200,3000", page.absoluteString])
        #expect(shot.status == 0)
        let size = try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int ?? 0
        // A blank 1200 x 3000 page compresses to a few kilobytes; plots and images make it far larger.
        #expect(size > 100_000, "screenshot is \(size) bytes")

        let dom = try runChromium(["--dump-dom", page.absoluteString])
        #expect(dom.status == 0)
        let headings = [
            "Summary", "Projection", "Confusion matrix", "Samples per cluster", "Training curves", "SGHMC views", "Settings",
        ]
        for heading in headings {
            #expect(dom.output.contains("<h2>\(heading)</h2>"), "no heading \(heading) in the rendered page")
        }
        #expect(dom.output.contains("0.912"))
        #expect(dom.output.components(separatedBy: "<svg").count - 1 >= 8)
    }
}
