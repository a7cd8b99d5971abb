import Datasets
import Foundation
import Testing

/// One entry of npy_expected.json, written by make_fixtures.py.
struct ExpectedNPY: Decodable {
    let shape: [Int]
    let dtype: String
    let values: [Double]
}

@Suite(".npy files written by NumPy")
struct NPYTests {
    let expected: [String: ExpectedNPY]

    init() throws {
        expected = try loadJSON("npy_expected.json", as: [String: ExpectedNPY].self)
    }

    func values(_ array: NPYArray) -> [Double] {
        switch array.elements {
        case let .uint8(items): items.map(Double.init)
        case let .int64(items): items.map(Double.init)
        case let .float32(items): items.map(Double.init)
        }
    }

    @Test(arguments: ["uint8_nhw.npy", "uint8_nhwc.npy", "int64.npy", "float32.npy", "float32_v2.npy",
                      "float32_v3.npy", "float64.npy", "int32.npy", "scalar_float32.npy", "empty_float32.npy",
                      "digits_like.npy", "digits_like_labels.npy"])
    func readsWhatNumPyWrote(name: String) throws {
        let array = try readNPY(fixtures + "/npy/" + name)
        let reference = try #require(expected[name])
        #expect(array.shape == reference.shape)
        let read = values(array)
        #expect(read.count == reference.values.count)
        // float64 is narrowed to float32: compare within float32 rounding.
        let tolerance = reference.dtype == "<f8" ? 1e-6 : 0
        for (mine, theirs) in zip(read, reference.values) {
            #expect(abs(mine - theirs) <= tolerance * max(1, abs(theirs)), "\(name): \(mine) vs \(theirs)")
        }
    }

    @Test(arguments: ["uint8_nhw.npy", "uint8_nhwc.npy", "int64.npy", "float32.npy", "scalar_float32.npy",
                      "empty_float32.npy"])
    func writesTheSameBytesAsNumPy(name: String) throws {
        let path = fixtures + "/npy/" + name
        #expect(npyBytes(try readNPY(path)) == (try fileBytes(path)))
    }

    @Test func roundTripThroughAFile() throws {
        let folder = try temporaryFolder("npy")
        let values: [Float] = (0..<12).map { Float($0) * 0.25 - 1 }
        try writeNPY(values, shape: [4, 3], to: folder + "/embeddings.npy")
        #expect(try readNPY(folder + "/embeddings.npy") == NPYArray(shape: [4, 3], elements: .float32(values)))
        try writeNPY([3, -1, 1 << 40], shape: [3], to: folder + "/labels.npy")
        #expect(try readNPY(folder + "/labels.npy") == NPYArray(shape: [3], elements: .int64([3, -1, 1 << 40])))
        // A header too long for version 1 switches to version 2.
        let wide = NPYArray(shape: [Int](repeating: 1, count: 30000), elements: .uint8([9]))
        let bytes = npyBytes(wide)
        #expect(bytes[6] == 2)
        #expect(try parseNPY(bytes, file: "wide") == wide)
    }

    @Test func refusesFortranOrderWithTheFix() throws {
        #expect {
            try readNPY(fixtures + "/npy/fortran.npy")
        } throws: { error in
            guard case let DatasetError.badHeader(file, expected, found) = error else { return false }
            return file.hasSuffix("fortran.npy") && expected.contains("C order") && found.contains("ascontiguousarray")
        }
    }

    @Test(arguments: [("bigendian.npy", "'>f4'"), ("complex.npy", "'<c8'")])
    func refusesUnsupportedTypes(name: String, found: String) throws {
        #expect(throws: DatasetError.unsupportedType(
            file: fixtures + "/npy/" + name, expected: "uint8 (|u1), int64 (<i8) or float32 (<f4), little-endian",
            found: found)) {
            try readNPY(fixtures + "/npy/" + name)
        }
    }

    @Test func truncatedAndOversized() throws {
        let bytes = try fileBytes(fixtures + "/npy/float32.npy")
        #expect(throws: DatasetError.truncated(file: "f", expectedBytes: bytes.count, foundBytes: bytes.count - 1)) {
            try parseNPY(Array(bytes.dropLast()), file: "f")
        }
        #expect(throws: DatasetError.trailingBytes(file: "f", expectedBytes: bytes.count, foundBytes: bytes.count + 1)) {
            try parseNPY(bytes + [0], file: "f")
        }
    }
}
