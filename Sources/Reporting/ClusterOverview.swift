import Basics

/// What the report needs to know about the clusters, computed once: their sizes, the order
/// in which every section lists them, their colours, and how they meet the true classes.
///
/// Order: when labels exist, clusters matched to a class come first, in class order, then the
/// unmatched ones by the class most of their points belong to, largest first; without labels,
/// largest first. A cluster matched to class c
/// has class c's colour, so the plot by cluster and the plot by label read side by side.
struct ClusterOverview {
    /// Cluster ids (>= 0) in display order.
    let clusters: [Int]
    /// Points per cluster id.
    let sizes: [Int: Int]
    /// Points with a negative cluster label.
    let unassignedCount: Int
    /// True class ids present in the labels, ascending; empty without labels.
    let classes: [Int]
    /// counts[row][column]: points of `clusters[row]` in `classes[column]`; empty without labels.
    let counts: [[Int]]
    /// Points without a cluster, per class column; empty without labels.
    let unassignedByClass: [Int]
    /// Cluster id -> matched class id (Hungarian when given, else greedy by largest overlap).
    let matchedClass: [Int: Int]
    let clusterColor: [Int: String]
    let classColor: [Int: String]

    var hasLabels: Bool { !classes.isEmpty }

    init(clusterLabels: [Int], trueLabels: [Int]?, clusterToClass: [Int: Int]?) {
        var sizes: [Int: Int] = [:]
        var unassigned = 0
        for label in clusterLabels {
            if label < 0 { unassigned += 1 } else { sizes[label, default: 0] += 1 }
        }
        self.sizes = sizes
        self.unassignedCount = unassigned
        let bySize = sizes.keys.sorted { (sizes[$0]!, $1) > (sizes[$1]!, $0) }

        guard let trueLabels, !trueLabels.isEmpty else {
            clusters = bySize
            classes = []
            counts = []
            unassignedByClass = []
            matchedClass = [:]
            clusterColor = Dictionary(uniqueKeysWithValues: bySize.enumerated().map { ($1, Palette.color($0)) })
            classColor = [:]
            return
        }
        checkArgument(
            trueLabels.count == clusterLabels.count,
            "report: \(clusterLabels.count) cluster labels but \(trueLabels.count) true labels")

        let classes = Array(Set(trueLabels)).sorted()
        let column = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var table: [Int: [Int]] = [:]
        var unassignedByClass = [Int](repeating: 0, count: classes.count)
        for (cluster, label) in zip(clusterLabels, trueLabels) {
            if cluster < 0 {
                unassignedByClass[column[label]!] += 1
            } else {
                table[cluster, default: [Int](repeating: 0, count: classes.count)][column[label]!] += 1
            }
        }

        let matched = clusterToClass?.filter { sizes[$0.key] != nil && column[$0.value] != nil }
            ?? greedyMatch(table: table, classes: classes)
        let matchedInClassOrder = matched.keys.sorted { (column[matched[$0]!]!, $0) < (column[matched[$1]!]!, $1) }
        // Unmatched clusters sit next to the class most of their points belong to, largest first.
        let majorityColumn = table.mapValues { row in row.indices.max { (row[$0], $1) < (row[$1], $0) } ?? 0 }
        let sizeRank = Dictionary(uniqueKeysWithValues: bySize.enumerated().map { ($1, $0) })
        let unmatched = bySize.filter { matched[$0] == nil }.sorted {
            (majorityColumn[$0]!, sizeRank[$0]!) < (majorityColumn[$1]!, sizeRank[$1]!)
        }

        self.classes = classes
        self.clusters = matchedInClassOrder + unmatched
        self.counts = clusters.map { table[$0]! }
        self.unassignedByClass = unassignedByClass
        self.matchedClass = matched
        self.classColor = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Palette.color($0)) })
        var clusterColor: [Int: String] = [:]
        for cluster in matchedInClassOrder { clusterColor[cluster] = Palette.color(column[matched[cluster]!]!) }
        for (offset, cluster) in unmatched.enumerated() {
            clusterColor[cluster] = Palette.color(classes.count + offset)
        }
        self.clusterColor = clusterColor
    }

    /// The colour of a cluster label, grey for unassigned points.
    func color(ofCluster cluster: Int) -> String {
        clusterColor[cluster] ?? Palette.unassigned
    }

    /// The class most of a cluster's points belong to, and its share of the cluster.
    func majority(ofCluster cluster: Int) -> (classID: Int, share: Double)? {
        guard hasLabels, let row = clusters.firstIndex(of: cluster) else { return nil }
        let rowCounts = counts[row]
        guard let best = rowCounts.indices.max(by: { (rowCounts[$0], $1) < (rowCounts[$1], $0) }) else { return nil }
        return (classes[best], Double(rowCounts[best]) / Double(max(1, sizes[cluster]!)))
    }
}

/// One cluster per class, by largest overlap first: every (cluster, class) pair sorted by
/// count, taken when neither side is taken yet. Ties go to the smaller ids, for determinism.
func greedyMatch(table: [Int: [Int]], classes: [Int]) -> [Int: Int] {
    var pairs: [(count: Int, cluster: Int, column: Int)] = []
    for (cluster, row) in table {
        for (column, count) in row.enumerated() where count > 0 { pairs.append((count, cluster, column)) }
    }
    pairs.sort { ($0.count, $1.cluster, $1.column) > ($1.count, $0.cluster, $0.column) }
    var matched: [Int: Int] = [:]
    var takenColumns = Set<Int>()
    for pair in pairs where matched[pair.cluster] == nil && !takenColumns.contains(pair.column) {
        matched[pair.cluster] = classes[pair.column]
        takenColumns.insert(pair.column)
    }
    return matched
}
