// Named datasets and "any path": what `--dataset <name|path>` resolves to.
import Foundation

/// What a dataset name or path holds: images to train on, or a feature matrix that skips
/// training and goes straight to UMAP.
public enum DatasetContents: Sendable, Equatable {
    case images(ImageDataset)
    case features(FeatureMatrix)

    /// Number of samples.
    public var count: Int {
        switch self {
        case let .images(dataset): dataset.count
        case let .features(matrix): matrix.rows
        }
    }

    /// Labels for scoring, when the source has them.
    public var labels: [Int]? {
        switch self {
        case let .images(dataset): dataset.labels
        case let .features(matrix): matrix.labels
        }
    }

    /// The same samples with `labels` (one per sample) in place of their own.
    public func relabelled(_ labels: [Int]) -> DatasetContents {
        switch self {
        case var .images(dataset):
            dataset.labels = labels
            return .images(dataset)
        case var .features(matrix):
            matrix.labels = labels
            return .features(matrix)
        }
    }
}

/// Where named datasets are looked for.
///
/// Shared-data names (`usps`, `coil20`, `cifar10`, ...) are searched in each of
/// `dataDirectories` in order: by default the folder in the environment variable `NRCC_DATA`
/// (when set), then `../shared/data` relative to the current directory. `fashion-mnist` is
/// also searched in `systemDatasets` (Debian's `/usr/share/datasets`).
public struct DatasetSearchPaths: Sendable, Equatable {
    /// Folders searched in order for shared-data names.
    public var dataDirectories: [String]
    /// Debian's datasets folder (holds `fashion-mnist/`).
    public var systemDatasets: String

    /// Explicit search folders (tests, or a caller with its own data location).
    public init(dataDirectories: [String], systemDatasets: String = "/usr/share/datasets") {
        self.dataDirectories = dataDirectories
        self.systemDatasets = systemDatasets
    }

    /// `$NRCC_DATA` (when set and not empty), then `../shared/data`.
    public static var standard: DatasetSearchPaths {
        var directories = [String]()
        if let variable = ProcessInfo.processInfo.environment["NRCC_DATA"], !variable.isEmpty {
            directories.append(variable)
        }
        directories.append("../shared/data")
        return DatasetSearchPaths(dataDirectories: directories)
    }
}

/// The names `loadDataset` knows, with the folders each may live in (first found wins).
///
/// - `digits`: embedded in the binary (1797 8x8 grey, 10 classes); always available.
/// - `fashion-mnist`: 70,000 28x28 grey; `<data>/fashion-mnist`, then Debian's package.
/// - `usps`: 9298 16x16 grey; `<data>/usps`.
/// - `coil20`: 1440 32x32 grey, 20 objects; `<data>/coil20`.
/// - `cifar10`: the real binary folder `<data>/cifar-10-batches-bin` (60,000) when present,
///   else the 4000-image subset `<data>/cifar10-subset`.
/// - `cifar10-lt`: the train split of `cifar10` made long-tailed as CIFAR-10-LT is
///   (imbalance ratio 10, head class = the smallest class's size, seed 0; 5000 down to 500
///   on the real CIFAR-10).
/// - `cifar100` / `cifar20`: `<data>/cifar-100-binary`, fine or super-class labels.
public let datasetNames = ["digits", "fashion-mnist", "usps", "coil20", "cifar10", "cifar10-lt", "cifar100", "cifar20"]

/// Loads a named dataset or any path, all splits concatenated (train then test) by default.
///
/// A path may be: an IDX file (its labels file is found by replacing `images-idx3` with
/// `labels-idx1` in the name), a CIFAR binary batch, a `.npy` (uint8 N x H x W or
/// N x H x W x C images, or float32 N x D features; labels from a sibling `<stem>_labels.npy`
/// when present), a folder of IDX files, a CIFAR binary folder, or a folder of PNG/JPEG
/// images (sub-folder names as labels). Throws `unknownDataset` when it is none of these,
/// and `missingDataset` (with the command that installs it) for a name not on this machine.
public func loadDataset(_ nameOrPath: String, split: DatasetSplit = .all,
                        folderOptions: ImageFolderOptions = ImageFolderOptions(),
                        searchPaths: DatasetSearchPaths = .standard) throws -> DatasetContents {
    switch nameOrPath {
    case "digits":
        return .images(try embeddedDigits(split: split))
    case "fashion-mnist":
        let folders = searchPaths.dataDirectories.map { $0 + "/fashion-mnist" } + [searchPaths.systemDatasets + "/fashion-mnist"]
        return .images(try readIDXFolder(try firstExisting(folders, name: nameOrPath,
                                                           fix: "install it with: apt-get install -y dataset-fashion-mnist"),
                                         split: split, name: "fashion-mnist"))
    case "usps", "coil20":
        let folders = searchPaths.dataDirectories.map { $0 + "/" + nameOrPath }
        return .images(try readIDXFolder(try firstExisting(folders, name: nameOrPath, fix: sharedDataFix),
                                         split: split, name: nameOrPath))
    case "cifar10":
        let folders = searchPaths.dataDirectories.flatMap { [$0 + "/cifar-10-batches-bin", $0 + "/cifar10-subset"] }
        return .images(try readCIFARFolder(try firstExisting(folders, name: nameOrPath, fix: sharedDataFix),
                                           split: split, name: "cifar10"))
    case "cifar10-lt":
        guard split != .test else {
            throw DatasetError.unavailableSplit(dataset: nameOrPath, expected: "the train split (CIFAR-10-LT is built from it)", found: "test")
        }
        let train = try loadImageDataset("cifar10", split: .train, searchPaths: searchPaths)
        var longTail = try train.longTailed(imbalanceRatio: 10, seed: 0)
        longTail.name = "cifar10-lt"
        return .images(longTail)
    case "cifar100", "cifar20":
        let folders = searchPaths.dataDirectories.map { $0 + "/cifar-100-binary" }
        let folder = try firstExisting(folders, name: nameOrPath,
                                       fix: "put the CIFAR-100 binary version's cifar-100-binary folder in $NRCC_DATA")
        return .images(try readCIFARFolder(folder, format: nameOrPath == "cifar20" ? .cifar100Coarse : .cifar100Fine,
                                           split: split, name: nameOrPath))
    default:
        return try loadPath(nameOrPath, split: split, folderOptions: folderOptions)
    }
}

/// Like `loadDataset`, for callers that need images: throws `badHeader` for a feature matrix.
public func loadImageDataset(_ nameOrPath: String, split: DatasetSplit = .all,
                             folderOptions: ImageFolderOptions = ImageFolderOptions(),
                             searchPaths: DatasetSearchPaths = .standard) throws -> ImageDataset {
    switch try loadDataset(nameOrPath, split: split, folderOptions: folderOptions, searchPaths: searchPaths) {
    case let .images(dataset): return dataset
    case let .features(matrix):
        throw DatasetError.badShape(file: nameOrPath, expected: "images (uint8 N x H x W [x C])",
                                     found: "a float32 \(matrix.rows) x \(matrix.columns) feature matrix")
    }
}

/// The embedded digits (1797 8x8 grey images, labels 0-9); the whole set is the train split.
public func embeddedDigits(split: DatasetSplit = .all) throws -> ImageDataset {
    if split == .test {
        throw DatasetError.unavailableSplit(dataset: "digits", expected: "a dataset with a test split", found: "one split only")
    }
    let images = try decodeIDX(decodeBase64(embeddedDigitsImages), file: "digits (embedded images)")
    let labels = try decodeIDX(decodeBase64(embeddedDigitsLabels), file: "digits (embedded labels)")
    return ImageDataset(name: "digits", count: images.shape[0], channels: 1, height: images.shape[1],
                        width: images.shape[2], pixels: images.values, labels: labels.values.map(Int.init),
                        classNames: (0..<10).map(String.init))
}

private func decodeBase64(_ text: String) -> [UInt8] {
    [UInt8](Data(base64Encoded: text, options: .ignoreUnknownCharacters) ?? Data())
}

private let sharedDataFix = "set NRCC_DATA to the folder holding it, or run from a folder whose ../shared/data has it"

private func firstExisting(_ folders: [String], name: String, fix: String) throws -> String {
    var isFolder: ObjCBool = false
    for folder in folders where FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue {
        return folder
    }
    throw DatasetError.missingDataset(name: name, searched: folders, fix: fix)
}

/// Reads every IDX images file in a folder with its labels file, split by name
/// (`train` / `test` or `t10k`; files naming neither form the train split).
public func readIDXFolder(_ path: String, split: DatasetSplit = .all, name: String? = nil) throws -> ImageDataset {
    let listing: [String]
    do { listing = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
        throw DatasetError.unreadable(file: path, reason: "not a readable folder")
    }
    let imageFiles = listing.filter { $0.contains("-images-idx") || $0.contains("-images.idx") }
    let isTest: (String) -> Bool = { $0.contains("test") || $0.contains("t10k") }
    // Train first, then test, so the concatenation order is the usual one.
    let ordered = imageFiles.filter { !isTest($0) } + imageFiles.filter(isTest)
    let selected = ordered.filter { split == .all || (split == .test) == isTest($0) }
    guard !selected.isEmpty else {
        throw DatasetError.missingFiles(folder: path, expected: "IDX images files (*-images-idx3-ubyte[.gz]) for the \(split) split",
                                     found: "none among \(listing.count) entries")
    }
    let parts = try selected.map { file -> ImageDataset in
        let labels = labelsFileName(for: file).flatMap { listing.contains($0) ? path + "/" + $0 : nil }
        return try readIDXImages(images: path + "/" + file, labels: labels)
    }
    if parts.contains(where: { ($0.channels, $0.height, $0.width) != (parts[0].channels, parts[0].height, parts[0].width) }) {
        throw DatasetError.badShape(file: path, expected: "IDX files of one image size",
                                     found: parts.map { "\($0.name): \($0.height)x\($0.width)" }.joined(separator: ", "))
    }
    return ImageDataset.concatenating(parts, name: name ?? (path as NSString).lastPathComponent)
}

/// `train-images-idx3-ubyte.gz` -> `train-labels-idx1-ubyte.gz`.
func labelsFileName(for imagesFile: String) -> String? {
    for (from, to) in [("-images-idx3", "-labels-idx1"), ("-images-idx4", "-labels-idx1"), ("-images.idx3", "-labels.idx1")]
    where imagesFile.contains(from) {
        return imagesFile.replacingOccurrences(of: from, with: to)
    }
    return nil
}

private func loadPath(_ path: String, split: DatasetSplit, folderOptions: ImageFolderOptions) throws -> DatasetContents {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw DatasetError.unknownDataset(name: path, known: datasetNames)
    }
    let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    if isFolder.boolValue {
        let listing = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if listing.contains(where: { $0.hasSuffix(".bin") }) {
            return .images(try readCIFARFolder(path, split: split))
        }
        if listing.contains(where: { labelsFileName(for: $0) != nil }) {
            return .images(try readIDXFolder(path, split: split))
        }
        return .images(try readImageFolder(path, options: folderOptions))
    }
    if path.lowercased().hasSuffix(".npy") {
        return try loadNPYDataset(path, name: name)
    }
    if path.lowercased().hasSuffix(".bin") {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let format: CIFARFormat = size % 3073 == 0 ? .cifar10 : .cifar100Fine
        return .images(try readCIFARBatch(path, format: format))
    }
    let fileName = (path as NSString).lastPathComponent
    let labels = labelsFileName(for: fileName).map { (path as NSString).deletingLastPathComponent + "/" + $0 }
        .flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    // IDX, raw (00 00 ...) or gzipped: the only gzipped format read here.
    let head = try readFileBytes(path, decompress: false).prefix(4)
    if head.count >= 2, (head[head.startIndex] == 0 && head[head.startIndex + 1] == 0) || isGzip(Array(head)) {
        return .images(try readIDXImages(images: path, labels: labels))
    }
    if imageFileExtensions.contains((path as NSString).pathExtension.lowercased()) {
        let image = try decodeImage(try readFileBytes(path, decompress: false), file: path)
        return .images(ImageDataset(name: name, count: 1, channels: image.channels, height: image.height,
                                    width: image.width, pixels: image.pixels))
    }
    throw DatasetError.badMagic(file: path, expected: "an IDX, CIFAR (.bin), .npy, PNG or JPEG file", found: hexPrefix(head))
}

/// Reads an .npy as a dataset: uint8 N x H x W (grey) or N x H x W x C (C = 1 or 3) images,
/// or float32 N x D features. Labels come from `<stem>_labels.npy` beside it when present
/// (any integer dtype, N entries).
public func loadNPYDataset(_ path: String, name: String? = nil) throws -> DatasetContents {
    let array = try readNPY(path)
    let stem = (path as NSString).deletingPathExtension
    var labels: [Int]? = nil
    let labelsPath = stem + "_labels.npy"
    if FileManager.default.fileExists(atPath: labelsPath) {
        let labelArray = try readNPY(labelsPath)
        let values: [Int]
        switch labelArray.elements {
        case let .int64(items): values = items.map { Int($0) }
        case let .uint8(items): values = items.map(Int.init)
        case .float32:
            throw DatasetError.unsupportedType(file: labelsPath, expected: "integer labels", found: "float32")
        }
        guard labelArray.shape.count == 1, values.allSatisfy({ $0 >= 0 }) else {
            throw DatasetError.badShape(file: labelsPath, expected: "non-negative labels of shape N", found: "shape \(labelArray.shape)")
        }
        guard values.count == (array.shape.first ?? 0) else {
            throw DatasetError.countMismatch(file: labelsPath, expected: array.shape.first ?? 0, found: values.count)
        }
        labels = values
    }
    let title = name ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    switch (array.elements, array.shape.count) {
    case let (.uint8(values), 3):
        guard array.shape[1] > 0, array.shape[2] > 0 else {
            throw DatasetError.badShape(file: path, expected: "images of at least 1x1", found: "shape \(array.shape)")
        }
        return .images(ImageDataset(name: title, count: array.shape[0], channels: 1, height: array.shape[1],
                                    width: array.shape[2], pixels: values, labels: labels))
    case let (.uint8(values), 4) where array.shape[3] == 1 || array.shape[3] == 3:
        let (count, height, width, channels) = (array.shape[0], array.shape[1], array.shape[2], array.shape[3])
        guard height > 0, width > 0 else {
            throw DatasetError.badShape(file: path, expected: "images of at least 1x1", found: "shape \(array.shape)")
        }
        return .images(ImageDataset(name: title, count: count, channels: channels, height: height, width: width,
                                    pixels: interleavedToPlanar(values, count: count, height: height, width: width, channels: channels),
                                    labels: labels))
    case let (.float32(values), 2):
        return .features(FeatureMatrix(name: title, rows: array.shape[0], columns: array.shape[1], values: values, labels: labels))
    default:
        throw DatasetError.badShape(
            file: path, expected: "uint8 N x H x W or N x H x W x C (C = 1 or 3) images, or float32 N x D features",
            found: "\(array.elements.descriptor) of shape \(array.shape)")
    }
}
