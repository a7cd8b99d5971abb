import Basics

// IDX, MNIST's format: magic 00 00 <type> <ndim>, ndim big-endian uint32 sizes, then data.

/// An IDX array of unsigned bytes (type 0x08), the only element type of the MNIST family.
public struct IDXArray: Sendable, Equatable {
    /// Dimensions, outermost first (e.g. [60000, 28, 28]).
    public var shape: [Int]
    /// Row-major bytes, `shape.reduce(1, *)` of them.
    public var values: [UInt8]

    /// Wraps `values` (row-major) of `shape`.
    public init(shape: [Int], values: [UInt8]) {
        self.shape = shape
        self.values = values
    }
}

/// Reads an IDX file of unsigned bytes, raw or gzipped (detected from the content).
///
/// Throws `badMagic`, `unsupportedType` (any element type but 0x08), `badHeader` (a rank
/// outside 1...4, sizes whose product overflows), `truncated` or `trailingBytes` when the
/// data size disagrees with the dimensions, and `decompressionLimitExceeded` when a gzip
/// stream holds more than its header accounts for.
public func readIDX(_ path: String) throws -> IDXArray {
    try decodeIDX(try readFileBytes(path, decompress: false), file: path)
}

/// Parses IDX bytes, raw or gzipped; `file` names the source in errors.
///
/// A gzip stream is inflated in two steps so that a crafted one (a 1 MB "bomb" that inflates
/// to gigabytes) is refused after a few kilobytes: first the header alone, then the rest up
/// to exactly the size that header gives, stopping the moment the stream holds more.
public func decodeIDX(_ bytes: [UInt8], file: String) throws -> IDXArray {
    guard isGzip(bytes) else { return try parseIDX(bytes, file: file) }
    let head = try gunzipPrefix(bytes, count: idxMaximumHeaderBytes, file: file)
    let header = try parseIDXHeader(head, file: file)
    return try parseIDX(try gunzip(bytes, file: file, limit: header.decompressionLimit), file: file)
}

/// Parses IDX bytes (already decompressed); `file` names the source in errors.
public func parseIDX(_ bytes: [UInt8], file: String) throws -> IDXArray {
    let header = try parseIDXHeader(bytes, file: file)
    if bytes.count < header.fileBytes {
        throw DatasetError.truncated(file: file, expectedBytes: header.fileBytes, foundBytes: bytes.count)
    }
    if bytes.count > header.fileBytes {
        throw DatasetError.trailingBytes(file: file, expectedBytes: header.fileBytes, foundBytes: bytes.count)
    }
    return IDXArray(shape: header.shape, values: Array(bytes[header.headerBytes...]))
}

/// The most dimensions an IDX file may have here (MNIST's family uses 1 to 4).
let idxMaximumRank = 4

/// The longest IDX header: the magic, then one big-endian uint32 size per dimension.
let idxMaximumHeaderBytes = 4 + 4 * idxMaximumRank

/// What an IDX header says: the shape, and so the exact size of the whole file.
struct IDXHeader {
    /// Dimensions, outermost first.
    var shape: [Int]
    /// 4 + 4 x rank.
    var headerBytes: Int
    /// The product of the dimensions (one byte per element).
    var payloadBytes: Int
    /// `headerBytes + payloadBytes`, known not to overflow.
    var fileBytes: Int

    /// The bound for inflating the whole file: exactly the size the header gives, or the
    /// memory ceiling when that is lower (a header may claim terabytes).
    var decompressionLimit: DecompressionLimit {
        let ceiling = DecompressionLimit.memoryCeiling
        guard fileBytes <= ceiling.bytes else { return ceiling }
        return DecompressionLimit(
            bytes: fileBytes,
            reason: "the IDX header's shape \(shape) needs \(headerBytes) + \(payloadBytes) bytes")
    }
}

/// Reads the magic, element type and dimensions from the start of `bytes` (which need hold
/// no more than the header), computing the file's size with overflow-checked arithmetic.
func parseIDXHeader(_ bytes: [UInt8], file: String) throws -> IDXHeader {
    guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
        throw DatasetError.badMagic(file: file, expected: "the IDX magic 00 00 08 <ndim>", found: hexPrefix(bytes))
    }
    let typeNames: [UInt8: String] = [0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"]
    guard bytes[2] == 0x08 else {
        let found = typeNames[bytes[2]].map { "\($0) (0x\(String(bytes[2], radix: 16)))" } ?? "type code 0x\(String(bytes[2], radix: 16))"
        throw DatasetError.unsupportedType(file: file, expected: "uint8 (0x08)", found: found)
    }
    let rank = Int(bytes[3])
    guard (1...idxMaximumRank).contains(rank) else {
        throw DatasetError.badHeader(file: file, expected: "1 to \(idxMaximumRank) dimensions", found: "\(rank)")
    }
    var cursor = ByteCursor(bytes, file: file)
    cursor.offset = 4
    let shape = try (0..<rank).map { _ in Int(try cursor.bigEndianUInt32()) }
    var payload = 1
    for size in shape {
        let (product, overflow) = payload.multipliedReportingOverflow(by: size)
        payload = overflow ? Int.max : product
    }
    let (fileBytes, overflow) = cursor.offset.addingReportingOverflow(payload)
    guard !overflow, payload < Int.max else {
        throw DatasetError.badHeader(file: file, expected: "dimensions whose product fits a 64-bit size",
                                     found: "shape \(shape); the header is damaged")
    }
    return IDXHeader(shape: shape, headerBytes: cursor.offset, payloadBytes: payload, fileBytes: fileBytes)
}

/// Reads an IDX images file (N x H x W grey, or N x H x W x 3 colour) and, optionally, its
/// IDX labels file (N labels), into an `ImageDataset`.
///
/// Throws `countMismatch` when the labels file holds a different number of labels than
/// there are images, `badHeader` for shapes that are not images, and `tooFewImages` for a
/// file of 0 images.
public func readIDXImages(images imagesPath: String, labels labelsPath: String? = nil, name: String? = nil) throws -> ImageDataset {
    let images = try readIDX(imagesPath)
    let count: Int, channels: Int, height: Int, width: Int
    var pixels: [UInt8]
    switch images.shape.count {
    case 3:
        (count, channels, height, width) = (images.shape[0], 1, images.shape[1], images.shape[2])
        pixels = images.values
    case 4 where images.shape[3] == 3 || images.shape[3] == 1:
        (count, height, width, channels) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        pixels = interleavedToPlanar(images.values, count: count, height: height, width: width, channels: channels)
    default:
        throw DatasetError.badShape(file: imagesPath, expected: "images of shape N x H x W or N x H x W x 3",
                                     found: "shape \(images.shape)")
    }
    guard height > 0, width > 0 else {
        throw DatasetError.badShape(file: imagesPath, expected: "images of at least 1x1", found: "\(height)x\(width)")
    }
    guard count >= 1 else { throw DatasetError.tooFewImages(file: imagesPath, expected: 1, found: count) }
    var labels: [Int]? = nil
    if let labelsPath {
        let array = try readIDX(labelsPath)
        guard array.shape.count == 1 else {
            throw DatasetError.badShape(file: labelsPath, expected: "a labels file of shape N", found: "shape \(array.shape)")
        }
        guard array.shape[0] == count else {
            throw DatasetError.countMismatch(file: labelsPath, expected: count, found: array.shape[0])
        }
        labels = array.values.map(Int.init)
    }
    let fileName = imagesPath.split(separator: "/").last.map(String.init) ?? imagesPath
    return ImageDataset(name: name ?? fileName, count: count, channels: channels, height: height, width: width,
                        pixels: pixels, labels: labels)
}

/// N x H x W x C bytes to N x C x H x W.
func interleavedToPlanar(_ values: [UInt8], count: Int, height: Int, width: Int, channels: Int) -> [UInt8] {
    if channels == 1 { return values }
    let plane = height * width
    var output = [UInt8](repeating: 0, count: values.count)
    for n in 0..<count {
        let base = n * plane * channels
        for p in 0..<plane {
            for c in 0..<channels {
                output[base + c * plane + p] = values[base + p * channels + c]
            }
        }
    }
    return output
}

/// The bytes of an IDX file of unsigned bytes holding `array` (uncompressed).
public func idxBytes(_ array: IDXArray) -> [UInt8] {
    checkArgument((1...4).contains(array.shape.count), "idxBytes: 1 to 4 dimensions, got \(array.shape.count)")
    checkArgument(array.shape.reduce(1, *) == array.values.count,
                 "idxBytes: shape \(array.shape) needs \(array.shape.reduce(1, *)) values, got \(array.values.count)")
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(array.shape.count)]
    for size in array.shape {
        bytes += [UInt8(truncatingIfNeeded: size >> 24), UInt8(truncatingIfNeeded: size >> 16),
                  UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size)]
    }
    return bytes + array.values
}
