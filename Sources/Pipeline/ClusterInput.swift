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
    public init(_ nameOrPath: String, split: DatasetSplit = .all, labelsPath: String? = nil) throws {
        switch try loadDataset(nameOrPath, split: split) {
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
    throw DatasetError.badValue(
        file: source, expected: "finite features (no NaN or infinity)",
        found: "\(features.values[index]) at row \(row), column \(column); clean or drop that row")
}

/// Reads one integer label per sample from an IDX labels file (raw or .gz), an .npy of
/// integers, or a CSV/text file (one label per line, or the last column of each line; see
/// `parseLabelsText`).
///
/// Throws `unreadable` ("no such file", or "not a UTF-8 text file") and, for text, `badLine`
/// naming the first line whose label is of the other kind.
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
            throw DatasetError.badShape(file: path, expected: "a 1-D IDX labels file", found: "shape \(array.shape)")
        }
        return array.values.map(Int.init)
    }
    return try parseLabelsText(try readLabelsText(path), file: path)
}

/// The UTF-8 text of a labels file, telling a missing file from one that is not text.
private func readLabelsText(_ path: String) throws -> String {
    guard FileManager.default.fileExists(atPath: path) else {
        throw DatasetError.unreadable(file: path, reason: "no such file")
    }
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw DatasetError.unreadable(file: path, reason: error.localizedDescription)
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw DatasetError.unreadable(file: path, reason: "not a UTF-8 text file")
    }
    return text
}

/// The labels of a CSV/text labels file: the last comma-separated field of each non-blank
/// line; `file` names the source in errors.
///
/// A file holds one kind of label. All integers are kept as they are; all names are numbered
/// 0, 1, ... in order of first appearance. Mixing them would merge a name with the integer
/// it happens to be numbered as (name `a` numbered 0 and label `0`), so a mixed file throws
/// `badLine` naming the first line whose label is of the other kind than the first label's.
/// A first line that is a name found nowhere else ("label", "class") is a header, skipped.
public func parseLabelsText(_ text: String, file: String) throws -> [Int] {
    var fields = labelFields(text)
    if let first = fields.first, Int(first.value) == nil,
       !fields.dropFirst().contains(where: { $0.value == first.value }) {
        fields.removeFirst()
    }
    guard let first = fields.first else { return [] }
    if Int(first.value) != nil {
        return try fields.map { field in
            guard let value = Int(field.value) else { throw mixedLabels(field, first: first, file: file) }
            return value
        }
    }
    var codes: [String: Int] = [:]
    return try fields.map { field in
        guard Int(field.value) == nil else { throw mixedLabels(field, first: first, file: file) }
        if let code = codes[field.value] { return code }
        codes[field.value] = codes.count
        return codes.count - 1
    }
}

/// One label of a text file: its 1-based line number and its trimmed text.
private struct LabelField {
    var line: Int
    var value: String
}

/// The last comma-separated field of every line that has one, with its line number.
private func labelFields(_ text: String) -> [LabelField] {
    text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
        .compactMap { index, line in
            let value = line.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return value.isEmpty ? nil : LabelField(line: index + 1, value: value)
        }
}

/// The error for a label of the other kind than the file's first label.
private func mixedLabels(_ field: LabelField, first: LabelField, file: String) -> DatasetError {
    let kind = Int(first.value) != nil ? "an integer" : "a name"
    let other = Int(first.value) != nil ? "a name" : "an integer"
    return DatasetError.badLine(
        file: file, line: field.line,
        expected: "\(kind) label, as on line \(first.line) ('\(first.value)'): a file holds integers only or names only",
        found: "\(other), '\(field.value)'; write every label as a name or every label as an integer")
}
