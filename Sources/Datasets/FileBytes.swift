// Whole-file reads and writes, and transparent gzip decoding through zlib.
import CZlib
import Foundation

/// The bytes of the file at `path`; a gzip stream (magic 1f 8b) is decoded whatever the name.
func readFileBytes(_ path: String, decompress: Bool = true) throws -> [UInt8] {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw DatasetError.unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
            ? "\(error.localizedDescription)" : "no such file")
    }
    let bytes = [UInt8](data)
    if decompress && isGzip(bytes) { return try gunzip(bytes, file: path) }
    return bytes
}

/// Writes `bytes` to `path` atomically (a temporary file renamed into place).
func writeFileBytes(_ bytes: [UInt8], to path: String) throws {
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw DatasetError.unwritable(file: path, reason: error.localizedDescription)
    }
}

/// True when `bytes` starts with the gzip signature 1f 8b.
func isGzip(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Decodes a gzip stream (several members are concatenated, as the `gunzip` tool does);
/// `file` names the source in errors.
///
/// Throws `corruptCompression` on a damaged stream and `truncated` when it ends early.
public func gunzip(_ input: [UInt8], file: String) throws -> [UInt8] {
    var stream = z_stream()
    // 15 + 16: a gzip wrapper only, with the largest window.
    guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw DatasetError.corruptCompression(file: file, reason: "zlib failed to start")
    }
    defer { inflateEnd(&stream) }
    // The trailer's ISIZE (size mod 2^32) is a hint for the first allocation, never trusted.
    var capacity = max(4096, input.count * 4)
    if input.count >= 18 {
        let tail = input.count - 4
        let hinted = Int(input[tail]) | Int(input[tail + 1]) << 8 | Int(input[tail + 2]) << 16 | Int(input[tail + 3]) << 24
        if hinted > 0 && hinted <= input.count * 1100 { capacity = hinted + 1 }
    }
    var output = [UInt8](repeating: 0, count: capacity)
    var produced = 0
    var consumed = 0
    while true {
        if produced == output.count {
            output.append(contentsOf: [UInt8](repeating: 0, count: output.count))
        }
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + consumed)
                stream.avail_in = UInt32(source.count - consumed)
                stream.next_out = destination.baseAddress! + produced
                stream.avail_out = UInt32(min(destination.count - produced, Int(UInt32.max)))
                let before = (Int(stream.avail_in), Int(stream.avail_out))
                let result = inflate(&stream, Z_NO_FLUSH)
                consumed += before.0 - Int(stream.avail_in)
                produced += before.1 - Int(stream.avail_out)
                return result
            }
        }
        switch status {
        case Z_OK:
            continue
        case Z_STREAM_END:
            // Another member may follow; anything else after the end is ignored, as gunzip does
            // with trailing zeros.
            let rest = Array(input[consumed...])
            if isGzip(rest) {
                guard inflateReset(&stream) == Z_OK else {
                    throw DatasetError.corruptCompression(file: file, reason: "zlib failed to restart")
                }
                continue
            }
            return Array(output[..<produced])
        case Z_BUF_ERROR:
            if consumed >= input.count {
                throw DatasetError.corruptCompression(
                    file: file, reason: "the compressed stream ends early after \(input.count) bytes")
            }
            if produced < output.count {
                throw DatasetError.corruptCompression(file: file, reason: "zlib made no progress")
            }
            continue
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw DatasetError.corruptCompression(file: file, reason: message)
        }
    }
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
