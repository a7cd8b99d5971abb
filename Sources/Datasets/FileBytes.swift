// Whole-file reads and writes, and transparent gzip decoding through zlib.
import Basics
import CZlib
import Foundation

/// The bytes of the file at `path`; a gzip stream (magic 1f 8b) is decoded whatever the name,
/// to at most `limit` bytes (a format whose header gives its size passes that size instead
/// of the memory ceiling).
func readFileBytes(_ path: String, decompress: Bool = true,
                   limit: DecompressionLimit = .memoryCeiling) throws -> [UInt8] {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw DatasetError.unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
            ? "\(error.localizedDescription)" : "no such file")
    }
    let bytes = [UInt8](data)
    if decompress && isGzip(bytes) { return try gunzip(bytes, file: path, limit: limit) }
    return bytes
}

/// Writes `bytes` to `path` atomically (`writeAtomically`).
func writeFileBytes(_ bytes: [UInt8], to path: String) throws {
    do {
        try writeAtomically(bytes, to: URL(fileURLWithPath: path))
    } catch {
        throw DatasetError.unwritable(file: path, reason: error.reason)
    }
}

/// True when `bytes` starts with the gzip signature 1f 8b.
func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
    var iterator = bytes.makeIterator()
    return iterator.next() == 0x1f && iterator.next() == 0x8b
}

/// The most bytes a gzip stream may inflate to, and why, for the error that stops it.
///
/// A gzip stream says nothing trustworthy about its own size (the trailer's ISIZE is the
/// size mod 2^32 and anyone can write it), and deflate reaches 1032:1, so a 1 MB file can
/// inflate to 1 GB. Readers therefore bound the output before inflating: by the size the
/// format's header gives (IDX), or, for formats without one (CIFAR batches), by
/// `memoryCeiling`.
public struct DecompressionLimit: Sendable, Equatable {
    /// The largest output allowed, in bytes.
    public var bytes: Int
    /// Where the bound comes from, as the error states it ("the IDX header's shape [10, 8, 8]
    /// needs 16 + 640 bytes").
    public var reason: String

    /// A limit of `bytes` (at least 0), justified by `reason`.
    public init(bytes: Int, reason: String) {
        checkArgument(bytes >= 0, "DecompressionLimit: bytes must be >= 0, got \(bytes)")
        self.bytes = bytes
        self.reason = reason
    }

    /// Half of this machine's physical memory: the ceiling for a stream whose header gives no
    /// size. Output beyond it could not be held next to the decoded data anyway, so refusing
    /// it early turns an out-of-memory kill into an error. (Inside a container this is the
    /// host's memory: the ceiling is generous, never tight.)
    public static var memoryCeiling: DecompressionLimit {
        let half = ProcessInfo.processInfo.physicalMemory / 2
        let gibibytes = Double(half) / Double(1 << 30)
        return DecompressionLimit(
            bytes: Int(clamping: half),
            reason: "half of this machine's memory (\(String(format: "%.1f", gibibytes)) GiB), the ceiling "
                + "for a file whose header gives no size")
    }
}

/// Bytes of output zlib writes per call: how much memory a limited inflate touches beyond
/// what it keeps, and the grain at which it checks the limit.
public let gzipChunkBytes = 1 << 16

/// Decodes a gzip stream (several members are concatenated, as the `gunzip` tool does) into
/// at most `limit.bytes` bytes; `file` names the source in errors.
///
/// Throws `decompressionLimitExceeded` as soon as the output would pass the limit (the
/// excess is never held), `corruptCompression` on a damaged stream or one that ends early.
public func gunzip(_ input: [UInt8], file: String, limit: DecompressionLimit = .memoryCeiling) throws -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(initialGunzipCapacity(input, limit: limit.bytes))
    try inflateGzip(input, file: file, limit: limit) { chunk in
        output.append(contentsOf: chunk)
        return true
    }
    return output
}

/// The first `count` bytes a gzip stream decodes to (fewer when the stream is shorter),
/// inflating no further than the chunk that holds them: enough to read a header before
/// deciding how much of the rest to allow.
public func gunzipPrefix(_ input: [UInt8], count: Int, file: String) throws -> [UInt8] {
    var output: [UInt8] = []
    guard count > 0 else { return output }
    try inflateGzip(input, file: file, limit: .memoryCeiling) { chunk in
        output.append(contentsOf: chunk.prefix(count - output.count))
        return output.count < count
    }
    return output
}

/// Inflates `input` chunk by chunk, handing each piece of output (at most `gzipChunkBytes`)
/// to `consume`, which returns false to stop early; the pieces are valid only during the
/// call. The pieces handed over never add up to more than `limit.bytes`: zlib is given room
/// for one byte past the limit, and a stream that fills it throws
/// `decompressionLimitExceeded` before that piece is handed over.
public func inflateGzip(_ input: [UInt8], file: String, limit: DecompressionLimit,
                        _ consume: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws {
    var stream = z_stream()
    // 15 + 16: a gzip wrapper only, with the largest window.
    guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw DatasetError.corruptCompression(file: file, reason: "zlib failed to start")
    }
    defer { inflateEnd(&stream) }
    let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: gzipChunkBytes)
    defer { chunk.deallocate() }
    try input.withUnsafeBufferPointer { source in
        var consumed = 0
        var produced = 0
        while true {
            let left = limit.bytes - produced
            let room = left < chunk.count ? left + 1 : chunk.count
            let available = min(source.count - consumed, Int(UInt32.max))
            stream.next_in = source.baseAddress.map { UnsafeMutablePointer(mutating: $0 + consumed) }
            stream.avail_in = UInt32(available)
            stream.next_out = chunk.baseAddress
            stream.avail_out = UInt32(room)
            let status = inflate(&stream, Z_NO_FLUSH)
            consumed += available - Int(stream.avail_in)
            let made = room - Int(stream.avail_out)
            produced += made
            guard produced <= limit.bytes else {
                throw DatasetError.decompressionLimitExceeded(file: file, limit: limit.bytes, reason: limit.reason)
            }
            if made > 0, try !consume(UnsafeBufferPointer(rebasing: chunk[..<made])) { return }
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Another member may follow; anything else after the end is ignored, as gunzip
                // does with trailing zeros.
                guard isGzip(source[consumed...]) else { return }
                guard inflateReset(&stream) == Z_OK else {
                    throw DatasetError.corruptCompression(file: file, reason: "zlib failed to restart")
                }
            case Z_BUF_ERROR where consumed >= source.count:
                throw DatasetError.corruptCompression(
                    file: file, reason: "the compressed stream ends early after \(source.count) bytes")
            case Z_BUF_ERROR:
                throw DatasetError.corruptCompression(file: file, reason: "zlib made no progress")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DatasetError.corruptCompression(file: file, reason: message)
            }
        }
    }
}

/// The first allocation for `gunzip`'s output: the trailer's ISIZE (size mod 2^32) when it
/// is one deflate could reach (1032:1), else 4x the input, never more than the limit. A hint
/// only; the output grows past it when the stream is longer.
private func initialGunzipCapacity(_ input: [UInt8], limit: Int) -> Int {
    let (reachable, overflow) = input.count.multipliedReportingOverflow(by: 1032)
    var capacity = input.count.multipliedReportingOverflow(by: 4).overflow ? limit : input.count * 4
    if input.count >= 18, !overflow {
        let tail = input.count - 4
        let hinted = Int(input[tail]) | Int(input[tail + 1]) << 8 | Int(input[tail + 2]) << 16 | Int(input[tail + 3]) << 24
        if hinted > 0 && hinted <= reachable { capacity = hinted }
    }
    return min(capacity, limit, 1 << 30)
}

/// A cursor over bytes for header parsing, with bounds checks that throw `truncated`.
struct ByteCursor {
    let bytes: [UInt8]
    let file: String
    var offset = 0

    init(_ bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ count: Int) throws {
        if count > remaining {
            throw DatasetError.truncated(file: file, expectedBytes: offset + count, foundBytes: bytes.count)
        }
    }

    mutating func bigEndianUInt32() throws -> UInt32 {
        try require(4)
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func littleEndianUInt16() throws -> Int {
        try require(2)
        defer { offset += 2 }
        return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }

    mutating func littleEndianUInt32() throws -> Int {
        try require(4)
        defer { offset += 4 }
        return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        try require(count)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }
}

/// Hex of the first bytes, for error messages ("00 00 08 03").
func hexPrefix(_ bytes: some Collection<UInt8>, count: Int = 4) -> String {
    bytes.prefix(count).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
