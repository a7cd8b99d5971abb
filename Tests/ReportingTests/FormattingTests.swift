import Foundation
import Reporting
import Testing

@Suite("Text formatting")
struct FormattingTests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func base64MatchesRFC4648(input: String, expected: String) {
        #expect(base64Encoded(Array(input.utf8)) == expected)
    }

    @Test func base64MatchesFoundationOnEveryByte() {
        for length in [1, 2, 3, 255, 256, 257] {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) % 256) }
            #expect(base64Encoded(bytes) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    @Test func escapesHTML() {
        #expect(escapeHTML("a < b && c > \"d\" 'e'") == "a &lt; b &amp;&amp; c &gt; &quot;d&quot; &#39;e&#39;")
        #expect(escapeHTML("naïve √ 日本") == "naïve √ 日本")
    }

    @Test func formatsFixedDecimals() {
        #expect(formatFixed(0.87651, digits: 3) == "0.877")
        #expect(formatFixed(1.25, digits: 1) == "1.3")
        #expect(formatFixed(-1.25, digits: 1) == "-1.3")
        #expect(formatFixed(-0.0004, digits: 3) == "0.000")
        #expect(formatFixed(2.5, digits: 0) == "3")
        #expect(formatFixed(12.0, digits: 2) == "12.00")
        #expect(formatFixed(0.05, digits: 4) == "0.0500")
        #expect(formatFixed(.nan, digits: 2) == "nan")
        #expect(formatFixed(-.infinity, digits: 2) == "-inf")
    }

    @Test func formatsCountsAndDurations() {
        #expect(formatCount(0) == "0")
        #expect(formatCount(999) == "999")
        #expect(formatCount(1000) == "1,000")
        #expect(formatCount(1_234_567) == "1,234,567")
        #expect(formatCount(-1234) == "-1,234")
        #expect(formatDuration(0.42) == "0.4 s")
        #expect(formatDuration(59.96) == "1m00s")
        #expect(formatDuration(245) == "4m05s")
        #expect(formatDuration(7380) == "2h03m")
        #expect(formatClock(7) == "0:07")
        #expect(formatClock(754) == "12:34")
        #expect(formatClock(3723) == "1:02:03")
        #expect(formatClock(.infinity) == "--:--")
    }

    @Test func formatsAProgressBarLine() {
        let snapshot = ProgressSnapshot(stage: "train", completed: 1000, total: 4000, elapsedSeconds: 10)
        let line = formatProgressLine(snapshot, width: 60)
        #expect(line == "train [████▌             ]  1,000/4,000  100 it/s  ETA 0:30")
        #expect(line.count < 60)  // the last column stays free so the terminal never wraps
        let done = ProgressSnapshot(stage: "train", completed: 4000, total: 4000, elapsedSeconds: 40)
        #expect(
            formatProgressLine(done, width: 60) == "train [█████████████████]  4,000/4,000  100 it/s  done 0:40")
    }

    @Test func dropsTheBarWhenNarrowOrUnbounded() {
        let snapshot = ProgressSnapshot(stage: "umap", completed: 50, total: 200, elapsedSeconds: 100, unit: "epochs")
        let narrow = formatProgressLine(snapshot, width: 30)
        #expect(!narrow.contains("["))
        #expect(narrow.count <= 30)
        #expect(formatRate(snapshot) == "2 s/epoch")
        let open = ProgressSnapshot(stage: "embed", completed: 1536, total: nil, elapsedSeconds: 3, unit: "images")
        #expect(formatProgressLine(open, width: 80) == "embed  1,536  512 images/s  0:03")
    }

    @Test func formatsPlainProgressMessages() {
        let snapshot = ProgressSnapshot(stage: "train", completed: 1000, total: 4000, elapsedSeconds: 10)
        #expect(formatProgressMessage(snapshot) == "train: 1,000/4,000 (25.0%), 100 it/s, ETA 0:30")
        let done = ProgressSnapshot(stage: "train", completed: 4000, total: 4000, elapsedSeconds: 40)
        #expect(formatProgressMessage(done) == "train: 4,000/4,000 (100.0%), 100 it/s, done in 40.0 s")
        let starting = ProgressSnapshot(stage: "knn", completed: 0, total: nil, elapsedSeconds: 0)
        #expect(formatProgressMessage(starting) == "knn: 0, -- it/s, 0.0 s elapsed")
    }

    @Test func formatsTheMetricsTable() {
        let metrics = ReportMetrics(
            rows: [
                MetricsRow(name: "GridShift", clusters: 12, scores: ClusteringScores(
                    accuracy: 0.9123, normalizedMutualInformation: 0.87649, adjustedRandIndex: 0.8431,
                    adjustedMutualInformation: 0.877)),
                MetricsRow(name: "merged (< 50 pts)", clusters: 10),
            ],
            classes: 10)
        #expect(formatMetricsTable(metrics) == """
            clustering         clusters    ACC    NMI    ARI    AMI
            GridShift                12  0.912  0.876  0.843  0.877
            merged (< 50 pts)        10      -      -      -      -
            true classes             10

            """)
        let unlabelled = ReportMetrics(rows: [MetricsRow(name: "GridShift", clusters: 7)])
        #expect(formatMetricsTable(unlabelled) == "clustering  clusters\nGridShift          7\nno labels, so no scores\n")
    }

    @Test func subsamplesDeterministicallyAndEvenly() {
        let chosen = scatterSubsample(count: 12_000, limit: 5000)
        #expect(chosen.count == 5000)
        #expect(Set(chosen).count == 5000)
        #expect(chosen == scatterSubsample(count: 12_000, limit: 5000))
        #expect(chosen != chosen.sorted())  // drawn in a scrambled order
        // Data sorted into ten classes of 1,200 keep 500 points each.
        let perClass = Dictionary(grouping: chosen) { $0 / 1200 }.mapValues(\.count)
        #expect(perClass.values.allSatisfy { $0 == 500 })
        #expect(scatterSubsample(count: 30, limit: 5000).sorted() == Array(0..<30))
    }

    @Test func projectsOntoTheDirectionOfMostSpread() throws {
        var random = SampleRandom(state: 3)
        var coordinates: [Float] = []
        let direction = [1.0 / 3, 2.0 / 3, 2.0 / 3]
        var along: [Double] = []
        for _ in 0..<500 {
            let t = 10 * random.gaussian()
            along.append(t)
            coordinates += (0..<3).map { Float(5 + t * direction[$0] + 0.5 * random.gaussian()) }
        }
        let plane = PrincipalPlane(coordinates: coordinates)
        #expect(plane.first.count == 500 && plane.second.count == 500)
        #expect(plane.varianceShares.first > 0.95)
        #expect(plane.varianceShares.first >= plane.varianceShares.second)
        // The first axis is +direction (its largest component positive), so it reproduces t.
        let meanT = along.reduce(0, +) / 500
        let error = zip(plane.first, along).map { ($0 - ($1 - meanT)).magnitude }.max()!
        #expect(error < 2.5, "largest deviation from the true coordinate: \(error)")
        let secondSpread = plane.second.map { $0 * $0 }.reduce(0, +) / 500
        #expect(secondSpread < 0.5)
    }
}
