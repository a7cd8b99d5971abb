import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The output folder of one run, owned by one process at a time.
///
/// A run never touches the previous run's files until it has succeeded: every artefact is
/// written into `.staging/` first, and `commit()` moves them into place when the whole job is
/// done. A run that fails, is killed or hits a full disk leaves the previous results
/// byte-identical, and its staging folder behind, from which the next run resumes (an
/// interrupted training goes on from its last checkpoint).
///
///     <output>/
///       settings.json      every resolved setting of the run
///       stages.json        the ledger: stage name -> fingerprint of what it used
///       timings.json       seconds per stage, when it last ran
///       training/          checkpoint.safetensors, training.jsonl, settings.json
///       embeddings.npy  coordinates.npy  labels.csv  metrics.json  report.html
///       .lock              held (flock) by the process writing here
///       .staging/          the same layout, for the run in progress
public struct RunDirectory: Sendable {
    /// The folder itself.
    public let url: URL
    /// Held for as long as any copy of this value lives.
    private let lock: FolderLock

    /// Opens (creating when needed) the run folder at `path` and takes its lock; throws
    /// `PipelineError.folderInUse` when another process holds it. Temporaries left by a killed
    /// process are removed; a staging folder left by an interrupted run is kept, to resume.
    public init(path: String) throws {
        url = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.unwritableOutput(path: path, reason: unwritableReason(url, errno: errno))
        }
        lock = try FolderLock(folder: url)
        removeTemporaries(in: url)
    }

    /// The committed file `name` (a path relative to the folder).
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Where the run in progress writes `name` until it commits.
    public func staged(_ name: String) -> URL { stagingURL.appendingPathComponent(name) }

    /// The newest `name`: this run's (or an interrupted run's) staged file, else the committed one.
    public func latest(_ name: String) -> URL {
        FileManager.default.fileExists(atPath: staged(name).path) ? staged(name) : file(name)
    }

    /// Whether `name` exists, staged or committed.
    public func contains(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: latest(name).path)
    }

    /// Stages `data` as `name`, atomically (a temporary file, fsync, then rename).
    public func write(_ data: Data, to name: String) throws {
        let destination = staged(name)
        try createFolder(destination.deletingLastPathComponent())
        try writeOutput(data, to: destination)
    }

    /// Stages a value as pretty, key-sorted JSON.
    public func writeJSON<Value: Encodable>(_ value: Value, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(value) } catch {
            throw PipelineError.unwritableOutput(path: file(name).path, reason: "cannot encode it as JSON: \(error)")
        }
        try write(data, to: name)
    }

    /// Stages the folder `name` (created), for writers that manage their own files in it.
    public func stagedFolder(_ name: String) throws -> URL {
        let folder = staged(name)
        try createFolder(folder)
        return folder
    }

    /// Moves every staged file into place, the ledger and settings last, and removes the
    /// staging folder. Each move is a rename within the folder's file system, so a file is
    /// always either the old one or the new one.
    public func commit() throws {
        if FileManager.default.fileExists(atPath: staged(Self.ledgerName).path) {
            try writeJSON(finishedStages(), to: Self.ledgerName)
        }
        let staging = stagingURL.standardizedFileURL.path
        let files = stagedFiles().sorted { Self.commitRank($0) < Self.commitRank($1) }
        for relative in files {
            let destination = file(relative)
            try createFolder(destination.deletingLastPathComponent())
            guard rename(staging + "/" + relative, destination.path) == 0 else {
                throw PipelineError.unwritableOutput(path: destination.path, reason: String(cString: strerror(errno)))
            }
        }
        try? FileManager.default.removeItem(at: stagingURL)
    }

    /// Forgets staged work: what follows starts from the committed files.
    public func discardStaging() {
        try? FileManager.default.removeItem(at: stagingURL)
    }

    // MARK: The stage ledger

    /// The fingerprints of the stages that finished, by stage name: the committed ledger,
    /// overlaid with what this run (or an interrupted one) staged.
    public func finishedStages() -> [String: String] {
        committedStages().merging(stagedStages()) { $1 }.filter { $0.value != Self.forgotten }
    }

    /// Whether `stage` finished with exactly the settings whose fingerprint is given.
    public func isFinished(_ stage: String, fingerprint: String) -> Bool {
        finishedStages()[stage] == fingerprint
    }

    /// Records that `stage` finished under `fingerprint`, its artefacts staged.
    public func markFinished(_ stage: String, fingerprint: String) throws {
        var ledger = stagedStages()
        ledger[stage] = fingerprint
        try writeJSON(ledger, to: Self.ledgerName)
    }

    /// Forgets `stages` so that they run again (their committed artefacts stay until commit).
    public func forget(_ stages: [String]) throws {
        var ledger = stagedStages()
        for stage in stages { ledger[stage] = Self.forgotten }
        try writeJSON(ledger, to: Self.ledgerName)
    }

    /// The ledger of the committed files alone.
    func committedStages() -> [String: String] { ledger(at: file(Self.ledgerName)) }

    /// The stages staged by this run (or an interrupted one): only these stages' staged
    /// artefacts are complete; `forgotten` marks a stage `--from` asked to redo.
    func stagedStages() -> [String: String] { ledger(at: staged(Self.ledgerName)) }

    /// Drops what `stage` staged (its ledger entry and its artefacts `names`), so that the
    /// committed ones show again.
    func dropStaged(_ stage: String, artefacts names: [String]) throws {
        for name in names { try? FileManager.default.removeItem(at: staged(name)) }
        var ledger = stagedStages()
        if ledger.removeValue(forKey: stage) != nil { try writeJSON(ledger, to: Self.ledgerName) }
    }

    static let forgotten = "forgotten"

    // MARK: Private

    static let ledgerName = "stages.json"
    private var stagingURL: URL { url.appendingPathComponent(".staging", isDirectory: true) }

    /// Files committed last, so that a kill during the commit never leaves a ledger that
    /// claims artefacts that are not in place yet.
    private static func commitRank(_ relative: String) -> Int {
        switch relative {
        case "timings.json": 1
        case "settings.json": 2
        case ledgerName: 3
        default: 0
        }
    }

    private func ledger(at url: URL) -> [String: String] {
        guard let data = try? Data(contentsOf: url),
              let ledger = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return ledger
    }

    /// Every regular file under the staging folder, as paths relative to it.
    private func stagedFiles() -> [String] {
        let root = stagingURL.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue {
                files.append(relative)
            }
        }
        return files
    }

    private func createFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.unwritableOutput(path: folder.path, reason: describe(error))
        }
    }
}

/// Removes, under `folder`, the temporaries that an atomic write leaves when its process is
/// killed mid-write (`.<name>.<pid>.partial`, `.<name>.<pid>.tmp`). Only the lock holder
/// calls it, so no live writer's temporary is removed.
private func removeTemporaries(in folder: URL) {
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return }
    for case let file as URL in walker {
        let name = file.lastPathComponent
        if name.hasPrefix(".") && (name.hasSuffix(".partial") || name.hasSuffix(".tmp")) {
            try? FileManager.default.removeItem(at: file)
        }
    }
}

/// An advisory lock (flock) on `<folder>/.lock`, held until the last reference goes; the
/// file records the holder's process id for the message another process gets.
final class FolderLock: Sendable {
    private let descriptor: Int32

    init(folder: URL) throws {
        let path = folder.appendingPathComponent(".lock").path
        descriptor = open(path, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw PipelineError.unwritableOutput(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw PipelineError.folderInUse(path: folder.path, process: holder.flatMap(Int.init))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        close(descriptor)
    }
}

/// `writeAtomically`, its failure as `PipelineError.unwritableOutput`.
func writeOutput(_ data: Data, to url: URL) throws {
    do {
        try writeAtomically(data, to: url)
    } catch {
        throw PipelineError.unwritableOutput(path: error.path, reason: error.reason)
    }
}

/// A file-system error in words: the POSIX reason when there is one (not a Cocoa code).
func describe(_ error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
    return nsError.localizedDescription
}
