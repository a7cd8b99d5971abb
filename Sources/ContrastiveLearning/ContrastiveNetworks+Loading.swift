import Foundation
import NeuralNetworks

extension ContrastiveNetworks {
    /// The networks stored in a training checkpoint, with the configuration they were trained
    /// under (read from the checkpoint's metadata).
    ///
    /// - Throws: `TrainingError.checkpoint` for a file that is not an nrcc training checkpoint
    ///   or whose tensors do not match the recorded architecture.
    public static func load(checkpoint: URL) throws -> (networks: ContrastiveNetworks, configuration: TrainingConfiguration) {
        let file = checkpoint.path
        let stored = try readCheckpoint(checkpoint)
        guard let settings = stored.metadata["configuration"],
              let configuration = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(settings.utf8))
        else { throw TrainingError.checkpoint(file: file, reason: "is not an nrcc training checkpoint (metadata missing)") }
        let networks = ContrastiveNetworks(configuration: configuration)
        do { try stored.restore(networks.namedState) } catch {
            throw TrainingError.checkpoint(file: file, reason: "\(error)")
        }
        return (networks, configuration)
    }
}
