// The figure sections of the report: projection, bandwidth sweep, confusion matrix, samples,
// curves, views.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ReportPage {
    func projection() -> String {
        let (plane, drawable, indices, frame) = scatterView(content.coordinates)
        let shares = "\(Int((plane.varianceShares.first * 100).rounded()))% and "
            + "\(Int((plane.varianceShares.second * 100).rounded()))%"
        var html = "<p class=\"lead\">"
            + (content.otherLayoutIsEmbedding ? "The raw pixels' layout, where these clusters were found: its " : "The ")
            + "3-D coordinates seen along their first two principal axes, the flat view "
            + "that keeps the most of their spread (here \(shares) of the variance). "
        html += drawable.count > indices.count
            ? "\(formatCount(indices.count)) of the \(formatCount(pointCount)) points are drawn, evenly spaced through the data."
            : "Every point is drawn."
        if drawable.count < pointCount {
            html += " \(formatCount(pointCount - drawable.count)) points with non-finite coordinates are left out."
        }
        if overview.hasLabels { html += " Each cluster wears the colour of the class it is matched to." }
        html += "</p>\n<div class=\"plots\">\n"

        let clusterColors = content.clusterLabels.map { overview.color(ofCluster: $0) }
        var clusterLegend = overview.clusters.map { (color: overview.color(ofCluster: $0), name: "\($0)", count: overview.sizes[$0]!) }
        if overview.unassignedCount > 0 {
            clusterLegend.append((Palette.unassigned, "unassigned", overview.unassignedCount))
        }
        let clusterNames = groupNames(plane: plane, groups: content.clusterLabels, count: overview.clusters.count) { "\($0)" }
        html += figure(
            svg: scatterPlotSVG(
                plane: plane, indices: indices, frame: frame, colors: clusterColors, labels: clusterNames,
                label: "Points by cluster"),
            caption: "By cluster", legend: clusterLegend)

        if let trueLabels = content.trueLabels, overview.hasLabels {
            let labelColors = trueLabels.map { overview.classColor[$0]! }
            let counts = trueLabels.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            let classLegend = overview.classes.map { (color: overview.classColor[$0]!, name: className($0), count: counts[$0]!) }
            let classNames = groupNames(plane: plane, groups: trueLabels, count: overview.classes.count) {
                shortened(className($0), to: 18)
            }
            html += figure(
                svg: scatterPlotSVG(
                    plane: plane, indices: indices, frame: frame, colors: labelColors, labels: classNames,
                    label: "Points by label"),
                caption: "By label", legend: classLegend)
        }
        return html + "</div>\n" + otherProjection()
    }

    /// `nrcc run`'s other layout (the raw pixels', or the learned embedding's when the clusters
    /// are the pixels'), coloured by label when there are labels and otherwise by this run's
    /// clusters: where the clusters lie in the layout they did not come from.
    func otherProjection() -> String {
        guard content.otherLayout.count == pointCount * 3 else { return "" }
        let (plane, _, indices, frame) = scatterView(content.otherLayout)
        let byLabel = overview.hasLabels && content.trueLabels != nil
        let colors = byLabel ? content.trueLabels!.map { overview.classColor[$0]! }
            : content.clusterLabels.map { overview.color(ofCluster: $0) }
        let layout = content.otherLayoutIsEmbedding ? "The learned embedding" : "The raw pixels"
        let short = content.otherLayoutIsEmbedding ? "Learned embedding" : "Raw pixels"
        var html = "<p class=\"lead\">\(layout) laid out and seen the same way, for comparison: "
        if byLabel {
            html += content.otherLayoutIsEmbedding
                ? "coloured by label, as above. The clusters are the pixels': their layout divided more cleanly than this one."
                : "coloured by label, as above. Classes the embedding set apart and the pixels did not are what training bought."
        } else {
            html += content.otherLayoutIsEmbedding
                ? "coloured by this run's clusters, which are the pixels'. A cluster in pieces here is one the training did not learn."
                : "coloured by this run's clusters. A cluster that lies in one piece here was already a group in the pixels."
        }
        html += "</p>\n<div class=\"plots\">\n"
        let names = byLabel
            ? groupNames(plane: plane, groups: content.trueLabels!, count: overview.classes.count) { shortened(className($0), to: 18) }
            : groupNames(plane: plane, groups: content.clusterLabels, count: overview.clusters.count) { "\($0)" }
        html += figure(
            svg: scatterPlotSVG(plane: plane, indices: indices, frame: frame, colors: colors, labels: names,
                                label: byLabel ? "\(short) by label" : "\(short) by this run's cluster"),
            caption: byLabel ? "\(short), by label" : "\(short), by this run's cluster", legend: [])
        return html + "</div>\n"
    }

    /// A 3-D layout seen along its first two principal axes: the points with finite coordinates
    /// (UMAP can leave some non-finite; they are not drawn), those drawn (at most
    /// `scatterPointLimit`, evenly spaced through the data) and the frame around them.
    func scatterView(_ coordinates: [Float]) -> (plane: PrincipalPlane, drawable: [Int], indices: [Int], frame: ScatterFrame) {
        let plane = PrincipalPlane(coordinates: coordinates)
        let drawable = (0..<pointCount).filter { plane.first[$0].isFinite && plane.second[$0].isFinite }
        let indices = scatterSubsample(count: drawable.count, limit: scatterPointLimit).map { drawable[$0] }
        return (plane, drawable, indices, ScatterFrame(plane: plane, indices: indices))
    }

    /// The groups' names placed on a scatter plot, unless there are too many to read (over 60
    /// of `count`); tiny groups go unnamed.
    func groupNames(plane: PrincipalPlane, groups: [Int], count: Int, name: (Int) -> String) -> [GroupLabel] {
        guard count <= 60 else { return [] }
        return groupLabelPoints(plane: plane, groups: groups, minimumSize: max(5, pointCount / 500))
            .sorted { $0.key < $1.key }.map { GroupLabel(text: name($0.key), point: $0.value) }
    }

    func figure(svg: String, caption: String, legend: [(color: String, name: String, count: Int)]) -> String {
        var html = "<figure>\n<h3>\(escapeHTML(caption))</h3>\n\(svg)\n<ul class=\"legend\">"
        for entry in legend {
            html += "<li><span class=\"swatch\" style=\"background:\(entry.color)\"></span>\(escapeHTML(entry.name))"
                + "<span class=\"count\">\(formatCount(entry.count))</span></li>"
        }
        return html + "</ul>\n</figure>\n"
    }

    func confusion() -> String {
        let source = content.clusterToClass == nil ? "the largest overlaps, one cluster per class" : "ACC's Hungarian match"
        var html = "<p class=\"lead\">Rows are clusters, columns true classes, cells count points. Each cluster is "
            + "matched to a class by \(source); matched cells are outlined and run down the diagonal, unmatched "
            + "clusters come last. A cell's shade is its share of the row: a pure cluster has one dark cell.</p>\n"
        html += "<div class=\"scroll\">\n" + confusionHeatmapSVG(overview: overview, className: className) + "\n</div>\n"
        return html
    }

    func samples() -> String {
        let order = Dictionary(uniqueKeysWithValues: overview.clusters.enumerated().map { ($1, $0) })
        let groups = content.clusterSamples.enumerated().sorted {
            (order[$0.element.cluster] ?? Int.max, $0.offset) < (order[$1.element.cluster] ?? Int.max, $1.offset)
        }.map(\.element)
        var html = "<p class=\"lead\">A few images from each cluster. A good cluster looks alike at a glance; "
            + "a mixed one shows where the embedding confuses classes.</p>\n"
        for group in groups {
            html += "<div class=\"cluster\">\n<div class=\"about\"><span class=\"swatch\" style=\"background:"
                + "\(overview.color(ofCluster: group.cluster))\"></span><strong>cluster \(group.cluster)</strong>"
            if let size = overview.sizes[group.cluster] {
                html += "<br><span class=\"detail\">\(formatCount(size)) points</span>"
            }
            if let majority = overview.majority(ofCluster: group.cluster) {
                html += "<br><span class=\"detail\">\(Int((majority.share * 100).rounded()))% "
                    + "\(escapeHTML(className(majority.classID)))</span>"
            }
            html += "</div>\n<div class=\"thumbs\">"
            html += group.images.map { "<img alt=\"\" src=\"\(dataURI($0))\">" }.joined()
            html += "</div>\n</div>\n"
        }
        return html
    }

    func views() -> String {
        var html = ""
        if !content.viewPairs.isEmpty {
            let count = content.viewPairs.count
            html += "<p class=\"lead\">Hard negative views made by SGHMC on the input images (the paper's "
                + "Figure 2): each view keeps most of its original's look while the encoder is pushed to tell them apart.</p>\n"
            html += "<div class=\"pairs scroll\" style=\"grid-template-columns: max-content repeat(\(count), 64px)\">\n"
            html += "<div class=\"rowname\">original</div>"
            html += content.viewPairs.map { "<img alt=\"original\" src=\"\(dataURI($0.original))\">" }.joined() + "\n"
            html += "<div class=\"rowname\">SGHMC view</div>"
            html += content.viewPairs.map { "<img alt=\"SGHMC view\" src=\"\(dataURI($0.view))\">" }.joined() + "\n"
            html += "</div>\n"
        }
        if !content.viewDistances.isEmpty { html += viewDistanceTable() }
        return html
    }

    /// The paper's Tables 1 and 13: distances from images to their views, SGHMC rows with the
    /// change from the row before.
    func viewDistanceTable() -> String {
        let images = content.viewDistances.map(\.images).max() ?? 0
        var html = "<h3 style=\"margin-top:18px\">How far a view lies from its image</h3>\n"
            + "<p class=\"lead\">The paper's Tables 1 and 13 for this run: the Euclidean distance between the "
            + "embeddings of \(formatCount(images)) images and of views of them made by one transformation alone, "
            + "mean &plusmn; standard deviation. SGHMC starts from the image itself and its steps continue one "
            + "chain. The paper finds one SGHMC step farther than any augmentation, and the distance falling "
            + "as the chain goes on.</p>\n"
        html += "<table>\n<tr><th>view</th><th class=\"number\">distance</th>"
            + "<th class=\"number\">change from the row before</th></tr>\n"
        var previous: Double?
        for row in content.viewDistances {
            var change = ""
            if row.sghmcSteps != nil {
                if let previous, previous > 0 {
                    let percent = (row.mean / previous - 1) * 100
                    change = (percent > 0 ? "+" : "") + formatFixed(percent, digits: 1) + "%"
                }
                previous = row.mean
            }
            html += "<tr><td>\(escapeHTML(row.transformation))</td><td class=\"number\">"
                + "\(formatFixed(row.mean, digits: 4)) &plusmn; \(formatFixed(row.standardDeviation, digits: 4))</td>"
                + "<td class=\"number\">\(change)</td></tr>\n"
        }
        return html + "</table>\n"
    }

    func trainingCurves(_ training: TrainingHistory) -> String {
        var html = "<p class=\"lead\">Per-epoch curves of the encoder's training. The loss parts should fall; "
            + "kNN accuracy (when labels exist) should rise; the features' standard deviation should stay near "
            + "the dashed line 1/√d of a non-collapsed embedding, a fall towards 0 means collapse.</p>\n"
        html += "<div class=\"charts\">\n"
        for (index, part) in training.lossParts.enumerated() {
            let line = ChartLine(name: part.name, xs: part.epochs, ys: part.values, color: Palette.color(index))
            html += chartFigure(lineChartSVG(lines: [line], title: "Loss: " + part.name, xLabel: "epoch"), legend: [])
        }
        if let knn = training.knnAccuracy {
            let line = ChartLine(name: knn.name, xs: knn.epochs, ys: knn.values, color: Palette.color(2))
            html += chartFigure(lineChartSVG(lines: [line], title: knn.name, xLabel: "epoch"), legend: [])
        }
        if let deviation = training.featureStandardDeviation {
            let ideal = 1 / Double(training.featureDimension).squareRoot()
            let xs = deviation.epochs.filter(\.isFinite)
            let span = [xs.min() ?? 1, xs.max() ?? 1]
            let lines = [
                ChartLine(name: deviation.name, xs: deviation.epochs, ys: deviation.values, color: Palette.color(4)),
                ChartLine(name: "ideal", xs: span, ys: [ideal, ideal], color: "#555", dashed: true),
            ]
            let idealName = "1/√\(training.featureDimension) = \(formatCompact(ideal, significant: 3))"
            html += chartFigure(
                lineChartSVG(lines: lines, title: deviation.name, xLabel: "epoch", includeZero: true),
                legend: [(Palette.color(4), deviation.name, false), ("#555", idealName, true)])
        }
        for chart in training.regularizerCharts {
            let lines = chart.series.enumerated().map { index, series in
                ChartLine(name: series.name, xs: series.epochs, ys: series.values, color: Palette.color(index + 5))
            }
            html += chartFigure(lineChartSVG(lines: lines, title: chart.title, xLabel: "epoch"),
                                legend: lines.map { ($0.color, $0.name, false) })
        }
        return html + "</div>\n"
    }

    func bandwidthSweep(_ sweep: BandwidthSweepPlot) -> String {
        let chosen = sweep.bandwidths[sweep.chosen]
        // Small h shatters the layout into hundreds of cells; those would flatten the axis.
        let shownCount = sweep.contest.map { max($0.silhouetteClusters, $0.persistenceClusters) }
            ?? sweep.clusterCounts[sweep.chosen]
        let countLimit = max(20, 4 * shownCount)
        let merged = !sweep.persistence.isEmpty && sweep.contest == nil
        var html = "<p class=\"lead\">GridShift ran at \(sweep.bandwidths.count) cell sides h; "
        if let contest = sweep.contest {
            let kept = contest.keptPersistence ? "persistence rule's" : "silhouette's"
            html += "the modularity rule weighed two partitions of the layout: the silhouette's, h = "
                + "\(formatCompact(sweep.bandwidths[contest.silhouetteChoice], significant: 3)) (dashed line), "
                + "\(contest.silhouetteClusters) clusters, modularity \(formatFixed(contest.silhouetteModularity, digits: 3)); and the "
                + "persistence rule's, the finest cut with its fragments merged across shallow valleys, "
                + "\(contest.persistenceClusters) clusters, modularity \(formatFixed(contest.persistenceModularity, digits: 3)) "
                + "(each after joining its clusters under a quarter of the median size to a near neighbour). "
                + (contest.isWithinTolerance
                   ? "It kept the \(kept), of fewer clusters: the two lie within \(formatCompact(contest.tolerance, significant: 2)) "
                       + "of each other, too close for the graph to prefer the finer cut. "
                   : "It kept the \(kept), the more modular. ")
                + "Modularity (below 1) is the share of the layout's "
                + "nearest-neighbour links (each point's \(contest.graphNeighbors ?? 15) nearest) that fall inside clusters, "
                + "less the share that chance would put inside "
                + "clusters of those sizes. The charts show the bandwidths that found up to \(countLimit) clusters.</p>\n"
        } else if merged {
            let heads = sweep.persistence.count { $0.death == nil }
            html += "the persistence rule took the finest, h = \(formatCompact(chosen, significant: 3)) (dashed line), "
                + "where GridShift cut the layout into \(sweep.clusterCounts[sweep.chosen]) fragments, and merged every "
                + "two that meet with no deep density valley between them: \(heads) clusters remain. In the diagram "
                + "each fragment is a point: its peak density, and the height where it met a higher peak (relative "
                + "to its own peak); those above the dashed threshold merged, those at 0 head a cluster.</p>\n"
        } else {
            html += "the \(escapeHTML(sweep.rule)) rule kept h = \(formatCompact(chosen, significant: 3)) (dashed line), "
                + "where it found \(sweep.clusterCounts[sweep.chosen]) clusters. The silhouette (from -1 to 1) is high "
                + "when points sit close to their own cluster and far from the next one. The charts show the "
                + "bandwidths that found up to \(countLimit) clusters.</p>\n"
        }
        html += "<div class=\"charts\">\n"
        let shown = sweep.bandwidths.indices.filter { merged || sweep.clusterCounts[$0] <= countLimit }
        let xs = shown.map { log10(sweep.bandwidths[$0]) }
        let marker = log10(sweep.contest.map { sweep.bandwidths[$0.silhouetteChoice] } ?? chosen)
        var series: [(title: String, values: [Double], color: String)] = [
            ("Clusters found", shown.map { Double(sweep.clusterCounts[$0]) }, Palette.color(0)),
        ]
        if !merged { series.append(("Silhouette", shown.map { sweep.silhouettes[$0] ?? .nan }, Palette.color(2))) }
        for (title, values, color) in series {
            let finite = values.filter(\.isFinite)
            let lines = [
                ChartLine(name: title, xs: xs, ys: values, color: color),
                ChartLine(name: "chosen", xs: [marker, marker], ys: [finite.min() ?? 0, finite.max() ?? 1],
                          color: "#555", dashed: true),
            ]
            html += chartFigure(lineChartSVG(lines: lines, title: title, xLabel: "log10 of the bandwidth h"), legend: [])
        }
        if !sweep.persistence.isEmpty { html += persistenceDiagram(sweep) }
        return html + "</div>\n"
    }

    /// Each fragment at (log10 of its peak over the highest peak, merge height over its peak).
    func persistenceDiagram(_ sweep: BandwidthSweepPlot) -> String {
        let highest = sweep.persistence.map(\.peak).max() ?? 1
        func x(_ peak: Double) -> Double { log10(max(peak, 1e-300) / highest) }
        let mergedPairs = sweep.persistence.filter { $0.death != nil }
        let heads = sweep.persistence.filter { $0.death == nil }
        let xs = sweep.persistence.map { x($0.peak) }
        var lines = [
            ChartLine(name: "merged", xs: mergedPairs.map { x($0.peak) }, ys: mergedPairs.map { $0.death! / $0.peak },
                      color: Palette.color(1), markersOnly: true),
            ChartLine(name: "heads a cluster", xs: heads.map { x($0.peak) }, ys: heads.map { _ in 0 },
                      color: Palette.color(0), markersOnly: true),
        ]
        if let ratio = sweep.mergeRatio {
            lines.append(ChartLine(name: "threshold", xs: [xs.min() ?? -1, xs.max() ?? 0], ys: [ratio, ratio],
                                   color: "#555", dashed: true))
        }
        return chartFigure(
            lineChartSVG(lines: lines, title: "Persistence of the fragments", xLabel: "log10 of peak / highest peak",
                         includeZero: true),
            legend: lines.map { ($0.color, $0.name, $0.dashed) })
    }

    func chartFigure(_ svg: String, legend: [(color: String, name: String, dashed: Bool)]) -> String {
        var html = "<figure>\n\(svg)\n"
        if !legend.isEmpty {
            html += "<ul class=\"legend\">"
            for entry in legend {
                let style = entry.dashed ? "class=\"swatch dashed\"" : "class=\"swatch\" style=\"background:\(entry.color)\""
                html += "<li><span \(style)></span>\(escapeHTML(entry.name))</li>"
            }
            html += "</ul>\n"
        }
        return html + "</figure>\n"
    }
}
