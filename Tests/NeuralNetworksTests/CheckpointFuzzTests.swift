import Foundation
import NeuralNetworks
import Basics
import TensorCore
import Testing

/// Seeded mutations of a small valid safetensors checkpoint: byte flips, truncations, hostile
/// header lengths, extended and duplicated bytes, and edits of the JSON header (shapes whose
/// product overflows or outgrows the data, offsets out of range, unknown dtypes, odd JSON).
/// Each load either throws a `CheckpointError` or returns a checkpoint whose every tensor
/// holds as many values as its shape says; none may trap.
@Suite("Fuzzing the checkpoint reader")
struct CheckpointFuzzTests {
    /// Mutations per kind; `NRCC_FUZZ_ITERATIONS` raises it for a deeper run.
    static let iterations = Int(ProcessInfo.processInfo.environment["NRCC_FUZZ_ITERATIONS"] ?? "") ?? 120

    /// Three tensors of both element types (a scalar among them) and metadata.
    static let valid: [UInt8] = {
        let checkpoint = Checkpoint(
            entries: [
                "layer.weight": .init(shape: [2, 3], values: .float32([0, 0.25, 0.5, 0.75, 1, 1.25])),
                "layer.bias": .init(shape: [2], values: .float32([-1.5, 2.25])),
                "bn.num_batches_tracked": .init(shape: [], values: .int64([17])),
            ],
            metadata: ["epoch": "3", "optimizer.step_count": "42"])
        return checkpoint.serialized()
    }()

    /// The JSON header of `valid` as a dictionary, and the data bytes after it.
    static var parts: (header: [String: Any], data: [UInt8]) {
        let length = Int(valid[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = try! JSONSerialization.jsonObject(with: Data(valid[8..<(8 + length)])) as! [String: Any]
        return (header, Array(valid[(8 + length)...]))
    }

    /// A safetensors file of `header` (any JSON text) and `data`, the length field `length`
    /// or, by default, the header's true length.
    func file(header: [UInt8], data: [UInt8], length: UInt64? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (length ?? UInt64(header.count)).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + header + data
    }

    /// Loads `bytes`: a thrown `CheckpointError` passes; a returned checkpoint must be
    /// consistent and survive a write and a read unchanged; any other error fails.
    func expectThrowsOrValid(_ bytes: [UInt8], _ mutation: String) {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(bytes: bytes, path: "fuzz.safetensors")
        } catch is CheckpointError {
            return
        } catch {
            Issue.record("\(mutation): unexpected error type \(error)")
            return
        }
        for (name, entry) in checkpoint.entries {
            var count = 1
            for size in entry.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                #expect(!overflow && size >= 0, "\(mutation): tensor \(name) loaded with shape \(entry.shape)")
                count = overflow ? 0 : product
            }
            let stored = switch entry.values {
            case let .float32(values): values.count
            case let .int64(values): values.count
            }
            #expect(stored == count, "\(mutation): tensor \(name) of shape \(entry.shape) holds \(stored) values")
        }
        #expect((try? Checkpoint(bytes: checkpoint.serialized())) == checkpoint, "\(mutation): the loaded checkpoint does not round-trip")
    }

    @Test func theUnmutatedFileLoads() throws {
        let checkpoint = try Checkpoint(bytes: Self.valid)
        #expect(checkpoint.entries.count == 3 && checkpoint.metadata["epoch"] == "3")
    }

    @Test func byteFlipsAndTruncations() {
        var random = SeededGenerator(seed: 21)
        let bytes = Self.valid
        for iteration in 0..<Self.iterations {
            var copy = bytes
            for _ in 0..<(1 + random.nextInt(below: 4)) {
                copy[random.nextInt(below: copy.count)] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            }
            expectThrowsOrValid(copy, "flip \(iteration)")
        }
        for iteration in 0..<Self.iterations {
            expectThrowsOrValid(Array(bytes.prefix(random.nextInt(below: bytes.count))), "truncation \(iteration)")
        }
    }

    @Test func headerLengthFields() {
        var random = SeededGenerator(seed: 22)
        let data = Self.parts.data
        let json = Array(Self.valid[8..<(Self.valid.count - data.count)])
        let fileBytes = UInt64(Self.valid.count)
        var lengths: [UInt64] = [0, 1, 7, 8, UInt64(json.count) - 1, UInt64(json.count) + 1, fileBytes - 8, fileBytes - 7,
                                 fileBytes, UInt64(Checkpoint.maximumHeaderLength), UInt64(Checkpoint.maximumHeaderLength) + 1,
                                 UInt64(Int.max), UInt64(Int.max) + 1, UInt64.max, UInt64.max - 7, 1 << 32]
        lengths += (0..<Self.iterations).map { _ in random.next() >> UInt64(random.nextInt(below: 64)) }
        for length in lengths {
            expectThrowsOrValid(file(header: json, data: data, length: length), "header length \(length)")
        }
    }

    @Test func extendedAndDuplicatedBytes() {
        var random = SeededGenerator(seed: 23)
        let bytes = Self.valid
        expectThrowsOrValid(bytes + bytes, "the file twice")
        expectThrowsOrValid(bytes + Self.parts.data, "the data twice")
        for iteration in 0..<Self.iterations {
            var copy = bytes
            let start = random.nextInt(below: copy.count)
            let end = start + random.nextInt(below: copy.count - start + 1)
            if random.nextUniform() < 0.5 {
                copy.insert(contentsOf: copy[start..<end], at: random.nextInt(below: copy.count + 1))
            } else {
                copy += (0..<random.nextInt(below: 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            expectThrowsOrValid(copy, "extension \(iteration)")
        }
    }

    /// Values a crafted header may put where a shape, an offset pair or a dtype belongs.
    static var hostileShapes: [Any] { [
        [1 << 32, 1 << 32, 4], [Int.max, 2], [Int.max], [Int.max / 4 + 1], [1000, 1000], [2, 3, 0], [],
        [-1, 6], [-2, -3], [2.5, 2], ["2", "3"], [true, 6], [[2], [3]], [NSNull()], 6, "2x3", NSNull(),
        [UInt64.max], [1e30], [3.0, 2.0], [6],
    ] }
    static var hostileOffsets: [Any] { [
        [0, Int.max], [Int.max - 8, Int.max], [Int.max, Int.max], [5, 3], [-1, 23], [0, 1e30], [0.5, 24.5],
        [0, 24, 48], [0], [], [UInt64.max - 24, UInt64.max], [24, 24], [0, 0], [1, 25], [8, 32], ["0", "24"],
        [true, 24], NSNull(), "0-24", [0, 1 << 40],
    ] }
    static var hostileTypes: [Any] {
        ["F16", "BF16", "F64", "I32", "U8", "BOOL", "f32", "", "F32 ", "I64", "F32", 4, NSNull(), ["F32"]]
    }
    static var hostileMetadata: [Any] {
        [["epoch": 3], ["epoch": NSNull()], [1, 2], "epoch", NSNull(), ["": ""], ["optimizer.step_count": "-5"]]
    }

    @Test func headerEdits() throws {
        var random = SeededGenerator(seed: 24)
        let (header, data) = Self.parts
        let (shapes, offsets, types, metadata) = (Self.hostileShapes, Self.hostileOffsets, Self.hostileTypes, Self.hostileMetadata)
        let names = header.keys.filter { $0 != "__metadata__" }.sorted()
        for iteration in 0..<(Self.iterations * 2) {
            var edited = header
            for _ in 0..<(1 + random.nextInt(below: 2)) {
                let name = names[random.nextInt(below: names.count)]
                var entry = edited[name] as? [String: Any] ?? [:]
                switch random.nextInt(below: 7) {
                case 0: entry["shape"] = shapes[random.nextInt(below: shapes.count)]
                case 1: entry["data_offsets"] = offsets[random.nextInt(below: offsets.count)]
                case 2: entry["dtype"] = types[random.nextInt(below: types.count)]
                case 3: entry.removeValue(forKey: ["shape", "data_offsets", "dtype"][random.nextInt(below: 3)])
                case 4: edited["__metadata__"] = metadata[random.nextInt(below: metadata.count)]
                case 5: edited[name + ".copy"] = entry
                default: edited[name] = [1, 2, 3]
                }
                if edited[name] is [String: Any] { edited[name] = entry }
            }
            let json = try JSONSerialization.data(withJSONObject: edited, options: [.sortedKeys])
            expectThrowsOrValid(file(header: Array(json), data: data), "header edit \(iteration): \(String(decoding: json, as: UTF8.self))")
        }
    }

    /// JSON that `JSONSerialization` would never write: numbers beyond any integer type,
    /// exponents, duplicated keys, deep nesting, other top-level values.
    @Test func headerTexts() {
        let data = Self.parts.data
        let tensor = #""w":{"dtype":"F32","shape":SHAPE,"data_offsets":OFFSETS}"#
        let numbers = ["1e400", "-0", "18446744073709551616", "99999999999999999999999999", "6.0", "6e0", "0x6", "06", "-6",
                       "9223372036854775807", "9223372036854775808", "24.000000000000001", "NaN", "Infinity"]
        var texts: [String] = []
        for number in numbers {
            texts.append("{" + tensor.replacingOccurrences(of: "SHAPE", with: "[\(number)]")
                .replacingOccurrences(of: "OFFSETS", with: "[0,24]") + "}")
            texts.append("{" + tensor.replacingOccurrences(of: "SHAPE", with: "[6]")
                .replacingOccurrences(of: "OFFSETS", with: "[0,\(number)]") + "}")
        }
        let plain = tensor.replacingOccurrences(of: "SHAPE", with: "[6]").replacingOccurrences(of: "OFFSETS", with: "[0,24]")
        texts += [
            "{\(plain),\(plain)}",
            "{\(plain),\(plain.replacingOccurrences(of: "[6]", with: "[2]"))}",
            "[]", "null", "6", "\"w\"", "{}", "", "{", "{\"w\":",
            String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
            "{\"w\":" + String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_001),
            "{\"__metadata__\":{\"a\":\"b\",\"a\":\"c\"}}",
            "{\"\\u0000\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}\u{0}\u{0}",
            "\u{FEFF}{\(plain)}",
        ]
        for text in texts {
            expectThrowsOrValid(file(header: Array(text.utf8), data: data), "header text \(text.prefix(120))")
        }
    }
}
