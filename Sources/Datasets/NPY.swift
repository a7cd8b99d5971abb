// NumPy .npy: magic "\x93NUMPY", version, header length, a Python dict literal, C-order data.
import Basics
import Foundation

/// The elements of an .npy array, in C (row-major) order.
public enum NPYElements: Sendable, Equatable {
    /// dtype `|u1`.
    case uint8([UInt8])
    /// dtype `<i8` (also `<i4`, `<u4`, `|i1`, `<i2`, `<u2` widened on reading).
    case int64([Int64])
    /// dtype `<f4` (also `<f8` narrowed on reading).
    case float32([Float])

    /// Number of elements.
    public var count: Int {
        switch self {
        case let .uint8(values): values.count
        case let .int64(values): values.count
        case let .float32(values): values.count
        }
    }

    /// The NumPy dtype string this element type is written as.
    public var descriptor: String {
        switch self {
        case .uint8: "|u1"
        case .int64: "<i8"
        case .float32: "<f4"
        }
    }
}

/// An array read from, or to be written to, an .npy file.
public struct NPYArray: Sendable, Equatable {
    /// Dimensions, outermost first; [] for a scalar.
    public var shape: [Int]
    /// The elements, `shape.reduce(1, *)` of them, C order.
    public var elements: NPYElements

    /// Wraps `elements` (C order) of `shape`; sizes that disagree trap.
    public init(shape: [Int], elements: NPYElements) {
        checkArgument(shape.allSatisfy { $0 >= 0 }, "NPYArray: negative dimension in \(shape)")
        checkArgument(shape.reduce(1, *) == elements.count,
                     "NPYArray: shape \(shape) needs \(shape.reduce(1, *)) elements, got \(elements.count)")
        self.shape = shape
        self.elements = elements
    }
}

/// Reads a .npy file (format versions 1, 2 and 3, little-endian, C order).
///
/// Supported dtypes: `|u1`, `<f4`, `<i8` as they are; `<f8` narrowed to float32; `|i1`, `<i2`,
/// `<u2`, `<i4`, `<u4` widened to int64. Throws `badMagic`, `badHeader` (unparsable dict,
/// Fortran order), `unsupportedType`, `truncated` or `trailingBytes`.
public func readNPY(_ path: String) throws -> NPYArray {
    try parseNPY(try readFileBytes(path, decompress: false), file: path)
}

/// Parses .npy bytes; `file` names the source in errors.
public func parseNPY(_ bytes: [UInt8], file: String) throws -> NPYArray {
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 6, Array(bytes[0..<6]) == magic else {
        throw DatasetError.badMagic(file: file, expected: "the .npy magic 93 4e 55 4d 50 59 (\\x93NUMPY)",
                                    found: hexPrefix(bytes, count: 6))
    }
    var cursor = ByteCursor(bytes, file: file)
    cursor.offset = 6
    let version = try cursor.take(2)
    let major = version[version.startIndex]
    let headerLength: Int
    switch major {
    case 1: headerLength = try cursor.littleEndianUInt16()
    case 2, 3: headerLength = try cursor.littleEndianUInt32()
    default:
        throw DatasetError.badHeader(file: file, expected: ".npy format version 1, 2 or 3", found: "version \(major)")
    }
    let headerBytes = try cursor.take(headerLength)
    guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .ascii) else {
        throw DatasetError.badHeader(file: file, expected: "an ASCII header dictionary", found: "non-text bytes")
    }
    let fields = try parseNPYHeader(header, file: file)
    if fields.fortranOrder {
        throw DatasetError.badHeader(file: file, expected: "C order (fortran_order: False)",
                                     found: "fortran_order: True; save with np.ascontiguousarray(a)")
    }
    let elementSizes: [String: Int] = ["|u1": 1, "<u1": 1, "|i1": 1, "<i1": 1, "<i2": 2, "<u2": 2, "<i4": 4,
                                       "<u4": 4, "<i8": 8, "<f4": 4, "<f8": 8]
    guard let elementSize = elementSizes[fields.descriptor] else {
        throw DatasetError.unsupportedType(
            file: file, expected: "uint8 (|u1), int64 (<i8) or float32 (<f4), little-endian",
            found: "'\(fields.descriptor)'")
    }
    var count = 1
    for size in fields.shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: size)
        count = overflow ? Int.max / 16 : min(product, Int.max / 16)
    }
    let expected = cursor.offset + count * elementSize
    if bytes.count < expected {
        throw DatasetError.truncated(file: file, expectedBytes: expected, foundBytes: bytes.count)
    }
    if bytes.count > expected {
        throw DatasetError.trailingBytes(file: file, expectedBytes: expected, foundBytes: bytes.count)
    }
    let elements: NPYElements = bytes.withUnsafeBytes { raw in
        let data = UnsafeRawBufferPointer(rebasing: raw[cursor.offset...])
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            T(littleEndian: data.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
        }
        switch fields.descriptor {
        case "|u1", "<u1": return .uint8(Array(data))
        case "|i1", "<i1": return .int64((0..<count).map { Int64(Int8(bitPattern: data[$0])) })
        case "<i2": return .int64((0..<count).map { Int64(load(Int16.self, $0)) })
        case "<u2": return .int64((0..<count).map { Int64(load(UInt16.self, $0)) })
        case "<i4": return .int64((0..<count).map { Int64(load(Int32.self, $0)) })
        case "<u4": return .int64((0..<count).map { Int64(load(UInt32.self, $0)) })
        case "<i8": return .int64((0..<count).map { load(Int64.self, $0) })
        case "<f4": return .float32((0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
        default: return .float32((0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
        }
    }
    return NPYArray(shape: fields.shape, elements: elements)
}

/// The three fields of an .npy header dict, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
func parseNPYHeader(_ header: String, file: String) throws -> (descriptor: String, fortranOrder: Bool, shape: [Int]) {
    func fail(_ what: String) -> DatasetError {
        .badHeader(file: file, expected: "a header dict with \(what)", found: "'\(header.prefix(120))'")
    }
    func value(of key: String) -> Substring? {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        let rest = header[keyRange.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        return rest.dropFirst().drop { $0 == " " }
    }
    guard let descriptorStart = value(of: "descr"), let quote = descriptorStart.first, quote == "'" || quote == "\"",
          let end = descriptorStart.dropFirst().firstIndex(of: quote) else { throw fail("'descr': '<dtype>'") }
    let descriptor = String(descriptorStart[descriptorStart.index(after: descriptorStart.startIndex)..<end])
    guard let orderText = value(of: "fortran_order") else { throw fail("'fortran_order': False") }
    let fortranOrder: Bool
    if orderText.hasPrefix("False") { fortranOrder = false } else if orderText.hasPrefix("True") { fortranOrder = true } else {
        throw fail("'fortran_order': False")
    }
    guard let shapeText = value(of: "shape"), shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
        throw fail("'shape': (d1, d2, ...)")
    }
    var shape = [Int]()
    for part in shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",") {
        let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
        if trimmed.isEmpty { continue }
        guard let size = Int(trimmed), size >= 0 else { throw fail("non-negative integer dimensions") }
        shape.append(size)
    }
    return (descriptor, fortranOrder, shape)
}

/// The bytes of an .npy file holding `array` (version 1.0 header, or 2.0 when the header
/// outgrows 65535 bytes; the header is padded so the data starts on a 64-byte boundary).
public func npyBytes(_ array: NPYArray) -> [UInt8] {
    let dimensions = array.shape.map(String.init)
    let shapeText = array.shape.count == 1 ? "(\(dimensions[0]),)" : "(\(dimensions.joined(separator: ", ")))"
    var header = "{'descr': '\(array.elements.descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
    var version: UInt8 = 1
    var prefixLength = 10
    if header.utf8.count + 1 + prefixLength > 65535 {
        version = 2
        prefixLength = 12
    }
    let padding = (64 - (prefixLength + header.utf8.count + 1) % 64) % 64
    header += String(repeating: " ", count: padding) + "\n"
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    let length = header.utf8.count
    bytes += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
        : [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)]
    bytes += Array(header.utf8)
    switch array.elements {
    case let .uint8(values):
        bytes += values
    case let .int64(values):
        bytes.reserveCapacity(bytes.count + values.count * 8)
        for value in values { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    case let .float32(values):
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    }
    return bytes
}

/// Writes `array` to `path` as .npy (atomically).
public func writeNPY(_ array: NPYArray, to path: String) throws {
    try writeFileBytes(npyBytes(array), to: path)
}

/// Writes float32 `values` of `shape` (e.g. embeddings N x 256, coordinates N x 3) as .npy.
public func writeNPY(_ values: [Float], shape: [Int], to path: String) throws {
    try writeNPY(NPYArray(shape: shape, elements: .float32(values)), to: path)
}

/// Writes int64 `values` of `shape` (e.g. cluster labels, N) as .npy.
public func writeNPY(_ values: [Int], shape: [Int], to path: String) throws {
    try writeNPY(NPYArray(shape: shape, elements: .int64(values.map(Int64.init))), to: path)
}
