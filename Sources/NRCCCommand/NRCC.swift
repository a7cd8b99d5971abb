import ArgumentParser
import Basics
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
        main(nil)
    }
}
