import ArgumentParser
import Basics
import MessagePassing
import Foundation
import TensorCore

@main
public struct NRCC: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "nrcc",
        abstract: "Find the natural groups in unlabelled images without being told how many.",
        subcommands: [RunCommand.self, TrainCommand.self, EmbedCommand.self, ClusterCommand.self, AssignCommand.self, AblationCommand.self])

    public static func main() {
        BLASKernel.relaunchIfSlowFallback()
        // Every BLAS product runs on one core; nrcc spreads work over the cores itself, cut by
        // the data, so a seed gives the same bits on one core or many (README: reproducibility).
        BLASThreads.set(1)
        let world = Ranks.world
        guard world.size > 1 else {
            main(nil)
            Processes.finish()
            return
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // A rank that fails stops them all: the others would wait for it forever.
            let status = exitCode(for: error)
            guard status != .success else {
                if world.isWriter { print(fullMessage(for: error)) }
                Processes.finish()
                return
            }
            StandardError.write("nrcc: rank \(world.rank) of \(world.size) failed, stopping all \(world.size) processes: \(fullMessage(for: error))\n")
            world.abort(status: status.rawValue)
        }
        Processes.finish()
    }
}

/// The processes this run is: the ranks of an MPI job (nrcc built with the MPI trait and
/// started by mpirun), or one. Rank 0 does what one process does; the others only train.
enum Ranks {
    static let world = Processes.start()

    /// Throws unless this is one process: for the commands that do not spread over ranks.
    static func requireOneProcess(_ command: String) throws {
        guard world.size == 1 else {
            throw ValidationError("nrcc \(command) runs on one process, not \(world.size); start it without mpirun (only train and run spread over processes)")
        }
    }
}
