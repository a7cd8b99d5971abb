import ContrastiveLearning
import Datasets
import Foundation
import Pipeline
import Testing

/// A run folder is owned by one process, and a run that fails leaves the previous one intact.
@Suite struct RunFolderSafetyTests {
    @Test func aSecondOwnerIsRefusedAndNamesTheFirst() throws {
        let path = temporaryFolder("locked")
        do {
            let first = try RunDirectory(path: path)
            #expect {
                _ = try RunDirectory(path: path)
            } throws: { error in
                guard case let PipelineError.folderInUse(_, process) = error else { return false }
                return process == Int(getpid()) && "\(error)".contains("choose another --output")
            }
            withExtendedLifetime(first) {}
        }
        // Released with the last reference.
        _ = try RunDirectory(path: path)
    }

    @Test func aFailedRunLeavesThePreviousFilesByteIdentical() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let path = temporaryFolder("failed")
        var settings = RunJobTests.tinySettings(digits)
        do {
            let directory = try RunDirectory(path: path)
            _ = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        }
        let before = try snapshot(path)
        #expect(before.keys.contains("labels.csv") && before.keys.contains("training/checkpoint.safetensors"))

        settings.training?.learningRate = 1e30
        settings.training?.epochs = 2
        #expect(throws: TrainingError.self) {
            _ = try RunJob(settings: settings, source: .images(digits), directory: try RunDirectory(path: path)).run()
        }
        #expect(try snapshot(path) == before)

        // The old settings again: nothing retrains, and the failed attempt's leftovers are gone.
        settings = RunJobTests.tinySettings(digits)
        let rerun = try RunJob(settings: settings, source: .images(digits), directory: try RunDirectory(path: path)).run()
        #expect(rerun.stagesRun == [.cluster, .report])
        #expect(try snapshot(path)["training/settings.json"] == before["training/settings.json"])
    }

    @Test func temporariesOfAKilledWriterAreRemovedOnOpen() throws {
        let path = temporaryFolder("temporaries")
        try FileManager.default.createDirectory(atPath: path + "/.staging/training", withIntermediateDirectories: true)
        for name in ["/.labels.csv.123.partial", "/.staging/training/.checkpoint.safetensors.456.tmp"] {
            #expect(FileManager.default.createFile(atPath: path + name, contents: Data(count: 10)))
        }
        _ = try RunDirectory(path: path)
        #expect(!FileManager.default.fileExists(atPath: path + "/.labels.csv.123.partial"))
        #expect(!FileManager.default.fileExists(atPath: path + "/.staging/training/.checkpoint.safetensors.456.tmp"))
    }

    @Test func resumeTrainsFurtherWhenAskedForMoreEpochs() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        var configuration = try #require(RunJobTests.tinySettings(digits).training)
        let path = temporaryFolder("extend")
        _ = try TrainJob(configuration: configuration, dataset: digits, directory: try RunDirectory(path: path))
            .run(resume: false)
        configuration.epochs = 3
        let more = try TrainJob(configuration: configuration, dataset: digits, directory: try RunDirectory(path: path))
            .run(resume: true)
        #expect(more.monitors.map(\.epoch) == [1, 2])
        let log = try String(contentsOfFile: path + "/training.jsonl", encoding: .utf8)
        #expect(log.split(separator: "\n").count == 3)

        configuration.width = 4
        #expect {
            _ = try TrainJob(configuration: configuration, dataset: digits, directory: try RunDirectory(path: path))
                .run(resume: true)
        } throws: { error in
            "\(error)".contains("width (2 there, 4 here)")
        }
    }

    /// Every committed file's bytes, by path relative to the folder (staging and lock aside).
    private func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let walker = FileManager.default.enumerator(atPath: path)
        while let relative = walker?.nextObject() as? String {
            guard !relative.hasPrefix(".staging"), relative != ".lock" else { continue }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + relative))
            }
        }
        return files
    }
}
