// Long-tailed subsets, as CIFAR-10-LT is built (Cao et al. 2019, "LDAM"): an exponential
// class profile from a head class to a tail class `imbalanceRatio` times smaller.
import Foundation
import Basics

/// Images kept per class: `Int(maximum * imbalanceRatio^(-c / (classCount - 1)))` for class
/// `c` in 0..<classCount (LDAM's `img_max * imb_factor**(c / (cls_num - 1))`, truncated).
/// Class 0 keeps `maximum`, the last class `maximum / imbalanceRatio`.
public func longTailClassCounts(maximum: Int, classCount: Int, imbalanceRatio: Double) -> [Int] {
    checkArgument(maximum >= 0 && classCount >= 1, "longTailClassCounts: maximum \(maximum), classCount \(classCount)")
    checkArgument(imbalanceRatio >= 1, "longTailClassCounts: imbalanceRatio must be >= 1, got \(imbalanceRatio)")
    if classCount == 1 { return [maximum] }
    return (0..<classCount).map { c in
        Int(Double(maximum) * pow(1 / imbalanceRatio, Double(c) / Double(classCount - 1)))
    }
}

extension ImageDataset {
    /// A long-tailed subset: class `c` keeps `longTailClassCounts(...)[c]` images drawn
    /// without replacement by a seeded shuffle of its members; the kept images stay in their
    /// original order.
    ///
    /// `maximumPerClass` defaults to the size of the smallest class (every class can then
    /// supply its share). Throws `invalidSetting` for an unlabelled dataset, a ratio below 1,
    /// or a maximum a class cannot supply.
    public func longTailed(imbalanceRatio: Double, seed: UInt64, maximumPerClass: Int? = nil) throws -> ImageDataset {
        guard let labels, !labels.isEmpty else {
            throw DatasetError.invalidSetting(name: "dataset", value: "none", expected: "labels to build a long-tailed subset")
        }
        guard imbalanceRatio >= 1, imbalanceRatio.isFinite else {
            throw DatasetError.invalidSetting(name: "imbalanceRatio", value: "\(imbalanceRatio)", expected: ">= 1")
        }
        let classes = classCount
        var members = [[Int]](repeating: [], count: classes)
        for (index, label) in labels.enumerated() { members[label].append(index) }
        let smallest = members.map(\.count).min() ?? 0
        let maximum = maximumPerClass ?? smallest
        guard maximum >= 1, maximum <= smallest else {
            throw DatasetError.invalidSetting(name: "maximumPerClass", value: "\(maximum)",
                                              expected: "in 1...\(smallest) (the smallest class)")
        }
        let counts = longTailClassCounts(maximum: maximum, classCount: classes, imbalanceRatio: imbalanceRatio)
        var kept = [Int]()
        for c in 0..<classes {
            var random = SeededGenerator(seed: seed, stream: [0x4C54, UInt64(c)])  // "LT"
            var pool = members[c]
            for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, random.nextInt(below: i + 1)) }
            kept += pool.prefix(counts[c])
        }
        var subset = subset(kept.sorted())
        subset.name = "\(name)-lt\(imbalanceRatio == imbalanceRatio.rounded() ? String(Int(imbalanceRatio)) : String(imbalanceRatio))"
        return subset
    }
}
