// PNG through libpng's simplified API, which reports errors as return codes (no longjmp).
import Basics
import CPNG

/// A decoded image: C x H x W bytes (planar), C = 1 (grey) or 3 (RGB).
public struct DecodedImage: Sendable, Equatable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// C x H x W, row-major.
    public var pixels: [UInt8]

    /// Wraps `pixels` (C x H x W); sizes that disagree trap.
    public init(channels: Int, height: Int, width: Int, pixels: [UInt8]) {
        checkArgument(channels == 1 || channels == 3, "DecodedImage: channels must be 1 or 3, got \(channels)")
        checkArgument(pixels.count == channels * height * width,
                     "DecodedImage: \(channels)x\(height)x\(width) needs \(channels * height * width) bytes, got \(pixels.count)")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }
}

/// The most pixels a decoder will allocate for one image (a guard against hostile headers).
let maximumDecodedPixels = 1 << 28

/// Decodes PNG bytes: grey (and grey + alpha) stays grey, everything else becomes RGB;
/// alpha is composited over black, 16-bit samples are reduced to 8.
///
/// The chunk sequence is checked to end in IEND first: libpng's simplified reader accepts a
/// file cut after (or inside) its image data, and a dataset must not take a damaged file.
public func decodePNG(_ bytes: [UInt8], file: String) throws -> DecodedImage {
    try checkPNGChunks(bytes, file: file)
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    let began = bytes.withUnsafeBytes { raw in
        png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
    }
    guard began != 0 else { throw DatasetError.undecodableImage(file: file, reason: pngMessage(image)) }
    let colour = image.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
    let channels = colour ? 3 : 1
    let width = Int(image.width), height = Int(image.height)
    guard width > 0, height > 0, width * height <= maximumDecodedPixels else {
        throw DatasetError.undecodableImage(file: file, reason: "\(width)x\(height) pixels is beyond \(maximumDecodedPixels)")
    }
    image.format = colour ? png_uint_32(PNG_FORMAT_FLAG_COLOR) : 0
    var interleaved = [UInt8](repeating: 0, count: width * height * channels)
    let finished = interleaved.withUnsafeMutableBytes { raw in
        png_image_finish_read(&image, nil, raw.baseAddress, 0, nil)
    }
    guard finished != 0 else { throw DatasetError.undecodableImage(file: file, reason: pngMessage(image)) }
    return DecodedImage(channels: channels, height: height, width: width,
                        pixels: interleavedToPlanar(interleaved, count: 1, height: height, width: width, channels: channels))
}

/// PNG bytes of an image given as C x H x W bytes (planar), C = 1 (grey) or 3 (RGB).
public func encodePNG(_ pixels: [UInt8], channels: Int, height: Int, width: Int) throws -> [UInt8] {
    checkArgument(channels == 1 || channels == 3, "encodePNG: channels must be 1 or 3, got \(channels)")
    checkArgument(height > 0 && width > 0, "encodePNG: empty \(height)x\(width) image")
    checkArgument(pixels.count == channels * height * width,
                 "encodePNG: \(channels)x\(height)x\(width) needs \(channels * height * width) bytes, got \(pixels.count)")
    let interleaved = planarToInterleaved(pixels, height: height, width: width, channels: channels)
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    image.width = png_uint_32(width)
    image.height = png_uint_32(height)
    image.format = channels == 3 ? png_uint_32(PNG_FORMAT_FLAG_COLOR) : 0  // PNG_FORMAT_RGB : PNG_FORMAT_GRAY
    defer { png_image_free(&image) }
    var size = 0
    // The first call measures, the second writes.
    var status = interleaved.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
    guard status != 0, size > 0 else { throw DatasetError.unwritable(file: "<png>", reason: pngMessage(image)) }
    var output = [UInt8](repeating: 0, count: size)
    status = output.withUnsafeMutableBytes { destination in
        interleaved.withUnsafeBytes { png_image_write_to_memory(&image, destination.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
    }
    guard status != 0 else { throw DatasetError.unwritable(file: "<png>", reason: pngMessage(image)) }
    return Array(output[..<size])
}

/// Writes an image given as C x H x W bytes to `path` as PNG.
public func writePNG(_ pixels: [UInt8], channels: Int, height: Int, width: Int, to path: String) throws {
    try writeFileBytes(try encodePNG(pixels, channels: channels, height: height, width: width), to: path)
}

extension ImageDataset {
    /// PNG bytes of image `index` (for the report).
    public func pngBytes(ofImage index: Int) throws -> [UInt8] {
        try encodePNG(image(at: index), channels: channels, height: height, width: width)
    }
}

extension ImageBatch {
    /// PNG bytes of image `index`, undoing `normalization` (values are clamped to 0...255):
    /// for showing augmented or SGHMC views beside their originals.
    public func pngBytes(ofImage index: Int, normalization: Normalization) throws -> [UInt8] {
        checkArgument(index >= 0 && index < count, "pngBytes: index \(index) outside 0..<\(count)")
        checkArgument(normalization.mean.count == channels, "pngBytes: normalisation has \(normalization.mean.count) channels, batch has \(channels)")
        let plane = height * width
        var bytes = [UInt8](repeating: 0, count: imageSize)
        for c in 0..<channels {
            for p in 0..<plane {
                let value = (pixels[index * imageSize + c * plane + p] * normalization.std[c] + normalization.mean[c]) * 255
                bytes[c * plane + p] = UInt8(max(0, min(255, value.rounded())))
            }
        }
        return try encodePNG(bytes, channels: channels, height: height, width: width)
    }
}

func pngMessage(_ image: png_image) -> String {
    var message = image.message
    let text = withUnsafeBytes(of: &message) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return text.isEmpty ? "libpng failed without a message" : text
}

/// C x H x W bytes to H x W x C.
func planarToInterleaved(_ values: [UInt8], height: Int, width: Int, channels: Int) -> [UInt8] {
    if channels == 1 { return values }
    let plane = height * width
    var output = [UInt8](repeating: 0, count: values.count)
    for p in 0..<plane {
        for c in 0..<channels { output[p * channels + c] = values[c * plane + p] }
    }
    return output
}

/// Walks the chunks after the 8-byte signature: each is a 4-byte big-endian length, a 4-byte
/// type, the data and a 4-byte CRC; the last must be IEND and end within the file.
func checkPNGChunks(_ bytes: [UInt8], file: String) throws {
    var cursor = ByteCursor(bytes, file: file)
    cursor.offset = 8
    while true {
        let length = Int(try cursor.bigEndianUInt32())
        let type = try cursor.take(4)
        guard length <= Int(Int32.max) else {
            throw DatasetError.badHeader(file: file, expected: "PNG chunk lengths below 2^31", found: "\(length)")
        }
        try cursor.require(length + 4)
        cursor.offset += length + 4
        if Array(type) == Array("IEND".utf8) { return }
    }
}

extension ImageDataset {
    /// PNG bytes of the images at `indices` tiled row by row, `columns` per row, with
    /// `padding` pixels of `background` between and around them (a report's image grid).
    ///
    /// The grid is (rows * (H + padding) + padding) x (columns * (W + padding) + padding),
    /// rows = ceil(indices.count / columns); empty cells stay `background`.
    public func gridPNG(of indices: [Int], columns: Int, padding: Int = 1, background: UInt8 = 255) throws -> [UInt8] {
        checkArgument(columns >= 1 && padding >= 0, "gridPNG: columns \(columns), padding \(padding)")
        checkArgument(!indices.isEmpty, "gridPNG: no images")
        let rows = (indices.count + columns - 1) / columns
        let gridHeight = rows * (height + padding) + padding
        let gridWidth = columns * (width + padding) + padding
        var grid = [UInt8](repeating: background, count: channels * gridHeight * gridWidth)
        for (position, index) in indices.enumerated() {
            let image = image(at: index)
            let top = padding + (position / columns) * (height + padding)
            let left = padding + (position % columns) * (width + padding)
            for c in 0..<channels {
                for y in 0..<height {
                    let source = image.startIndex + (c * height + y) * width
                    let destination = (c * gridHeight + top + y) * gridWidth + left
                    grid.replaceSubrange(destination..<(destination + width), with: image[source..<(source + width)])
                }
            }
        }
        return try encodePNG(grid, channels: channels, height: gridHeight, width: gridWidth)
    }
}
