// CIFAR-10/100 binary batches: records of label byte(s) then 1024 R, 1024 G, 1024 B bytes.
import Foundation

/// Which CIFAR binary layout a file holds, and which labels to keep.
public enum CIFARFormat: Sendable, Equatable {
    /// CIFAR-10: 1 label byte + 3072 pixel bytes per record.
    case cifar10
    /// CIFAR-100 with its 100 fine labels: coarse byte, fine byte, 3072 pixel bytes.
    case cifar100Fine
    /// CIFAR-100 with the 20 super-class labels ("CIFAR-20").
    case cifar100Coarse

    var labelBytes: Int { self == .cifar10 ? 1 : 2 }
    var recordSize: Int { labelBytes + 3072 }
    var classCount: Int {
        switch self {
        case .cifar10: 10
        case .cifar100Fine: 100
        case .cifar100Coarse: 20
        }
    }
}

/// The CIFAR-100 super-class (0..<20) of every fine class (0..<100): the CIFAR-20 map, as
/// written in the coarse label of the binary files.
public let cifar100SuperclassOfFineClass: [Int] = [
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11,
    6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5,
    5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
    10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13,
    16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
]

/// The names of the 20 CIFAR-100 super-classes, indexed by coarse label.
public let cifar100SuperclassNames: [String] = [
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
]

/// Reads one CIFAR binary batch file into 3 x 32 x 32 images with their labels.
///
/// Throws `badHeader` when the size is not a whole number of records, and `badHeader` when
/// a label is outside the format's classes (a sign of the wrong format). A gzipped batch is
/// inflated up to `DecompressionLimit.memoryCeiling` (`decompressionLimitExceeded` beyond).
public func readCIFARBatch(_ path: String, format: CIFARFormat = .cifar10, name: String? = nil) throws -> ImageDataset {
    // A batch has no header to size a gzipped copy by: the memory ceiling bounds it.
    let bytes = try readFileBytes(path, limit: .memoryCeiling)
    let record = format.recordSize
    guard !bytes.isEmpty, bytes.count % record == 0 else {
        throw DatasetError.badShape(
            file: path, expected: "a whole number of \(record)-byte CIFAR records",
            found: "\(bytes.count) bytes (\(bytes.count / record) records and \(bytes.count % record) bytes over)")
    }
    let count = bytes.count / record
    var pixels = [UInt8](repeating: 0, count: count * 3072)
    var labels = [Int](repeating: 0, count: count)
    let labelOffset = format == .cifar100Fine ? 1 : 0
    for n in 0..<count {
        let start = n * record
        let label = Int(bytes[start + labelOffset])
        guard label < format.classCount else {
            throw DatasetError.badValue(
                file: path, expected: "labels below \(format.classCount) (\(format))",
                found: "label \(label) in record \(n)")
        }
        labels[n] = label
        pixels.replaceSubrange(n * 3072 ..< (n + 1) * 3072,
                               with: bytes[(start + format.labelBytes) ..< (start + record)])
    }
    let fileName = (path as NSString).lastPathComponent
    return ImageDataset(name: name ?? fileName, count: count, channels: 3, height: 32, width: 32,
                        pixels: pixels, labels: labels,
                        classNames: format == .cifar100Coarse ? cifar100SuperclassNames : nil)
}

/// Reads a CIFAR binary folder, all splits concatenated (train then test):
/// CIFAR-10 (`data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`, names from
/// `batches.meta.txt`), CIFAR-100 (`train.bin`, `test.bin`, names from
/// `fine_label_names.txt` or `coarse_label_names.txt`), or any folder of `*.bin` batches
/// (read in name order, e.g. the CIFAR-10 subset under shared/data).
///
/// `format` chooses the CIFAR-100 labels; a CIFAR-10 folder ignores it.
public func readCIFARFolder(_ path: String, format: CIFARFormat? = nil, split: DatasetSplit = .all,
                            name: String? = nil) throws -> ImageDataset {
    let fileManager = FileManager.default
    let listing: [String]
    do { listing = try fileManager.contentsOfDirectory(atPath: path).sorted() } catch {
        throw DatasetError.unreadable(file: path, reason: "not a readable folder")
    }
    let isCIFAR100 = listing.contains("train.bin") || listing.contains("test.bin")
    let resolved: CIFARFormat = isCIFAR100 ? (format == .cifar100Fine ? .cifar100Fine : format ?? .cifar100Coarse) : .cifar10
    var train: [String], test: [String]
    if isCIFAR100 {
        (train, test) = (["train.bin"], ["test.bin"])
    } else {
        let batches = listing.filter { $0.hasSuffix(".bin") }
        test = batches.filter { $0.hasPrefix("test") }
        train = batches.filter { !$0.hasPrefix("test") }
    }
    train = train.filter(listing.contains)
    test = test.filter(listing.contains)
    let files: [String]
    switch split {
    case .all: files = train + test
    case .train: files = train
    case .test: files = test
    }
    guard !files.isEmpty else {
        throw DatasetError.missingFiles(folder: path, expected: "CIFAR .bin batches for the \(split) split",
                                     found: "none among \(listing.count) entries")
    }
    let parts = try files.map { try readCIFARBatch(path + "/" + $0, format: resolved) }
    var dataset = ImageDataset.concatenating(parts, name: name ?? (path as NSString).lastPathComponent)
    let namesFile: String = switch resolved {
    case .cifar10: "batches.meta.txt"
    case .cifar100Fine: "fine_label_names.txt"
    case .cifar100Coarse: "coarse_label_names.txt"
    }
    if let text = try? String(contentsOfFile: path + "/" + namesFile, encoding: .utf8) {
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        if names.count == resolved.classCount { dataset.classNames = names }
    }
    if dataset.classNames == nil && resolved == .cifar100Coarse { dataset.classNames = cifar100SuperclassNames }
    return dataset
}

/// Which split of a dataset to read; `.all` (the default) concatenates train then test.
public enum DatasetSplit: String, Sendable, CaseIterable, Codable {
    case all, train, test
}
