import CZlib
import Datasets
import Foundation
import Testing

/// A gzip stream is inflated no further than its reader allows: an IDX file to exactly the
/// size its header gives, anything else to the memory ceiling. The bombs are built here with
/// zlib, so no large fixture is committed.
@Suite("Gzip bombs")
struct GzipBombTests {
    /// An IDX header claiming 10 images of 8x8 (640 bytes of pixels after 16 of header).
    static let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 8, 0, 0, 0, 8]

    /// The header, then 64 MiB of zeros: about 64 KB compressed.
    static let bomb: [UInt8] = gzip(header, zeros: 64 << 20)

    @Test func anIDXBombIsRefusedAtTheSizeItsHeaderGives() throws {
        let expected = DatasetError.decompressionLimitExceeded(
            file: "bomb-images-idx3-ubyte.gz", limit: 656,
            reason: "the IDX header's shape [10, 8, 8] needs 16 + 640 bytes")
        #expect(Self.bomb.count < 100_000, "the bomb is \(Self.bomb.count) bytes compressed")
        #expect(throws: expected) { try decodeIDX(Self.bomb, file: "bomb-images-idx3-ubyte.gz") }
        #expect(expected.description.contains("expected at most 656 bytes")
            && expected.description.contains("damaged or crafted"), "\(expected)")
    }

    @Test func anIDXBombOnDiskIsRefusedByEveryReaderOfIt() throws {
        let folder = try temporaryFolder("gzip-bomb")
        let path = folder + "/bomb-images-idx3-ubyte.gz"
        try writeBytes(Self.bomb, path)
        for read in [{ _ = try readIDX(path) }, { _ = try readIDXImages(images: path) },
                     { _ = try loadDataset(path, searchPaths: testSearchPaths) }] as [() throws -> Void] {
            #expect {
                try read()
            } throws: { error in
                guard case let DatasetError.decompressionLimitExceeded(file, limit, _) = error else { return false }
                return file == path && limit == 656
            }
        }
    }

    /// The limited inflate hands over at most `limit` bytes, in pieces of at most one chunk,
    /// whatever the limit's position relative to the chunk size.
    @Test func theLimitedInflateNeverHandsOverMoreThanItsLimit() throws {
        for limit in [0, 1, 655, 656, gzipChunkBytes - 1, gzipChunkBytes, gzipChunkBytes + 1, 1_000_003] {
            var delivered = 0
            var largestPiece = 0
            #expect(throws: DatasetError.decompressionLimitExceeded(file: "bomb", limit: limit, reason: "test")) {
                try inflateGzip(Self.bomb, file: "bomb", limit: DecompressionLimit(bytes: limit, reason: "test")) { piece in
                    delivered += piece.count
                    largestPiece = max(largestPiece, piece.count)
                    return true
                }
            }
            #expect(delivered <= limit, "limit \(limit): \(delivered) bytes handed over")
            #expect(largestPiece <= gzipChunkBytes, "limit \(limit): a piece of \(largestPiece) bytes")
        }
    }

    @Test func aStreamOfExactlyTheLimitDecodes() throws {
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let compressed = gzip(payload, zeros: 0)
        #expect(try gunzip(compressed, file: "x", limit: DecompressionLimit(bytes: 5000, reason: "test")) == payload)
        #expect(throws: DatasetError.decompressionLimitExceeded(file: "x", limit: 4999, reason: "test")) {
            try gunzip(compressed, file: "x", limit: DecompressionLimit(bytes: 4999, reason: "test"))
        }
        // Two members count together against one limit.
        #expect(throws: DatasetError.decompressionLimitExceeded(file: "x", limit: 9999, reason: "test")) {
            try gunzip(compressed + compressed, file: "x", limit: DecompressionLimit(bytes: 9999, reason: "test"))
        }
    }

    @Test func thePrefixStopsAfterTheBytesAskedFor() throws {
        #expect(try gunzipPrefix(Self.bomb, count: 20, file: "bomb") == Self.header + [0, 0, 0, 0])
        #expect(try gunzipPrefix(gzip([1, 2, 3], zeros: 0), count: 20, file: "short") == [1, 2, 3])
        #expect(try gunzipPrefix(Self.bomb, count: 0, file: "bomb") == [])
    }

    @Test func aValidGzippedIDXStillReads() throws {
        let pixels = (0..<640).map { UInt8(truncatingIfNeeded: $0) }
        let array = try decodeIDX(gzip(Self.header + pixels, zeros: 0), file: "valid.gz")
        #expect(array.shape == [10, 8, 8] && array.values == pixels)
        // A stream one byte short is truncated; one byte long passes the header's size.
        #expect(throws: DatasetError.truncated(file: "short.gz", expectedBytes: 656, foundBytes: 655)) {
            try decodeIDX(gzip(Self.header + pixels.dropLast(), zeros: 0), file: "short.gz")
        }
        #expect(throws: DatasetError.decompressionLimitExceeded(
            file: "long.gz", limit: 656, reason: "the IDX header's shape [10, 8, 8] needs 16 + 640 bytes")) {
            try decodeIDX(gzip(Self.header + pixels + [0], zeros: 0), file: "long.gz")
        }
    }

    /// A header may claim more than memory holds: its size is computed without overflow, and
    /// the stream is bounded by the memory ceiling instead.
    @Test func headersClaimingHugeSizes() throws {
        let overflowing: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12)
        #expect {
            try decodeIDX(gzip(overflowing, zeros: 100), file: "overflow.gz")
        } throws: { error in
            guard case let DatasetError.badHeader(file, _, found) = error else { return false }
            return file == "overflow.gz" && found.contains("4294967295")
        }
        let terabyte: [UInt8] = [0, 0, 8, 2, 0, 0x10, 0, 0, 0, 0x10, 0, 0]
        #expect(throws: DatasetError.truncated(file: "tera.gz", expectedBytes: 12 + (1 << 40), foundBytes: 112)) {
            try decodeIDX(gzip(terabyte, zeros: 100), file: "tera.gz")
        }
    }

    @Test func theMemoryCeilingIsHalfOfPhysicalMemory() {
        let ceiling = DecompressionLimit.memoryCeiling
        #expect(UInt64(ceiling.bytes) == ProcessInfo.processInfo.physicalMemory / 2)
        #expect(ceiling.reason.contains("half of this machine's memory"))
    }
}

/// `prefix` followed by `zeros` zero bytes, gzip-compressed at zlib's best ratio; the zeros
/// are fed in 1 MiB pieces so that a bomb never exists uncompressed.
func gzip(_ prefix: [UInt8], zeros: Int) -> [UInt8] {
    var stream = z_stream()
    let started = deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY,
                                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    precondition(started == Z_OK, "deflateInit2_ returned \(started)")
    defer { deflateEnd(&stream) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    /// Deflates `input` into `output`, finishing the stream when `finish` is set.
    func feed(_ input: [UInt8], finish: Bool) {
        var input = input
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            var status = Z_OK
            repeat {
                buffer.withUnsafeMutableBufferPointer { destination in
                    stream.next_out = destination.baseAddress
                    stream.avail_out = UInt32(destination.count)
                    status = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    output.append(contentsOf: destination[..<(destination.count - Int(stream.avail_out))])
                }
            } while stream.avail_in > 0 || (finish && status != Z_STREAM_END)
        }
    }
    feed(prefix, finish: false)
    let piece = [UInt8](repeating: 0, count: 1 << 20)
    var left = zeros
    while left > 0 {
        feed(Array(piece.prefix(left)), finish: false)
        left -= min(left, piece.count)
    }
    feed([], finish: true)
    return output
}
