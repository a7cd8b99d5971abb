import Datasets
import Foundation

/// What `nrcc cluster` clusters: a feature matrix, with the images it came from when the input
/// was images (raw pixels scaled to [0, 1]: the raw-pixel baseline), and labels for scoring.
public struct ClusterInput: Sendable {
    public var features: FeatureMatrix
    /// The images behind `features`, when the input was images (for the report's samples).
    public var images: ImageDataset?

    public init(features: FeatureMatrix, images: ImageDataset?) {
        self.features = features
        self.images = images
    }

    /// Loads a dataset name or path (`.npy` float32 N x D, IDX or any image source that
    /// `loadDataset` reads), and labels from `labelsPath` when given (else the source's own).
    public init(_ nameOrPath: String, labelsPath: String? = nil) throws {
        switch try loadDataset(nameOrPath) {
        case let .features(matrix):
            features = matrix
            images = nil
        case let .images(dataset):
            images = dataset
            features = FeatureMatrix(
                name: dataset.name, rows: dataset.count, columns: dataset.imageSize,
                values: dataset.floatPixels(), labels: dataset.labels)
        }
        if let labelsPath {
            let labels = try readLabels(labelsPath)
            guard labels.count == features.rows else {
                throw DatasetError.countMismatch(file: labelsPath, expected: features.rows, found: labels.count)
            }
            features.labels = labels
        }
        try checkFinite(features, source: nameOrPath)
    }
}

/// Throws, naming the first row and column, when a feature is NaN or infinite.
func checkFinite(_ features: FeatureMatrix, source: String) throws {
    guard let index = features.values.firstIndex(where: { !$0.isFinite }) else { return }
    let row = index / max(1, features.columns), column = index % max(1, features.columns)
    throw DatasetError.badHeader(
        file: source, expected: "finite features (no NaN or infinity)",
        found: "\(features.values[index]) at row \(row), column \(column); clean or drop that row")
}

/// Reads one integer label per sample from an IDX labels file (raw or .gz), an .npy of
/// integers, or a CSV/text file (one label per line, or the last column of each line; a
/// header line that is not a number is skipped; labels may be any strings, numbered in order
/// of first appearance).
public func readLabels(_ path: String) throws -> [Int] {
    if path.hasSuffix(".npy") {
        let array = try readNPY(path)
        switch array.elements {
        case let .int64(values): return values.map(Int.init)
        case let .uint8(values): return values.map(Int.init)
        case .float32:
            throw DatasetError.unsupportedType(file: path, expected: "integer labels", found: "float32")
        }
    }
    if path.contains("idx1") || path.hasSuffix(".idx") {
        let array = try readIDX(path)
        guard array.shape.count == 1 else {
            throw DatasetError.badHeader(file: path, expected: "a 1-D IDX labels file", found: "shape \(array.shape)")
        }
        return array.values.map(Int.init)
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw DatasetError.unreadable(file: path, reason: "not a UTF-8 text file")
    }
    var fields = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
        let field = line.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return field.isEmpty ? nil : field
    }
    // A first line that is a name found nowhere else ("label", "class") is a header.
    if let first = fields.first, Int(first) == nil, !fields.dropFirst().contains(first) {
        fields.removeFirst()
    }
    var names: [String: Int] = [:]
    var labels: [Int] = []
    for field in fields {
        if let value = Int(field) {
            labels.append(value)
        } else {
            if names[field] == nil { names[field] = names.count }
            labels.append(names[field]!)
        }
    }
    return labels
}
