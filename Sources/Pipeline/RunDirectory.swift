import Foundation

/// The output folder of one run: every stage writes its artefact here, and a ledger records
/// which stages finished under which settings, so a re-run skips them and an interrupted run
/// resumes where it stopped.
///
///     <output>/
///       settings.json        every resolved setting of the run
///       stages.json          the ledger: stage name -> fingerprint of the settings it used
///       checkpoints/         training checkpoints (safetensors)
///       training-log.jsonl   per-epoch monitors
///       embeddings.npy  coordinates.npy  labels.csv  metrics.json  report.html
public struct RunDirectory: Sendable {
    /// The folder itself.
    public let url: URL

    /// Opens (creating when needed) the run folder at `path`.
    public init(path: String) throws {
        url = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.unwritableOutput(path: path, reason: error.localizedDescription)
        }
    }

    /// The location of a file named `name` inside the run folder.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `data` to `name` atomically: a temporary file, fsync, then rename, so a crash
    /// leaves either the old file or the new one, never half of one.
    public func write(_ data: Data, to name: String) throws {
        try writeAtomically(data, to: file(name))
    }

    /// Whether `name` exists in the run folder.
    public func contains(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: file(name).path)
    }

    // MARK: The stage ledger

    private var ledgerURL: URL { file("stages.json") }

    /// The fingerprints of the stages that finished, by stage name.
    public func finishedStages() -> [String: String] {
        guard let data = try? Data(contentsOf: ledgerURL),
              let ledger = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return ledger
    }

    /// Whether `stage` finished with exactly the settings whose fingerprint is given.
    public func isFinished(_ stage: String, fingerprint: String) -> Bool {
        finishedStages()[stage] == fingerprint
    }

    /// Records that `stage` finished under `fingerprint`.
    public func markFinished(_ stage: String, fingerprint: String) throws {
        var ledger = finishedStages()
        ledger[stage] = fingerprint
        try writeJSON(ledger, to: "stages.json")
    }

    /// Forgets `stages` so that they run again.
    public func forget(_ stages: [String]) throws {
        var ledger = finishedStages()
        for stage in stages { ledger[stage] = nil }
        try writeJSON(ledger, to: "stages.json")
    }

    /// Writes a value as pretty, key-sorted JSON, atomically.
    public func writeJSON<Value: Encodable>(_ value: Value, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try encoder.encode(value), to: name)
    }
}

/// Writes `data` to `url` through a temporary file in the same folder, fsync and rename.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
        throw PipelineError.unwritableOutput(
            path: url.path, reason: "cannot create \(temporary.lastPathComponent)")
    }
    do {
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        // rename(2) replaces the destination atomically on POSIX file systems.
        guard rename(temporary.path, url.path) == 0 else {
            throw PipelineError.unwritableOutput(
                path: url.path, reason: String(cString: strerror(errno)))
        }
    } catch let error as PipelineError {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw PipelineError.unwritableOutput(path: url.path, reason: error.localizedDescription)
    }
}
