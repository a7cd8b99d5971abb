import Foundation
import Pipeline
import Testing

@Suite struct RunDirectoryTests {
    @Test func atomicWritesReplaceWholeFilesAndLeaveNoTemporaries() throws {
        let directory = try RunDirectory(path: temporaryFolder("atomic"))
        try directory.write(Data("first".utf8), to: "file.txt")
        try directory.write(Data("second, longer".utf8), to: "file.txt")
        #expect(!FileManager.default.fileExists(atPath: directory.file("file.txt").path), "staged until the commit")
        try directory.commit()
        #expect(try String(contentsOf: directory.file("file.txt"), encoding: .utf8) == "second, longer")
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted()
        #expect(entries == [".lock", "file.txt"])
    }

    @Test func theLedgerRemembersStagesByFingerprintAndForgets() throws {
        let directory = try RunDirectory(path: temporaryFolder("ledger"))
        #expect(!directory.isFinished("train", fingerprint: "a"))
        try directory.markFinished("train", fingerprint: "a")
        try directory.markFinished("embed", fingerprint: "b")
        #expect(directory.isFinished("train", fingerprint: "a"))
        #expect(!directory.isFinished("train", fingerprint: "other settings"))
        try directory.forget(["embed"])
        #expect(directory.finishedStages() == ["train": "a"])
        try directory.commit()
        #expect(directory.finishedStages() == ["train": "a"])
    }

    @Test func anUnwritableFolderIsAClearError() {
        #expect(throws: PipelineError.self) { _ = try RunDirectory(path: "/proc/nrcc-cannot-write-here") }
    }
}

@Suite struct LabelReadingTests {
    @Test func csvLabelsTakeTheLastColumnAndSkipAHeader() throws {
        let folder = temporaryFolder("csv")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "index,cluster,label\n0,4,7\n1,4,2\n2,0,7\n".write(toFile: folder + "/a.csv", atomically: true, encoding: .utf8)
        #expect(try readLabels(folder + "/a.csv") == [7, 2, 7])
        try "cat\ndog\ncat\nbird\n".write(toFile: folder + "/b.csv", atomically: true, encoding: .utf8)
        #expect(try readLabels(folder + "/b.csv") == [0, 1, 0, 2])
    }

    @Test func idxLabelsOfTheSharedDigitsAreRead() throws {
        // A byte-for-byte copy of ../shared/data/digits's labels (Fixtures/make_fixtures.py).
        let fixture = Bundle.module.url(forResource: "digits-labels-idx1-ubyte", withExtension: "gz", subdirectory: "Fixtures")
        let path = try #require(fixture).path
        let labels = try readLabels(path)
        #expect(labels.count == 1797)
        #expect(Set(labels) == Set(0..<10))
    }
}
