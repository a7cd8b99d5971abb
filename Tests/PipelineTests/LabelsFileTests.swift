import Datasets
import Foundation
import Pipeline
import Basics
import TensorCore
import Testing

/// A CSV/text labels file holds one kind of label (integers or names); a mixed file, a
/// missing file and a damaged file each throw a `DatasetError` that says which.
@Suite struct LabelsFileTests {
    /// Writes `text` to a fresh file, in a folder of its own name (tests run in parallel),
    /// and returns its path.
    func labelsFile(_ text: String, name: String = "labels.csv") throws -> String {
        try labelsFile(Array(text.utf8), name: name)
    }

    func labelsFile(_ bytes: [UInt8], name: String = "labels.csv") throws -> String {
        let folder = temporaryFolder("labels-file-\(name)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The line and found text of a `badLine` error, or nil for any other error.
    func badLine(_ read: () throws -> [Int]) -> (line: Int, found: String)? {
        do {
            _ = try read()
        } catch let DatasetError.badLine(_, line, _, found) {
            return (line, found)
        } catch {
            Issue.record("expected DatasetError.badLine, got \(error)")
        }
        return nil
    }

    @Test func aNameAmongIntegersIsAnErrorNamingItsLine() throws {
        // Before, `a` was numbered 0 and merged with the label 0.
        let path = try labelsFile("label\n0\n1\n\na\n0\n")
        let found = try #require(badLine { try readLabels(path) })
        #expect(found.line == 5 && found.found.contains("'a'"), "\(found)")
        #expect {
            try readLabels(path)
        } throws: { error in
            let message = "\(error)"
            return message.contains(path) && message.contains("line 5") && message.contains("line 2 ('0')")
        }
    }

    @Test func anIntegerAmongNamesIsAnErrorNamingItsLine() throws {
        let found = try #require(badLine { try parseLabelsText("cat\ndog\ncat\n3\n", file: "names.csv") })
        #expect(found.line == 4 && found.found.contains("'3'"), "\(found)")
        // The last column decides, whatever the other columns hold.
        let columns = try #require(badLine { try parseLabelsText("index,label\n0,cat\n1,dog\n2,7\n", file: "c.csv") })
        #expect(columns.line == 4 && columns.found.contains("'7'"), "\(columns)")
    }

    @Test func integersKeepTheirValues() throws {
        #expect(try parseLabelsText("label\n7\n-2\n7\n", file: "a.csv") == [7, -2, 7])
        #expect(try parseLabelsText("3\r\n\r\n4\r\n", file: "crlf.csv") == [3, 4])
        #expect(try parseLabelsText("id,label\n0, 5 \n1,6\n", file: "b.csv") == [5, 6])
        #expect(try parseLabelsText("", file: "empty.csv") == [])
    }

    @Test func namesAreNumberedInOrderOfFirstAppearance() throws {
        #expect(try parseLabelsText("cat\ndog\ncat\nbird\n", file: "a.csv") == [0, 1, 0, 2])
        #expect(try parseLabelsText("class\ncat\ndog\ncat\n", file: "b.csv") == [0, 1, 0])
    }

    @Test func aMissingFileSaysSo() {
        #expect(throws: DatasetError.unreadable(file: "/nonexistent/labels.csv", reason: "no such file")) {
            try readLabels("/nonexistent/labels.csv")
        }
    }

    @Test func aFileThatIsNotTextSaysSo() throws {
        let path = try labelsFile([0xFF, 0xFE, 0x00, 0xC3, 0x28], name: "binary.csv")
        #expect(throws: DatasetError.unreadable(file: path, reason: "not a UTF-8 text file")) {
            try readLabels(path)
        }
    }

    /// Seeded truncations, byte flips, inserted names and random bytes of valid labels files:
    /// each read returns one label per labelled line or throws a `DatasetError`, never traps.
    @Test func fuzzedLabelsFiles() throws {
        var random = SeededGenerator(seed: 11)
        let integers = Array(("label\n" + (0..<60).map { "\($0 % 7)\n" }.joined()).utf8)
        let names = Array(("index,class\n" + (0..<60).map { "\($0),\(["cat", "dog", "bird"][$0 % 3])\n" }.joined()).utf8)
        var mutations: [[UInt8]] = []
        for source in [integers, names] {
            for _ in 0..<40 { mutations.append(Array(source.prefix(random.nextInt(below: source.count + 1)))) }
            for _ in 0..<40 { mutations.append(flipped(source, &random)) }
            for _ in 0..<20 { mutations.append(inserted(source, &random)) }
        }
        for _ in 0..<20 {
            mutations.append((0..<random.nextInt(below: 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        // Every mutation is parsed in memory; every tenth also goes through a file, for the
        // UTF-8 check (files are slow to write on a busy machine).
        let path = try labelsFile("", name: "fuzz.csv")
        for (index, bytes) in mutations.enumerated() {
            let lines = bytes.filter { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }.count + 1
            if let text = String(bytes: bytes, encoding: .utf8) {
                expectLabelsOrDatasetError(mutation: index, lines: lines) { try parseLabelsText(text, file: "fuzz") }
            }
            if index % 10 == 0 {
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                expectLabelsOrDatasetError(mutation: index, lines: lines) { try readLabels(path) }
            }
        }
    }

    /// Runs `read`: it returns at most one label per line or throws a `DatasetError`.
    func expectLabelsOrDatasetError(mutation: Int, lines: Int, _ read: () throws -> [Int]) {
        do {
            let labels = try read()
            #expect(labels.count <= lines, "mutation \(mutation): \(labels.count) labels from \(lines) lines")
        } catch is DatasetError {
        } catch {
            Issue.record("mutation \(mutation): unexpected error type \(error)")
        }
    }

    /// `bytes` with 1 to 4 bytes XORed with random non-zero values.
    func flipped(_ bytes: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var copy = bytes
        for _ in 0..<(1 + random.nextInt(below: 4)) {
            copy[random.nextInt(below: copy.count)] ^= UInt8(truncatingIfNeeded: random.next() | 1)
        }
        return copy
    }

    /// `bytes` with a name, a huge integer, a comma or an empty line spliced in at a random place.
    func inserted(_ bytes: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        let pieces = ["a\n", "99999999999999999999999\n", "-0\n", ",\n", "\n\n", "0,\n", "7.5\n", "\u{FEFF}3\n"]
        var copy = bytes
        copy.insert(contentsOf: Array(pieces[random.nextInt(below: pieces.count)].utf8),
                    at: random.nextInt(below: copy.count + 1))
        return copy
    }
}
