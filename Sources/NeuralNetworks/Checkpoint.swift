import Foundation
import Basics
import TensorCore

/// A checkpoint error that names what was expected, what was found and where.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, read or written.
    case inputOutput(path: String, reason: String)
    /// The file ends before the header or the data it announces.
    case truncated(path: String, expectedBytes: Int, foundBytes: Int)
    /// The header is not the JSON that safetensors specifies.
    case corruptHeader(path: String, reason: String)
    /// A tensor is stored with an element type other than F32 or I64.
    case unsupportedType(name: String, type: String)
    /// A tensor the model needs is absent from the file.
    case missingTensor(name: String)
    /// A tensor in the file has another shape than the model's.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// The 8-byte header length is beyond what the format allows (`Checkpoint.maximumHeaderLength`).
    case headerTooLong(path: String, headerLength: UInt64, limit: Int, fileBytes: Int)
    /// A tensor's element count or byte size does not fit a 64-bit integer.
    case tensorTooLarge(path: String, name: String, shape: [Int])
    /// A tensor's data offsets point beyond any file this process can hold.
    case offsetsOutOfRange(path: String, name: String, offsets: [Int], dataBytes: Int)
    /// A metadata value the loader uses is not of the form or range it must have.
    case invalidMetadata(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .inputOutput(path, reason):
            "checkpoint \(path): \(reason)"
        case let .truncated(path, expected, found):
            "checkpoint \(path) is truncated: expected at least \(expected) bytes, found \(found); the file is incomplete, use an earlier checkpoint"
        case let .corruptHeader(path, reason):
            "checkpoint \(path) has a corrupt safetensors header: \(reason); the file is damaged or not a safetensors file, use an earlier checkpoint"
        case let .unsupportedType(name, type):
            "checkpoint tensor \(name) has element type \(type); expected F32 (or I64 for counters)"
        case let .missingTensor(name):
            "checkpoint has no tensor \(name); it was written for another model or prefix"
        case let .shapeMismatch(name, expected, found):
            "checkpoint tensor \(name) has shape \(found), the model expects \(expected); check depth, width and input channels"
        case let .headerTooLong(path, length, limit, fileBytes):
            "checkpoint \(path) has a corrupt safetensors header: its length field says \(length) bytes, expected at most \(limit) (the format's limit) and at most the \(fileBytes - 8) bytes after the field; the file is damaged or not a safetensors file, use an earlier checkpoint"
        case let .tensorTooLarge(path, name, shape):
            "checkpoint \(path) has a corrupt safetensors header: tensor \(name) has shape \(shape), whose size in bytes does not fit a 64-bit integer; expected a shape whose elements fit the file; the file is damaged, use an earlier checkpoint"
        case let .invalidMetadata(key, value, expected):
            "checkpoint metadata \(key) is \(value), expected \(expected); the file is damaged, use an earlier checkpoint"
        case let .offsetsOutOfRange(path, name, offsets, dataBytes):
            "checkpoint \(path) has a corrupt safetensors header: tensor \(name) has data_offsets \(offsets), expected offsets within the \(dataBytes) bytes of data after the header; the file is damaged, use an earlier checkpoint"
        }
    }
}

/// A set of named tensors and string metadata in the safetensors format: an 8-byte
/// little-endian header length, a JSON header (`{"name": {"dtype": "F32", "shape": [...],
/// "data_offsets": [begin, end]}, "__metadata__": {...}}`), then the raw little-endian data.
///
/// A file written here loads with `safetensors.torch.load_file`; with a ResNet stored under
/// no prefix, `torchvision.models.resnet18()` (CIFAR stem swapped in, `fc` ignored) takes it
/// through `load_state_dict(..., strict=False)`.
public struct Checkpoint: Equatable {
    /// One stored tensor: its shape and elements.
    public struct Entry: Equatable {
        public enum Values: Equatable {
            case float32([Float])
            case int64([Int64])
        }
        public var shape: [Int]
        public var values: Values

        public init(shape: [Int], values: Values) {
            self.shape = shape
            self.values = values
        }

        /// The elements as floats (counters converted).
        public var floats: [Float] {
            switch values {
            case let .float32(values): values
            case let .int64(values): values.map { Float($0) }
            }
        }
    }

    /// The tensors by name.
    public var entries: [String: Entry]
    /// Free-form string metadata (`__metadata__`), e.g. "step", "epoch", "preset".
    public var metadata: [String: String]

    public init(entries: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// Adds copies of the tensors, named `prefix.name` (just `name` when `prefix` is empty).
    public mutating func store(_ tensors: [NamedTensor], prefix: String = "") {
        for named in tensors.map({ $0.prefixed(prefix) }) {
            let values = named.tensor.scalars
            entries[named.name] = Entry(
                shape: named.tensor.shape,
                values: named.isCounter ? .int64(values.map { Int64($0) }) : .float32(values))
        }
    }

    /// Adds every parameter and buffer of `layer` (torchvision names under `prefix`).
    public mutating func store(_ layer: some Layer, prefix: String = "") {
        store(layer.namedState, prefix: prefix)
    }

    /// Adds the state (momenta, moments) of `optimizer` under `prefix` and its step count as the
    /// metadata `<prefix>.step_count`.
    public mutating func store(_ optimizer: some Optimizer, prefix: String = "optimizer") {
        store(optimizer.namedState, prefix: prefix)
        metadata["\(prefix).step_count"] = String(optimizer.stepCount)
    }

    /// Copies the stored values into `tensors`, after checking that every one is present with
    /// the right shape (nothing is written when any check fails).
    public func restore(_ tensors: [NamedTensor], prefix: String = "") throws {
        let named = tensors.map { $0.prefixed(prefix) }
        var sources: [[Float]] = []
        for item in named {
            guard let entry = entries[item.name] else { throw CheckpointError.missingTensor(name: item.name) }
            guard entry.shape == item.tensor.shape else {
                throw CheckpointError.shapeMismatch(name: item.name, expected: item.tensor.shape, found: entry.shape)
            }
            sources.append(entry.floats)
        }
        for (item, values) in zip(named, sources) {
            item.tensor.withUnsafeMutableBufferPointer { buffer in
                for index in 0..<buffer.count { buffer[index] = values[index] }
            }
        }
    }

    /// Restores every parameter and buffer of `layer` from the tensors under `prefix`.
    public func restore(_ layer: some Layer, prefix: String = "") throws {
        try restore(layer.namedState, prefix: prefix)
    }

    /// Restores the state (momenta, moments) and step count of `optimizer`. A step count outside
    /// 0...Int.max / 2 throws `invalidMetadata` (nothing is written): the counter would
    /// overflow, or was never one.
    public func restore(_ optimizer: some Optimizer, prefix: String = "optimizer") throws {
        let key = "\(prefix).step_count"
        var steps: Int?
        if let text = metadata[key] {
            guard let count = Int(text), (0...(Int.max / 2)).contains(count) else {
                throw CheckpointError.invalidMetadata(key: key, value: text, expected: "a step count in 0...\(Int.max / 2)")
            }
            steps = count
        }
        try restore(optimizer.namedState, prefix: prefix)
        if let steps { optimizer.restoreStepCount(steps) }
    }
}

extension Checkpoint {
    /// The file's bytes: header length, JSON header (padded with spaces to a multiple of 8),
    /// data in name order.
    public func serialized() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        let names = entries.keys.sorted()
        for name in names {
            let entry = entries[name]!
            let (type, size): (String, Int) = switch entry.values {
            case let .float32(values): ("F32", values.count * 4)
            case let .int64(values): ("I64", values.count * 8)
            }
            header[name] = ["dtype": type, "shape": entry.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = Array((try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8))
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        for name in names {
            switch entries[name]!.values {
            case let .float32(values):
                for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            case let .int64(values):
                for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
            }
        }
        return bytes
    }

    /// The largest header accepted, in bytes: the limit of the safetensors reference reader
    /// (100 MB). A length field beyond it is a damaged or foreign file, not a long header.
    public static let maximumHeaderLength = 100_000_000

    /// Parses the bytes of a safetensors file; `path` only labels errors.
    ///
    /// Every size and offset read from the file is checked with overflow-reporting arithmetic
    /// and against the file's length before anything is allocated or read, so a damaged or
    /// crafted file throws a `CheckpointError` instead of trapping.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        guard bytes.count >= 8 else {
            throw CheckpointError.truncated(path: path, expectedBytes: 8, foundBytes: bytes.count)
        }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw CheckpointError.headerTooLong(path: path, headerLength: headerLength, limit: Self.maximumHeaderLength,
                                               fileBytes: bytes.count)
        }
        // headerLength <= 100 MB here, so 8 + headerLength cannot overflow.
        let dataStart = 8 + Int(headerLength)
        guard dataStart <= bytes.count else {
            throw CheckpointError.truncated(path: path, expectedBytes: dataStart, foundBytes: bytes.count)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw CheckpointError.corruptHeader(path: path, reason: "the header is not valid JSON")
        }
        guard let header = object as? [String: Any] else {
            throw CheckpointError.corruptHeader(path: path, reason: "the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw CheckpointError.corruptHeader(path: path, reason: "__metadata__ must map strings to strings")
                }
                metadata = map
                continue
            }
            let (type, shape, offsets) = try Self.tensorDescription(value, name: name, path: path)
            let elementSize: Int
            switch type {
            case "F32": elementSize = 4
            case "I64": elementSize = 8
            default: throw CheckpointError.unsupportedType(name: name, type: type)
            }
            let count = try Self.elementCount(shape, elementSize: elementSize, name: name, path: path)
            guard offsets[1] - offsets[0] == count * elementSize else {
                throw CheckpointError.corruptHeader(
                    path: path, reason: "tensor \(name) of shape \(shape) needs \(count * elementSize) bytes, its offsets span \(offsets[1] - offsets[0])")
            }
            let (end, overflow) = dataStart.addingReportingOverflow(offsets[1])
            guard !overflow else {
                throw CheckpointError.offsetsOutOfRange(path: path, name: name, offsets: offsets, dataBytes: bytes.count - dataStart)
            }
            guard end <= bytes.count else {
                throw CheckpointError.truncated(path: path, expectedBytes: end, foundBytes: bytes.count)
            }
            let start = dataStart + offsets[0]
            let values: Entry.Values = bytes.withUnsafeBytes { raw in
                if elementSize == 4 {
                    return .float32((0..<count).map { i in
                        Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    })
                }
                return .int64((0..<count).map { i in
                    Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: Int64.self))
                })
            }
            entries[name] = Entry(shape: shape, values: values)
        }
        self.init(entries: entries, metadata: metadata)
    }

    /// The dtype, shape and data offsets of one header entry, each checked to be present, an
    /// exact non-negative integer where one is due, and `begin <= end`.
    private static func tensorDescription(_ value: Any, name: String, path: String) throws -> (String, [Int], [Int]) {
        guard let description = value as? [String: Any],
              let type = description["dtype"] as? String,
              let shapeValues = description["shape"] as? [Any],
              let offsetValues = description["data_offsets"] as? [Any]
        else {
            throw CheckpointError.corruptHeader(path: path, reason: "tensor \(name) lacks a valid dtype, shape or data_offsets")
        }
        let shape = shapeValues.compactMap(exactNonNegativeInteger)
        guard shape.count == shapeValues.count else {
            throw CheckpointError.corruptHeader(
                path: path, reason: "tensor \(name) has shape \(shapeValues), expected non-negative integers below 2^63")
        }
        let offsets = offsetValues.compactMap(exactNonNegativeInteger)
        guard offsets.count == 2, offsetValues.count == 2, offsets[0] <= offsets[1] else {
            throw CheckpointError.corruptHeader(
                path: path, reason: "tensor \(name) has data_offsets \(offsetValues), expected [begin, end] with 0 <= begin <= end < 2^63")
        }
        return (type, shape, offsets)
    }

    /// The number of elements of `shape`, after checking that it and its size in bytes fit
    /// an `Int` (a crafted shape such as [2^32, 2^32, 4] overflows).
    private static func elementCount(_ shape: [Int], elementSize: Int, name: String, path: String) throws -> Int {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw CheckpointError.tensorTooLarge(path: path, name: name, shape: shape) }
            count = product
        }
        guard !count.multipliedReportingOverflow(by: elementSize).overflow else {
            throw CheckpointError.tensorTooLarge(path: path, name: name, shape: shape)
        }
        return count
    }

    /// Reads a safetensors file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CheckpointError.inputOutput(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(bytes: Array(data), path: url.path)
    }

    /// Writes the file atomically (`writeAtomically`): a crash leaves either the old file or
    /// the new one, never a partial one.
    public func write(to url: URL) throws {
        do {
            try writeAtomically(serialized(), to: url)
        } catch {
            throw CheckpointError.inputOutput(path: url.path, reason: error.reason)
        }
    }
}

/// `value` as an `Int` when it is a JSON number holding a non-negative integer that an `Int`
/// represents exactly (not a fraction, not a Boolean, not beyond 2^63 - 1); nil otherwise.
private func exactNonNegativeInteger(_ value: Any) -> Int? {
    // A JSON Boolean is an NSNumber of Objective-C type "c"; `is Bool` cannot tell, as 0 and 1 bridge.
    guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
    guard let integer = Int(exactly: number), integer >= 0 else { return nil }
    return integer
}
