import Foundation
import Reporting
import Testing

@Suite("HTML report")
struct ReportTests {
    static let sampleHTML = renderReport(sampleReportContent(pointsPerClass: 120))

    @Test func hasEverySectionWhenEverythingIsThere() {
        let html = Self.sampleHTML
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        let sections = [
            ("summary", "Summary"), ("projection", "Projection"), ("confusion", "Confusion matrix"),
            ("samples", "Samples per cluster"), ("training", "Training curves"), ("views", "SGHMC views"),
            ("settings", "Settings"),
        ]
        for (id, heading) in sections {
            #expect(html.contains("<section id=\"\(id)\">\n<h2>\(heading)</h2>"), "missing section \(heading)")
            #expect(html.contains("<a href=\"#\(id)\">\(heading)</a>"), "missing link to \(heading)")
        }
        // The headings come in the order above.
        let positions = sections.map { html.range(of: "<h2>\($0.1)</h2>")!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(html.contains("<h3>By cluster</h3>") && html.contains("<h3>By label</h3>"))
    }

    @Test func aPartThatCouldNotBeMadeIsListedWithWhy() {
        var content = sampleReportContent(pointsPerClass: 20)
        #expect(!renderReport(content).contains("Not shown"))
        content.omissions = ["training curves: the log <is> damaged"]
        let html = renderReport(content)
        #expect(html.contains("<h2>Not shown</h2>"))
        #expect(html.contains("<li>training curves: the log &lt;is&gt; damaged</li>"))
    }

    @Test func noticesComeFirst() throws {
        var content = sampleReportContent(pointsPerClass: 20)
        #expect(!renderReport(content).contains("Read first"))
        content.notices = ["Short training: 3 epochs <of 20>."]
        let html = renderReport(content)
        let notice = try #require(html.range(of: "<li>Short training: 3 epochs &lt;of 20&gt;.</li>"))
        let summary = try #require(html.range(of: "<h2>Summary</h2>"))
        #expect(html.contains("<h2>Read first</h2>") && notice.lowerBound < summary.lowerBound)
    }

    @Test func isSelfContained() {
        let html = Self.sampleHTML
        #expect(!html.contains("<link"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("url("))
        // The only URL is the SVG namespace, which is a name, not a fetch.
        let urls = html.components(separatedBy: "http").count - 1
        #expect(urls == occurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", in: html))
    }

    @Test func markupIsWellFormed() {
        let html = Self.sampleHTML
        #expect(firstTagProblem(in: html) == nil, "\(firstTagProblem(in: html) ?? "")")
        let fragments = svgFragments(in: html)
        // Two scatters, one heatmap, three loss parts, kNN accuracy, feature std.
        #expect(fragments.count == 8)
        for fragment in fragments {
            #expect(fragment.contains("xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(fragment.contains("viewBox=\"0 0 "))
            #expect(firstTagProblem(in: String(fragment)) == nil)
        }
    }

    @Test func showsScoresAndTimings() {
        let summary = section("summary", in: Self.sampleHTML)
        for text in ["0.912", "0.887", "0.851", "0.884", "Clusters found", "for 10 classes", "0.934", "2m51s", "3m21s"] {
            #expect(summary.contains(text), "summary lacks \(text)")
        }
    }

    /// The modularity rule's contest says why its partition was kept: the higher score, or the
    /// fewer clusters of two within the tolerance.
    @Test func saysWhyTheModularityRuleKeptItsPartition() {
        func html(persistenceModularity: Double, keptPersistence: Bool) -> String {
            var content = sampleReportContent(pointsPerClass: 20)
            let contest = ModularityContest(silhouetteChoice: 1, silhouetteClusters: 11, persistenceClusters: 13,
                                            silhouetteModularity: 0.903, persistenceModularity: persistenceModularity,
                                            keptPersistence: keptPersistence, tolerance: 0.01,
                                            isWithinTolerance: !keptPersistence)
            content.bandwidthSweep = BandwidthSweepPlot(
                rule: "modularity", bandwidths: [2, 1.1, 0.6], clusterCounts: [4, 11, 30], silhouettes: [0.5, 0.7, 0.4],
                chosen: 1, contest: contest)
            return renderReport(content)
        }
        let close = html(persistenceModularity: 0.910, keptPersistence: false)
        #expect(close.contains("It kept the silhouette's, of fewer clusters: the two lie within 0.01 of each other"))
        let apart = html(persistenceModularity: 0.95, keptPersistence: true)
        #expect(apart.contains("It kept the persistence rule's, the more modular."))
    }

    @Test func escapesEveryUserText() {
        let hostile = "<b>\"x\" & 'y'</b>"
        var content = ReportContent(title: "run " + hostile, datasetName: hostile)
        content.settings = [ReportSetting(hostile, hostile)]
        content.metrics = ReportMetrics(rows: [MetricsRow(name: hostile, clusters: 2), MetricsRow(name: "b", clusters: 1)])
        content.timings = [StageTiming(stage: hostile, seconds: 1)]
        content.coordinates = [0, 0, 0, 1, 1, 1, 2, 0, 1]
        content.clusterLabels = [0, 1, 1]
        content.trueLabels = [0, 1, 1]
        content.classNames = [hostile, "plain"]
        content.training = TrainingHistory(
            lossParts: [CurveSeries(name: hostile, values: [2, 1])],
            knnAccuracy: CurveSeries(name: hostile, values: [0.5, 0.6]))
        let html = renderReport(content)
        #expect(!html.contains("<b>"))
        #expect(!html.contains("\"x\""))
        #expect(html.contains("&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"))
        #expect(html.contains("<title>run &lt;b&gt;"))
        #expect(firstTagProblem(in: html) == nil, "\(firstTagProblem(in: html) ?? "")")
    }

    @Test func worksWithoutLabelsOrTraining() {
        // What `nrcc cluster` on feature vectors has: coordinates, clusters, settings.
        var content = ReportContent(title: "nrcc cluster", datasetName: "features.npy")
        content.settings = [ReportSetting("gridshift.bandwidth", "auto")]
        content.metrics = ReportMetrics(rows: [MetricsRow(name: "GridShift", clusters: 3)])
        var random = SampleRandom(state: 7)
        for point in 0..<300 {
            content.coordinates += (0..<3).map { _ in Float(Double(point % 3) * 5 + random.gaussian()) }
            content.clusterLabels.append(point % 3 == 2 && point % 7 == 0 ? -1 : point % 3)
        }
        let html = renderReport(content)
        #expect(html.contains("<h2>Summary</h2>") && html.contains("<h2>Projection</h2>") && html.contains("<h2>Settings</h2>"))
        for absent in ["Confusion matrix", "Samples per cluster", "Training curves", "SGHMC views", "By label", ">ACC<"] {
            #expect(!html.contains(absent), "page shows \(absent) without its data")
        }
        #expect(html.contains("has no labels"))
        #expect(html.contains("were left without a cluster"))
        #expect(html.contains("unassigned"))
        #expect(svgFragments(in: html).count == 1)
        #expect(firstTagProblem(in: html) == nil)
    }

    @Test func worksWithOnlyATitle() {
        let html = renderReport(ReportContent(title: "empty", datasetName: "nothing"))
        #expect(html.contains("<h2>Summary</h2>"))
        #expect(!html.contains("<h2>Projection</h2>"))
        #expect(svgFragments(in: html).isEmpty)
        #expect(firstTagProblem(in: html) == nil)
    }

    @Test func drawsAtMostFiveThousandPointsPerScatter() {
        var content = ReportContent(title: "big", datasetName: "blobs")
        content.coordinates = (0..<(12_000 * 3)).map { Float($0 % 97) }
        content.clusterLabels = (0..<12_000).map { $0 % 4 }
        content.trueLabels = (0..<12_000).map { $0 % 5 }
        let projection = section("projection", in: renderReport(content))
        #expect(occurrences(of: "<circle", in: projection) == 2 * 5000)
        #expect(projection.contains("5,000 of the 12,000 points"))
    }

    @Test func inlinesImagesAsDataURIs() {
        let png = encodeGreyscalePNG(pixels: [0, 128, 255, 64], width: 2, height: 2)
        var content = ReportContent(title: "images", datasetName: "tiny")
        content.clusterLabels = [0, 0]
        content.clusterSamples = [ClusterSamples(cluster: 0, images: [png])]
        content.viewPairs = [ViewPair(original: png, view: png)]
        let html = renderReport(content)
        let uri = "data:image/png;base64," + Data(png).base64EncodedString()
        #expect(occurrences(of: uri, in: section("samples", in: html)) == 1)
        #expect(occurrences(of: uri, in: section("views", in: html)) == 2)
    }

    @Test func ordersConfusionRowsByTheGivenMatch() throws {
        var content = ReportContent(title: "order", datasetName: "toy")
        // Clusters 5, 2, 9 hold classes 0, 1, 2; cluster 4 is an extra piece of class 2.
        content.clusterLabels = [5, 5, 5, 2, 2, 9, 9, 9, 4, 4]
        content.trueLabels = [0, 0, 1, 1, 1, 2, 2, 2, 2, 2]
        content.clusterToClass = [5: 0, 2: 1, 9: 2]
        let given = String(section("confusion", in: renderReport(content)))
        #expect(rowOrder(given) == [5, 2, 9, 4])
        #expect(given.contains("Hungarian"))

        // Without a match, the largest overlaps decide: cluster 9 (3 of class 2) beats cluster 4 (2).
        content.clusterToClass = nil
        let greedy = String(section("confusion", in: renderReport(content)))
        #expect(rowOrder(greedy) == [5, 2, 9, 4])
        #expect(greedy.contains("largest overlaps"))

        // Unmatched clusters follow the class most of their points belong to: cluster 7 (class 0)
        // comes before the larger cluster 4 (class 2).
        content.clusterLabels += [7]
        content.trueLabels! += [0]
        #expect(rowOrder(String(section("confusion", in: renderReport(content)))) == [5, 2, 9, 7, 4])
    }

    func rowOrder(_ svg: String) -> [Int] {
        // Row labels are `>cluster 5</text>`; cell tooltips (`>cluster 5, zero: 2<`) do not count.
        svg.components(separatedBy: ">cluster ").dropFirst().compactMap { piece in
            let digits = piece.prefix { $0.isNumber }
            return piece.dropFirst(digits.count).hasPrefix("<") ? Int(digits) : nil
        }
    }

    @Test func drawsTheIdealStandardDeviation() {
        var content = ReportContent(title: "std", datasetName: "toy")
        content.training = TrainingHistory(
            lossParts: [CurveSeries(name: "InfoNCE", values: [3, 2, 1.5])],
            featureStandardDeviation: CurveSeries(name: "feature std", values: [0.02, 0.05, 0.08]),
            featureDimension: 128)
        let training = section("training", in: renderReport(content))
        #expect(training.contains("1/√128 = 0.0884"))
        #expect(training.contains("stroke-dasharray"))
        #expect(occurrences(of: "<svg", in: training) == 2)
    }
}

@Suite("Report determinism")
struct ReportDeterminismTests {
    /// Two renderings of the same content are the same bytes (no dictionary order leaks out),
    /// so a re-run of a finished run rewrites an identical report.
    @Test func sameContentSamePage() {
        let content = sampleReportContent(pointsPerClass: 50)
        #expect(renderReport(content) == renderReport(content))
    }
}

@Suite("Report edge cases")
struct ReportEdgeCaseTests {
    @Test func leavesOutNonFiniteCoordinates() {
        var content = ReportContent(title: "nan", datasetName: "toy")
        content.coordinates = [0, 0, 0, 1, 2, 3, .nan, 1, 1, 2, 1, 0, 3, 3, .infinity]
        content.clusterLabels = [0, 0, 1, 1, 1]
        let projection = section("projection", in: renderReport(content))
        #expect(occurrences(of: "<circle", in: projection) == 3)
        #expect(!projection.contains("nan") && !projection.contains("inf\""))
        #expect(projection.contains("2 points with non-finite coordinates are left out"))
    }

    @Test func centresACloudWithoutSpread() {
        var content = ReportContent(title: "one point", datasetName: "toy")
        content.coordinates = [1, 2, 3, 1, 2, 3]
        content.clusterLabels = [0, 0]
        let projection = section("projection", in: renderReport(content))
        // The frame is 500 wide and, for a cloud without extent, square: both points in its middle.
        #expect(occurrences(of: "<circle cx=\"250\" cy=\"250\"", in: projection) == 2)
    }
}
