import Foundation
import NeuralNetworks

extension ContrastiveNetworks {
    /// The networks stored in a training checkpoint, with the configuration they were trained
    /// under (read from the checkpoint's metadata).
    ///
    /// - Throws: `TrainingError.checkpoint` for a file that is not an nrcc training checkpoint,
    ///   whose recorded configuration is out of range (checked before any network is built, so
    ///   a damaged width cannot ask for hundreds of GB), or whose tensors do not match it.
    public static func load(checkpoint: URL) throws -> (networks: ContrastiveNetworks, configuration: TrainingConfiguration) {
        let file = checkpoint.path
        let stored = try readCheckpoint(checkpoint)
        guard let settings = stored.metadata["configuration"],
              let configuration = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(settings.utf8))
        else { throw TrainingError.checkpoint(file: file, reason: "is not an nrcc training checkpoint (metadata missing)") }
        do { try configuration.validate() } catch {
            throw TrainingError.checkpoint(file: file, reason: "records a configuration out of range: \(error); the file is damaged or was not written by nrcc")
        }
        let networks = ContrastiveNetworks(configuration: configuration)
        do { try stored.restore(networks.namedState) } catch {
            throw TrainingError.checkpoint(file: file, reason: "\(error)")
        }
        return (networks, configuration)
    }
}
