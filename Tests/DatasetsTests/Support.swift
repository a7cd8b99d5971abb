import Datasets
import Foundation
import Testing
import TestSupport

/// The Fixtures folder beside this file.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// The few records of `../shared/data` that tests read, committed in the same layout
/// (`digits/`, `usps/`, `coil20/`, `cifar10-subset/`); `Fixtures/make_shared_data_cuts.py` says
/// which and recreates them.
let sharedDataCuts = fixtures + "/shared-data"

/// `../shared/data` next to the package root (found by walking up to Package.swift). Only a
/// development checkout has it: tests that read it carry `.needsSharedData`.
let sharedData: String = {
    var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while folder.path != "/" && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
        folder.deleteLastPathComponent()
    }
    return folder.appendingPathComponent("../shared/data").standardizedFileURL.path
}()

/// Whether `sharedData` is on this machine (a clone on its own has no `../shared` beside it).
let sharedDataPresent: Bool = {
    var isFolder: ObjCBool = false
    return FileManager.default.fileExists(atPath: sharedData, isDirectory: &isFolder) && isFolder.boolValue
}()

extension Trait where Self == ConditionTrait {
    /// Skips a test that needs a whole data set of `../shared/data`, saying why, when the
    /// folder is missing.
    static var needsSharedData: Self {
        .enabled(if: sharedDataPresent, "needs ../shared/data (the development data sets); absent in a standalone clone")
    }
}

let fashionMNISTInstalled = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")

/// Search paths that find the shared data whatever the current directory is (when it is there).
let testSearchPaths = DatasetSearchPaths(dataDirectories: [sharedData])

/// A JSON fixture decoded into `T`.
func loadJSON<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name)))
}

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String) throws -> String {
    try ScratchFolders.createdFolder("datasets-\(name)").path
}

func fileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Counts of each label 0..<classes.
func histogram(_ labels: [Int], classes: Int) -> [Int] {
    var counts = [Int](repeating: 0, count: classes)
    for label in labels { counts[label] += 1 }
    return counts
}

/// The largest absolute difference between two float arrays of one length.
func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maximumDifference: \(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
