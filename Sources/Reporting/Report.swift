import Basics

/// The report of a run as one self-contained HTML page: inline CSS, inline SVG plots, images as
/// `data:` URIs; nothing is fetched when it opens.
///
/// Sections, each left out when its data are missing: Summary (scores, clusters found, time
/// per stage), Projection (the 3-D coordinates on their first two principal axes, coloured by
/// cluster and by label), Confusion matrix (clusters against classes), Samples per cluster,
/// Training curves (loss parts, kNN accuracy, feature standard deviation), SGHMC views (beside
/// their originals, as the paper's Figure 2), Settings. All text from `content` is escaped.
///
/// Shapes: `coordinates` n x 3 (or empty), `clusterLabels` n, `trueLabels` n when present.
public func renderReport(_ content: ReportContent) -> String {
    let pointCount = content.clusterLabels.count
    checkArgument(
        content.coordinates.isEmpty || content.coordinates.count == 3 * pointCount,
        "renderReport: \(content.coordinates.count) coordinates for \(pointCount) cluster labels (expected n x 3)")
    let overview = ClusterOverview(
        clusterLabels: content.clusterLabels, trueLabels: content.trueLabels, clusterToClass: content.clusterToClass)
    let page = ReportPage(content: content, overview: overview)

    var sections: [(id: String, heading: String, body: String)] = []
    func list(_ items: [String]) -> String { items.map { "<li>\(escapeHTML($0))</li>" }.joined() }
    if !content.notices.isEmpty {
        sections.append(("notices", "Read first", "<ul class=\"notices\">\(list(content.notices))</ul>"))
    }
    sections.append(("summary", "Summary", page.summary()))
    if !content.coordinates.isEmpty { sections.append(("projection", "Projection", page.projection())) }
    if let sweep = content.bandwidthSweep, sweep.bandwidths.count > 1 {
        sections.append(("selection", "Number of clusters", page.bandwidthSweep(sweep)))
    }
    if overview.hasLabels && !overview.clusters.isEmpty {
        sections.append(("confusion", "Confusion matrix", page.confusion()))
    }
    if !content.clusterSamples.isEmpty { sections.append(("samples", "Samples per cluster", page.samples())) }
    if let training = content.training { sections.append(("training", "Training curves", page.trainingCurves(training))) }
    if !content.viewPairs.isEmpty || !content.viewDistances.isEmpty {
        sections.append(("views", "SGHMC views", page.views()))
    }
    if !content.settings.isEmpty { sections.append(("settings", "Settings", page.settings())) }
    if !content.omissions.isEmpty {
        sections.append(("omissions", "Not shown", "<p>These parts of the run could not be drawn:</p><ul>\(list(content.omissions))</ul>"))
    }

    var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeHTML(content.title))</title>
        <style>
        \(reportStylesheet)</style>
        </head>
        <body>
        <main>
        <header>
        <h1>\(escapeHTML(content.title))</h1>
        <p class="subtitle">\(page.subtitle())</p>
        </header>
        <nav>\(sections.map { "<a href=\"#\($0.id)\">\(escapeHTML($0.heading))</a>" }.joined())</nav>

        """
    for section in sections {
        html += "<section id=\"\(section.id)\">\n<h2>\(escapeHTML(section.heading))</h2>\n\(section.body)\n</section>\n"
    }
    html += "<footer>Written by nrcc. Plots are inline SVG; hover a heatmap cell for its counts.</footer>\n"
    html += "</main>\n</body>\n</html>\n"
    return html
}

/// The pieces of the page, each a function of the content and the cluster overview.
struct ReportPage {
    let content: ReportContent
    let overview: ClusterOverview

    var pointCount: Int { content.clusterLabels.count }

    func className(_ label: Int) -> String {
        label >= 0 && label < content.classNames.count ? content.classNames[label] : "class \(label)"
    }

    func subtitle() -> String {
        var parts = ["dataset " + "<strong>\(escapeHTML(content.datasetName))</strong>"]
        if pointCount > 0 { parts.append(formatCount(pointCount) + " points") }
        if !overview.clusters.isEmpty { parts.append(formatCount(overview.clusters.count) + " clusters") }
        if overview.hasLabels { parts.append(formatCount(overview.classes.count) + " classes") }
        return parts.joined(separator: " · ")
    }

    func summary() -> String {
        var html = ""
        if let metrics = content.metrics, let main = metrics.rows.first {
            html += "<div class=\"cards\">\n"
            let ofClasses = metrics.classes.map { "for \(formatCount($0)) classes" } ?? "no labels to compare"
            html += card(name: "Clusters found", value: formatCount(main.clusters), detail: ofClasses)
            if let scores = main.scores {
                let cards = [
                    ("ACC", scores.accuracy, "Hungarian match"),
                    ("NMI", scores.normalizedMutualInformation, "arithmetic mean"),
                    ("ARI", scores.adjustedRandIndex, "adjusted Rand"),
                    ("AMI", scores.adjustedMutualInformation, "adjusted mutual info"),
                ]
                for (name, value, detail) in cards {
                    html += card(name: name, value: formatFixed(value, digits: 3), detail: detail)
                }
            }
            html += "</div>\n"
            if metrics.rows.count > 1 { html += metricsTableHTML(metrics) }
        }
        if !overview.hasLabels {
            let evidence = content.clusterSamples.isEmpty ? "the projection is" : "the projection and the samples per cluster are"
            html += "<p class=\"note\">The dataset has no labels, so there are no scores and no confusion matrix: "
                + "\(evidence) what there is to judge the clusters by.</p>\n"
        }
        if overview.unassignedCount > 0 {
            html += "<p class=\"note\">\(formatCount(overview.unassignedCount)) points were left without a cluster; "
                + "they are drawn in grey.</p>\n"
        }
        if !content.timings.isEmpty { html += timingsHTML() }
        return html
    }

    func card(name: String, value: String, detail: String) -> String {
        "<div class=\"card\"><div class=\"name\">\(escapeHTML(name))</div><div class=\"value\">\(escapeHTML(value))</div>"
            + "<div class=\"detail\">\(escapeHTML(detail))</div></div>\n"
    }

    func metricsTableHTML(_ metrics: ReportMetrics) -> String {
        let scored = metrics.rows.contains { $0.scores != nil }
        var html = "<table>\n<tr><th>clustering</th><th class=\"number\">clusters</th>"
        if scored { html += ["ACC", "NMI", "ARI", "AMI"].map { "<th class=\"number\">\($0)</th>" }.joined() }
        html += "</tr>\n"
        for row in metrics.rows {
            html += "<tr><td>\(escapeHTML(row.name))</td><td class=\"number\">\(formatCount(row.clusters))</td>"
            if scored {
                let values = row.scores.map {
                    [$0.accuracy, $0.normalizedMutualInformation, $0.adjustedRandIndex, $0.adjustedMutualInformation]
                        .map { formatFixed($0, digits: 3) }
                } ?? ["–", "–", "–", "–"]
                html += values.map { "<td class=\"number\">\($0)</td>" }.joined()
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    func timingsHTML() -> String {
        let total = content.timings.reduce(0) { $0 + max(0, $1.seconds) }
        var html = "<h3 style=\"margin-top:18px\">Time per stage</h3>\n<table>\n"
        for timing in content.timings {
            let share = total > 0 ? max(0, timing.seconds) / total : 0
            html += "<tr><td>\(escapeHTML(timing.stage))</td><td class=\"number\">\(formatDuration(timing.seconds))</td>"
                + "<td><span class=\"bar\" style=\"width:\(Int((share * 240).rounded()) + 2)px\"></span></td></tr>\n"
        }
        html += "<tr><td><strong>total</strong></td>"
            + "<td class=\"number\"><strong>\(formatDuration(total))</strong></td><td></td></tr>\n"
        return html + "</table>\n"
    }

    func settings() -> String {
        var html = "<p class=\"lead\">Every resolved setting of the run; the same settings reproduce it.</p>\n"
        html += "<dl class=\"settings\">\n"
        for setting in content.settings {
            html += "<dt>\(escapeHTML(setting.name))</dt><dd>\(escapeHTML(setting.value))</dd>\n"
        }
        return html + "</dl>\n"
    }
}
