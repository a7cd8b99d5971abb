import Foundation
import Testing
import NeuralNetworks

/// Damaged or crafted safetensors files throw a `CheckpointError` that names the value and
/// the limit, instead of trapping on overflowing arithmetic (issue 19).
@Suite struct CrashRegressionTests {
    /// A safetensors file: the 8-byte little-endian header length, the JSON header, `data`.
    func safetensors(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + json + data
    }

    @Test func headerLengthBeyondTheFormatsLimitThrows() throws {
        let bytes = safetensors(header: "{}      ", headerLength: 1 << 63 + 5)
        #expect(throws: CheckpointError.headerTooLong(path: "crafted.safetensors", headerLength: 1 << 63 + 5,
                                                      limit: 100_000_000, fileBytes: 16)) {
            try Checkpoint(bytes: bytes, path: "crafted.safetensors")
        }
        let message = CheckpointError.headerTooLong(path: "crafted.safetensors", headerLength: 1 << 63 + 5,
                                                    limit: 100_000_000, fileBytes: 16).description
        #expect(message.contains("crafted.safetensors") && message.contains("9223372036854775813")
            && message.contains("100000000"), "\(message)")
        // Below the format's limit but past the end of the file: truncated, with the exact size.
        #expect(throws: CheckpointError.truncated(path: "<memory>", expectedBytes: 8 + 1_000_000, foundBytes: 16)) {
            try Checkpoint(bytes: safetensors(header: "{}      ", headerLength: 1_000_000))
        }
    }

    @Test func offsetsPastTheEndThrow() throws {
        let nearMaximum = Int.max - 7
        let bytes = safetensors(
            header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[\#(nearMaximum - 8),\#(nearMaximum)]}}"#,
            data: [UInt8](repeating: 0, count: 8))
        #expect(throws: CheckpointError.offsetsOutOfRange(path: "<memory>", name: "w", offsets: [nearMaximum - 8, nearMaximum],
                                                          dataBytes: 8)) {
            try Checkpoint(bytes: bytes)
        }
        // Offsets that fit an Int but reach past the data: the file is truncated.
        let short = safetensors(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                                data: [UInt8](repeating: 0, count: 8))
        #expect(throws: CheckpointError.truncated(path: "<memory>", expectedBytes: short.count + 8, foundBytes: short.count)) {
            try Checkpoint(bytes: short)
        }
    }

    @Test func offsetsThatAreNotIntegersThrow() throws {
        for offsets in ["[18446744073709551620,18446744073709551624]", "[-4,0]", "[0.5,4]", "[8,4]", "[0]", "[true,4]"] {
            let bytes = safetensors(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":\#(offsets)}}"#,
                                    data: [0, 0, 0, 0])
            #expect(throws: CheckpointError.self, "data_offsets \(offsets)") { try Checkpoint(bytes: bytes) }
            do {
                _ = try Checkpoint(bytes: bytes)
            } catch let CheckpointError.corruptHeader(path, reason) {
                #expect(path == "<memory>" && reason.contains("data_offsets") && reason.contains("begin <= end"), "\(reason)")
            }
        }
    }

    @Test func shapesWhoseSizeOverflowsThrow() throws {
        for (shape, type) in [([1 << 32, 1 << 32, 4], "F32"), ([1 << 62], "F32"), ([1 << 61, 2], "I64")] {
            let text = shape.map(String.init).joined(separator: ",")
            let bytes = safetensors(header: #"{"w":{"dtype":"\#(type)","shape":[\#(text)],"data_offsets":[0,0]}}"#)
            #expect(throws: CheckpointError.tensorTooLarge(path: "<memory>", name: "w", shape: shape)) {
                try Checkpoint(bytes: bytes)
            }
        }
        let negative = safetensors(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#)
        #expect(throws: CheckpointError.self) { try Checkpoint(bytes: negative) }
    }

    /// A crafted step count would overflow the optimiser's counter at its next step.
    @Test func absurdOptimizerStepCountThrows() throws {
        var checkpoint = Checkpoint()
        let optimizer = SGD(parameters: [])
        checkpoint.store(optimizer)
        for value in ["9223372036854775807", "-3", "many"] {
            checkpoint.metadata["optimizer.step_count"] = value
            #expect(throws: CheckpointError.invalidMetadata(key: "optimizer.step_count", value: value,
                                                            expected: "a step count in 0...\(Int.max / 2)")) {
                try checkpoint.restore(optimizer)
            }
        }
    }

    @Test func craftedFileOnDiskNamesItsPath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nrcc-crash-regression-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("damaged.safetensors")
        try Data(safetensors(header: "{}      ", headerLength: UInt64.max)).write(to: url)
        #expect(throws: CheckpointError.headerTooLong(path: url.path, headerLength: .max, limit: 100_000_000, fileBytes: 16)) {
            try Checkpoint(contentsOf: url)
        }
    }
}
