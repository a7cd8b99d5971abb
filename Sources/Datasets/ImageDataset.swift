import Basics

// The in-memory image collection every reader produces.

/// A collection of same-sized images, stored as bytes.
///
/// Layout of `pixels`: N x C x H x W, row-major, contiguous, `UInt8` 0...255: image `n`,
/// channel `c`, row `y`, column `x` is at `((n * channels + c) * height + y) * width + x`.
/// This is the project's one memory layout (NCHW) so that float conversion is a plain
/// scaling. Channels are 1 (grey) or 3 (R, G, B).
///
/// `labels` exist only to score clusterings; nothing may train on them.
public struct ImageDataset: Sendable, Equatable {
    /// A short name for logs and reports (`digits`, `fashion-mnist`, a file name).
    public var name: String
    /// Images, N x C x H x W bytes (see the type's documentation).
    public private(set) var pixels: [UInt8]
    /// Number of images N.
    public let count: Int
    /// Channels C: 1 (grey) or 3 (RGB).
    public let channels: Int
    /// Rows H.
    public let height: Int
    /// Columns W.
    public let width: Int
    /// One class index per image (0..<classCount), for scoring only; nil when unlabelled.
    public var labels: [Int]?
    /// Class names indexed by label, when the source names them.
    public var classNames: [String]?

    /// Wraps pixels already in N x C x H x W order.
    ///
    /// Sizes are the caller's promise (readers check the file before calling), so a
    /// disagreement is a programmer error and traps.
    public init(
        name: String, count: Int, channels: Int, height: Int, width: Int,
        pixels: [UInt8], labels: [Int]? = nil, classNames: [String]? = nil
    ) {
        checkArgument(count >= 0 && height > 0 && width > 0, "ImageDataset: bad size \(count)x\(channels)x\(height)x\(width)")
        checkArgument(channels == 1 || channels == 3, "ImageDataset: channels must be 1 or 3, got \(channels)")
        checkArgument(pixels.count == count * channels * height * width,
                     "ImageDataset: \(count)x\(channels)x\(height)x\(width) needs \(count * channels * height * width) bytes, got \(pixels.count)")
        if let labels {
            checkArgument(labels.count == count, "ImageDataset: \(count) images but \(labels.count) labels")
        }
        self.name = name
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
    }

    /// Bytes in one image: C x H x W.
    public var imageSize: Int { channels * height * width }

    /// Number of distinct classes: `classNames.count` when named, else max label + 1, else 0.
    public var classCount: Int {
        if let classNames { return classNames.count }
        guard let labels, let largest = labels.max() else { return 0 }
        return largest + 1
    }

    /// The bytes of image `index`, C x H x W (a copy, indexed from 0).
    public func image(at index: Int) -> [UInt8] {
        checkArgument(index >= 0 && index < count, "image(at:): index \(index) outside 0..<\(count)")
        return Array(pixels[index * imageSize ..< (index + 1) * imageSize])
    }

    /// All pixels as floats in [0, 1] (value / 255), N x C x H x W.
    public func floatPixels() -> [Float] {
        pixels.map { Float($0) * (1 / 255) }
    }

    /// The raw pixels as features, N x (C * H * W) floats in [0, 1], with the labels: for
    /// clustering images without training an encoder (a baseline).
    public func featureMatrix() -> FeatureMatrix {
        FeatureMatrix(name: name, rows: count, columns: imageSize, values: floatPixels(), labels: labels)
    }

    /// The images at `indices` (in that order), with their labels.
    public func subset(_ indices: [Int]) -> ImageDataset {
        let size = imageSize
        var selected = [UInt8]()
        selected.reserveCapacity(indices.count * size)
        for index in indices {
            checkArgument(index >= 0 && index < count, "subset: index \(index) outside 0..<\(count)")
            selected.append(contentsOf: pixels[index * size ..< (index + 1) * size])
        }
        return ImageDataset(
            name: name, count: indices.count, channels: channels, height: height, width: width,
            pixels: selected, labels: labels.map { labels in indices.map { labels[$0] } },
            classNames: classNames)
    }

    /// The images of `parts` one after the other (e.g. train then test).
    ///
    /// Parts must share C x H x W; labels are kept only when every part has them.
    public static func concatenating(_ parts: [ImageDataset], name: String) -> ImageDataset {
        checkArgument(!parts.isEmpty, "concatenating: no parts")
        let first = parts[0]
        for part in parts {
            checkArgument(part.channels == first.channels && part.height == first.height && part.width == first.width,
                         "concatenating: \(part.name) is \(part.channels)x\(part.height)x\(part.width), \(first.name) is \(first.channels)x\(first.height)x\(first.width)")
        }
        let labelled = parts.allSatisfy { $0.labels != nil }
        return ImageDataset(
            name: name, count: parts.reduce(0) { $0 + $1.count },
            channels: first.channels, height: first.height, width: first.width,
            pixels: parts.flatMap(\.pixels),
            labels: labelled ? parts.flatMap { $0.labels! } : nil,
            classNames: first.classNames)
    }

    /// The same images with `channels` channels: grey to RGB copies the plane three times;
    /// RGB to grey uses ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), as PIL's "L" mode does.
    public func converted(toChannels target: Int) -> ImageDataset {
        checkArgument(target == 1 || target == 3, "converted(toChannels:): must be 1 or 3, got \(target)")
        if target == channels { return self }
        let plane = height * width
        var output = [UInt8](repeating: 0, count: count * target * plane)
        for n in 0..<count {
            let source = n * channels * plane
            let destination = n * target * plane
            for p in 0..<plane {
                if target == 3 {
                    let value = pixels[source + p]
                    output[destination + p] = value
                    output[destination + plane + p] = value
                    output[destination + 2 * plane + p] = value
                } else {
                    let luma = 299 * Int(pixels[source + p]) + 587 * Int(pixels[source + plane + p])
                        + 114 * Int(pixels[source + 2 * plane + p])
                    output[destination + p] = UInt8((luma + 500) / 1000)
                }
            }
        }
        return ImageDataset(
            name: name, count: count, channels: target, height: height, width: width,
            pixels: output, labels: labels, classNames: classNames)
    }
}

/// A float feature matrix, N x D row-major, for inputs that skip training and go straight
/// to UMAP (an .npy of float32 N x D).
public struct FeatureMatrix: Sendable, Equatable {
    /// A short name for logs and reports.
    public var name: String
    /// Rows N (one per sample).
    public let rows: Int
    /// Columns D (features per sample).
    public let columns: Int
    /// N x D, row-major: sample `i`, feature `j` at `i * columns + j`.
    public var values: [Float]
    /// One class index per row, for scoring only; nil when unlabelled.
    public var labels: [Int]?

    /// Wraps `values` (N x D row-major); sizes that disagree trap.
    public init(name: String, rows: Int, columns: Int, values: [Float], labels: [Int]? = nil) {
        checkArgument(rows >= 0 && columns >= 0, "FeatureMatrix: bad size \(rows)x\(columns)")
        checkArgument(values.count == rows * columns, "FeatureMatrix: \(rows)x\(columns) needs \(rows * columns) values, got \(values.count)")
        if let labels { checkArgument(labels.count == rows, "FeatureMatrix: \(rows) rows but \(labels.count) labels") }
        self.name = name
        self.rows = rows
        self.columns = columns
        self.values = values
        self.labels = labels
    }
}

/// A batch of float images ready for the network.
///
/// Layout of `pixels`: count x C x H x W (NCHW), row-major, contiguous; each value is
/// `(byte / 255 - mean[c]) / std[c]` after any augmentation.
public struct ImageBatch: Sendable, Equatable {
    /// Images in the batch, N.
    public let count: Int
    /// Channels C (1 or 3), rows H, columns W of every image.
    public let channels: Int
    public let height: Int
    public let width: Int
    /// N x C x H x W floats, normalised.
    public var pixels: [Float]
    /// The dataset index of every image in the batch (for labels, kNN monitors, the report).
    public let indices: [Int]

    /// Wraps `pixels` (N x C x H x W); sizes that disagree trap.
    public init(count: Int, channels: Int, height: Int, width: Int, pixels: [Float], indices: [Int]) {
        checkArgument(pixels.count == count * channels * height * width,
                     "ImageBatch: \(count)x\(channels)x\(height)x\(width) needs \(count * channels * height * width) floats, got \(pixels.count)")
        checkArgument(indices.count == count, "ImageBatch: \(count) images but \(indices.count) indices")
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.indices = indices
    }

    /// Floats in one image: C x H x W.
    public var imageSize: Int { channels * height * width }
}
