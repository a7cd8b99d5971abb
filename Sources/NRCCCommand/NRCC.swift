import ArgumentParser
import TensorCore

@main
struct NRCC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nrcc",
        abstract: "Find the natural groups in unlabelled images without being told how many.",
        subcommands: [RunCommand.self, TrainCommand.self, EmbedCommand.self, ClusterCommand.self, AblationCommand.self])

    static func main() {
        BLASKernel.relaunchIfSlowFallback()
        main(nil)
    }
}
