import ContrastiveLearning
import Foundation
import Testing
import TestSupport

/// `nrcc train` as the ranks of an Open MPI job: `mpirun` starting the `nrcc` built with the
/// MPI trait (`make mpi`: `.build-mpi/release/nrcc`, or `$NRCC_MPI_BINARY`). `make test`
/// installs Open MPI and builds it; elsewhere these tests are skipped, saying why.
enum MPIJob {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["NRCC_MPI_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repository.appendingPathComponent(".build-mpi/release/nrcc")
    }()

    static let mpirun: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    static var isAvailable: Bool { mpirun != nil && FileManager.default.isExecutableFile(atPath: binary.path) }

    /// mpirun's own options: root is allowed (containers, CI), and two ranks may share a core.
    static var options: [String] {
        (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["--oversubscribe", "--bind-to", "none"]
    }

    /// Runs mpirun with `arguments` after its options; its exit status, its output (both
    /// streams), and the seconds it took. A job still running after `timeout` seconds is
    /// killed and reported as status -1: a hang.
    static func run(_ arguments: [String], timeout: Double = 300) throws -> (status: Int32, output: String, seconds: Double) {
        let process = Process()
        process.executableURL = mpirun
        process.arguments = options + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("nrcc-mpi-\(getpid())-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        try process.run()
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(100_000) }
        let hung = process.isRunning
        if hung {
            process.terminate()
            process.waitUntilExit()
        }
        try handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return (hung ? -1 : process.terminationStatus, text, Date().timeIntervalSince(start))
    }

    static func folder(_ name: String) -> URL {
        ScratchFolders.folder("mpi-\(name)")
    }
}

@Suite(.serialized, .enabled(if: MPIJob.isAvailable,
                             "needs mpirun (openmpi-bin) and nrcc built with the MPI trait (make mpi, or $NRCC_MPI_BINARY)"))
struct MPITests {
    /// BYOL without the regularizer, 7 steps of 256 digits: two ranks of 128 rows with
    /// synchronised batch norm end with the weights of one rank of 256, within float
    /// reduction error.
    @Test func twoRanksOf128MatchOneRankOf256() throws {
        let two = MPIJob.folder("two"), one = MPIJob.folder("one")
        defer { for url in [two, one] { try? FileManager.default.removeItem(at: url) } }
        let training = ["train", "--dataset", "digits", "--paradigm", "byol", "--nrcc", "off", "--epochs", "1",
                        "--batch-size", "256", "--width", "4", "--learning-rate", "0.05", "--flip", "0", "--quiet"]
        let together = try MPIJob.run(["-np", "2", MPIJob.binary.path] + training + ["--sync-batch-norm", "--output", two.path])
        #expect(together.status == 0, "mpirun -np 2: \(together.output)")
        let alone = try MPIJob.run(["-np", "1", MPIJob.binary.path] + training + ["--output", one.path])
        #expect(alone.status == 0, "mpirun -np 1: \(alone.output)")
        guard together.status == 0, alone.status == 0 else { return }

        let first = try ContrastiveNetworks.load(checkpoint: one.appendingPathComponent("checkpoint.safetensors"))
        let second = try ContrastiveNetworks.load(checkpoint: two.appendingPathComponent("checkpoint.safetensors"))
        #expect(second.configuration.dataParallelism == DataParallelism(processCount: 2, synchronizesBatchNorm: true))
        var difference: Float = 0, magnitude: Float = 0
        for (x, y) in zip(first.networks.namedState, second.networks.namedState) where !x.isCounter {
            for (u, v) in zip(x.tensor.scalars, y.tensor.scalars) {
                difference = max(difference, abs(u - v))
                magnitude = max(magnitude, abs(u))
            }
        }
        // Sums over other shards round otherwise, and 7 steps amplify it: 2e-4 of the largest
        // value was measured (a BN running variance); each rank's own statistics give 0.1.
        let tolerance: Float = 1e-3 * max(1, magnitude)
        #expect(difference <= tolerance, "weights differ by \(difference), tolerance \(tolerance)")
        // Rank 0 alone writes: one log line per epoch.
        let log = try String(contentsOf: two.appendingPathComponent("training.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 1)
    }

    /// A rank that fails (here rank 1, whose dataset does not exist) stops every rank
    /// promptly, with a message naming it, while rank 0 waits for it in a collective.
    @Test func aFailingRankStopsAllRanks() throws {
        let output = MPIJob.folder("failure")
        defer { try? FileManager.default.removeItem(at: output) }
        let training = ["train", "--paradigm", "byol", "--nrcc", "off", "--epochs", "1", "--width", "4", "--quiet",
                        "--output", output.path]
        let job = try MPIJob.run(["-np", "1", MPIJob.binary.path] + training + ["--dataset", "digits", ":",
                                  "-np", "1", MPIJob.binary.path] + training + ["--dataset", "/nonexistent/images"],
                                 timeout: 120)
        #expect(job.status != 0 && job.status != -1, "status \(job.status) (-1: hung): \(job.output)")
        #expect(job.output.contains("rank 1 of 2 failed"), "\(job.output)")
        #expect(job.seconds < 120)
    }

    /// Ranks started with different settings stop at once instead of training apart.
    @Test func ranksWithOtherSettingsStop() throws {
        let output = MPIJob.folder("settings")
        defer { try? FileManager.default.removeItem(at: output) }
        let training = ["train", "--dataset", "digits", "--paradigm", "byol", "--nrcc", "off", "--width", "4", "--quiet",
                        "--output", output.path]
        let job = try MPIJob.run(["-np", "1", MPIJob.binary.path] + training + ["--epochs", "1", ":",
                                  "-np", "1", MPIJob.binary.path] + training + ["--epochs", "2"],
                                 timeout: 120)
        #expect(job.status != 0 && job.status != -1, "status \(job.status) (-1: hung): \(job.output)")
        #expect(job.output.contains("rank 1 of 2 failed") && job.output.contains("settings"), "\(job.output)")
    }

    /// A run trained by two processes resumes with two, and says clearly that one cannot.
    @Test func resumeNeedsTheSameProcessCount() throws {
        let output = MPIJob.folder("resume")
        defer { try? FileManager.default.removeItem(at: output) }
        let training = ["train", "--dataset", "digits", "--paradigm", "byol", "--nrcc", "off", "--width", "4",
                        "--batch-size", "256", "--quiet", "--output", output.path]
        let first = try MPIJob.run(["-np", "2", MPIJob.binary.path] + training + ["--epochs", "1"])
        #expect(first.status == 0, "\(first.output)")
        let alone = try MPIJob.run(["-np", "1", MPIJob.binary.path] + training + ["--epochs", "2", "--resume"])
        #expect(alone.status != 0)
        #expect(alone.output.contains("trained by 2 processes, this run has 1"), "\(alone.output)")
        let again = try MPIJob.run(["-np", "2", MPIJob.binary.path] + training + ["--epochs", "2", "--resume"])
        #expect(again.status == 0, "\(again.output)")
        let log = try String(contentsOf: output.appendingPathComponent("training.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 2)
    }
}
