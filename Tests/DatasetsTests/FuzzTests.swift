import Datasets
import Foundation
import Basics
import Testing

/// Every reader, fed seeded random bytes, truncations and byte flips of real files: each
/// must throw a `DatasetError` (or, for flips that keep a file valid, return) and never crash.
@Suite("Fuzzing the readers")
struct FuzzTests {
    /// Inputs per kind and reader; `NRCC_FUZZ_ITERATIONS` raises it for a deeper run.
    static let iterations = Int(ProcessInfo.processInfo.environment["NRCC_FUZZ_ITERATIONS"] ?? "") ?? 120

    func randomBytes(_ random: inout SeededGenerator, count: Int, prefix: [UInt8] = []) -> [UInt8] {
        prefix + (0..<max(0, count - prefix.count)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    func truncations(of bytes: [UInt8], _ random: inout SeededGenerator) -> [[UInt8]] {
        (0..<Self.iterations).map { _ in Array(bytes.prefix(random.nextInt(below: bytes.count))) }
    }

    func flips(of bytes: [UInt8], _ random: inout SeededGenerator, within limit: Int? = nil) -> [[UInt8]] {
        (0..<Self.iterations).map { _ in
            var copy = bytes
            for _ in 0..<(1 + random.nextInt(below: 4)) {
                copy[random.nextInt(below: min(copy.count, limit ?? copy.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            }
            return copy
        }
    }

    /// Runs `read` and returns whether it threw a `DatasetError` (any other error fails the test).
    func throwsDatasetError(_ read: () throws -> Void) -> Bool {
        do {
            try read()
            return false
        } catch is DatasetError {
            return true
        } catch {
            Issue.record("unexpected error type: \(error)")
            return true
        }
    }

    @Test func idx() throws {
        var random = SeededGenerator(seed: 1)
        let real = try gunzip(try fileBytes(sharedDataCuts + "/usps/usps-test-labels-idx1-ubyte.gz"), file: "labels")
        let images = try gunzip(try fileBytes(sharedDataCuts + "/digits/digits-images-idx3-ubyte.gz"), file: "images")
        for _ in 0..<Self.iterations {
            let bytes = randomBytes(&random, count: random.nextInt(below: 64), prefix: random.nextUniform() < 0.5 ? [0, 0, 8] : [])
            #expect(throwsDatasetError { _ = try parseIDX(bytes, file: "random") })
        }
        for bytes in truncations(of: real, &random) + truncations(of: images, &random) {
            #expect(throwsDatasetError { _ = try parseIDX(bytes, file: "truncated") })
        }
        for bytes in flips(of: images, &random, within: 16) {
            _ = throwsDatasetError { _ = try parseIDX(bytes, file: "flipped") }
        }
    }

    @Test func gzip() throws {
        var random = SeededGenerator(seed: 2)
        let real = try fileBytes(sharedDataCuts + "/digits/digits-images-idx3-ubyte.gz")
        for _ in 0..<Self.iterations {
            let bytes = randomBytes(&random, count: random.nextInt(below: 200), prefix: [0x1F, 0x8B, 0x08, 0])
            #expect(throwsDatasetError { _ = try gunzip(bytes, file: "random") })
        }
        for bytes in truncations(of: real, &random) {
            #expect(throwsDatasetError { _ = try gunzip(bytes, file: "truncated") })
        }
        for bytes in flips(of: real, &random) {
            _ = throwsDatasetError { _ = try gunzip(bytes, file: "flipped") }
        }
    }

    /// Damaged gzipped IDX files through the two-step inflate (header, then at most the size
    /// it gives), and damaged streams under random limits that must never be passed.
    @Test func gzippedIDX() throws {
        var random = SeededGenerator(seed: 8)
        let real = try fileBytes(sharedDataCuts + "/digits/digits-images-idx3-ubyte.gz")
        for bytes in truncations(of: real, &random) {
            #expect(throwsDatasetError { _ = try decodeIDX(bytes, file: "truncated.gz") })
        }
        for bytes in flips(of: real, &random) {
            _ = throwsDatasetError { _ = try decodeIDX(bytes, file: "flipped.gz") }
            let limit = random.nextInt(below: 200_000)
            var delivered = 0
            _ = throwsDatasetError {
                try inflateGzip(bytes, file: "flipped.gz", limit: DecompressionLimit(bytes: limit, reason: "fuzz")) { piece in
                    delivered += piece.count
                    return true
                }
            }
            #expect(delivered <= limit, "\(delivered) bytes handed over under a limit of \(limit)")
        }
    }

    @Test func cifar() throws {
        var random = SeededGenerator(seed: 3)
        let folder = try temporaryFolder("fuzz-cifar")
        // The first 8 records of the CIFAR subset's data_batch_1_first4000.bin.
        let real = try fileBytes(sharedDataCuts + "/cifar10-subset/data_batch_1_first8.bin")
        #expect(real.count == 3073 * 8)
        let path = folder + "/batch.bin"
        for bytes in truncations(of: real, &random) {
            try writeBytes(bytes, path)
            let threw = throwsDatasetError { _ = try readCIFARBatch(path) }
            // A cut on a record boundary leaves a valid, shorter batch.
            #expect(threw == (bytes.isEmpty || bytes.count % 3073 != 0))
        }
        for _ in 0..<Self.iterations {
            try writeBytes(randomBytes(&random, count: random.nextInt(below: 3073 * 2)), path)
            _ = throwsDatasetError { _ = try readCIFARBatch(path) }
        }
    }

    @Test func npy() throws {
        var random = SeededGenerator(seed: 4)
        let real = try fileBytes(fixtures + "/npy/float32.npy")
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        for _ in 0..<Self.iterations {
            let bytes = randomBytes(&random, count: random.nextInt(below: 160), prefix: random.nextUniform() < 0.7 ? magic + [1, 0] : [])
            #expect(throwsDatasetError { _ = try parseNPY(bytes, file: "random") })
        }
        for bytes in truncations(of: real, &random) {
            #expect(throwsDatasetError { _ = try parseNPY(bytes, file: "truncated") })
        }
        // Flips in the header: a changed dtype, shape or length must be caught, never trusted.
        for bytes in flips(of: real, &random, within: 128) {
            _ = throwsDatasetError { _ = try parseNPY(bytes, file: "flipped") }
        }
    }

    @Test func png() throws {
        var random = SeededGenerator(seed: 5)
        let real = try fileBytes(fixtures + "/folder/cats/a.png")
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        for _ in 0..<Self.iterations {
            let bytes = randomBytes(&random, count: random.nextInt(below: 300), prefix: signature)
            #expect(throwsDatasetError { _ = try decodeImage(bytes, file: "random.png") })
        }
        for bytes in truncations(of: real, &random) {
            #expect(throwsDatasetError { _ = try decodeImage(bytes, file: "truncated.png") })
        }
        for bytes in flips(of: real, &random) {
            _ = throwsDatasetError { _ = try decodeImage(bytes, file: "flipped.png") }
        }
    }

    @Test func jpeg() throws {
        var random = SeededGenerator(seed: 6)
        let real = try fileBytes(fixtures + "/folder/cats/b.jpg")
        for _ in 0..<Self.iterations {
            let bytes = randomBytes(&random, count: random.nextInt(below: 400), prefix: [0xFF, 0xD8, 0xFF])
            #expect(throwsDatasetError { _ = try decodeImage(bytes, file: "random.jpg") })
        }
        for bytes in truncations(of: real, &random) {
            #expect(throwsDatasetError { _ = try decodeImage(bytes, file: "truncated.jpg") })
        }
        for bytes in flips(of: real, &random) {
            _ = throwsDatasetError { _ = try decodeImage(bytes, file: "flipped.jpg") }
        }
    }

    @Test func jpegFatalErrorsBecomeErrors() throws {
        // libjpeg's fatal path (error_exit) on a stream that is a JPEG only by its signature.
        #expect {
            try decodeJPEG([0xFF, 0xD8, 0xFF, 0x01, 0x00, 0x10] + [UInt8](repeating: 0x55, count: 64), file: "bad.jpg")
        } throws: { error in
            guard case let DatasetError.undecodableImage(file, reason) = error else { return false }
            return file == "bad.jpg" && !reason.isEmpty && reason != "libjpeg stopped"
        }
        // And the decoder still works after it.
        #expect(try decodeJPEG(try fileBytes(fixtures + "/folder/cats/b.jpg"), file: "b.jpg").width == 16)
    }

    @Test func datasetPaths() throws {
        // Whole-path loading of damaged files of every kind throws with the file's name.
        var random = SeededGenerator(seed: 7)
        let folder = try temporaryFolder("fuzz-paths")
        let sources = [sharedDataCuts + "/coil20/coil20-32x32-labels-idx1-ubyte.gz", fixtures + "/npy/uint8_nhwc.npy",
                       fixtures + "/folder/dogs/c.png"]
        for source in sources {
            let real = try fileBytes(source)
            let name = folder + "/" + (source as NSString).lastPathComponent
            for bytes in truncations(of: real, &random).prefix(30) {
                try writeBytes(bytes, name)
                #expect {
                    try loadDataset(name, searchPaths: testSearchPaths)
                } throws: { error in
                    error is DatasetError && "\(error)".contains((source as NSString).lastPathComponent)
                }
            }
        }
    }
}
