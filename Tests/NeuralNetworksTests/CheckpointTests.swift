import Foundation
import Testing
import TestSupport
import NeuralNetworks
import Basics
import TensorCore

@Suite struct CheckpointTests {
    func temporaryFolder() throws -> URL {
        try ScratchFolders.uniqueFolder("checkpoint")
    }

    func smallNetwork(seed: UInt64) -> ResNet {
        var generator = SeededGenerator(seed: seed)
        return ResNet(depth: .resnet18, width: 4, inputChannels: 1, generator: &generator)
    }

    /// Model, head, optimizer state and metadata survive a write and a read bit for bit.
    @Test func roundTrip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let network = smallNetwork(seed: 1)
        _ = network(random([4, 1, 8, 8], seed: 2), mode: .training)  // non-trivial running statistics
        var generator = SeededGenerator(seed: 3)
        let head = ProjectionHead(inputSize: 32, hiddenSize: 16, outputSize: 8, generator: &generator)
        let optimizer = SGD(parameters: network.parameters + head.parameters)
        let loss = head(network(random([4, 1, 8, 8], seed: 4), mode: .training), mode: .training).sum()
        loss.backward()
        optimizer.step(learningRate: 0.1)

        var checkpoint = Checkpoint(metadata: ["epoch": "7"])
        checkpoint.store(network)
        checkpoint.store(head, prefix: "projector")
        checkpoint.store(optimizer)
        let url = folder.appendingPathComponent("model.safetensors")
        try checkpoint.write(to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])

        let loaded = try Checkpoint(contentsOf: url)
        #expect(loaded == checkpoint)
        #expect(loaded.metadata["epoch"] == "7" && loaded.metadata["optimizer.step_count"] == "1")
        #expect(loaded.entries["layer1.0.bn1.num_batches_tracked"]?.values == .int64([2]))

        let other = smallNetwork(seed: 9)
        let otherHead = ProjectionHead(inputSize: 32, hiddenSize: 16, outputSize: 8, generator: &generator)
        let otherOptimizer = SGD(parameters: other.parameters + otherHead.parameters)
        try loaded.restore(other)
        try loaded.restore(otherHead, prefix: "projector")
        try loaded.restore(otherOptimizer)
        for (a, b) in zip(network.namedState + head.namedState, other.namedState + otherHead.namedState) {
            #expect(a.tensor.scalars == b.tensor.scalars, "\(a.name)")
        }
        #expect(zip(optimizer.momentumBuffers.flatMap { $0 }, otherOptimizer.momentumBuffers.flatMap { $0 })
            .allSatisfy { $0.scalars == $1.scalars })
        #expect(otherOptimizer.stepCount == 1)
    }

    /// A file written by safetensors.torch.save_file (Fixtures/make_fixtures.py) reads back.
    @Test func readsFilesWrittenByPython() throws {
        let checkpoint = try Checkpoint(contentsOf: fixtures.appendingPathComponent("python_written.safetensors"))
        #expect(checkpoint.entries["layer.weight"] == .init(shape: [2, 3], values: .float32([0, 0.25, 0.5, 0.75, 1, 1.25])))
        #expect(checkpoint.entries["layer.bias"] == .init(shape: [2], values: .float32([-1.5, 2.25])))
        #expect(checkpoint.entries["bn.num_batches_tracked"] == .init(shape: [], values: .int64([17])))
        #expect(checkpoint.metadata == ["epoch": "3", "step": "42"])
    }

    @Test func shapeMismatchNamesTheTensorAndBothShapes() throws {
        var checkpoint = Checkpoint()
        checkpoint.store(smallNetwork(seed: 1))
        var generator = SeededGenerator(seed: 2)
        let wider = ResNet(depth: .resnet18, width: 8, inputChannels: 1, generator: &generator)
        let before = wider.conv1.weight.scalars
        #expect(throws: CheckpointError.shapeMismatch(name: "conv1.weight", expected: [8, 1, 3, 3], found: [4, 1, 3, 3])) {
            try checkpoint.restore(wider)
        }
        #expect(wider.conv1.weight.scalars == before, "a failed restore must not write anything")
        let error = CheckpointError.shapeMismatch(name: "conv1.weight", expected: [8, 1, 3, 3], found: [4, 1, 3, 3])
        #expect(error.description.contains("conv1.weight") && error.description.contains("[8, 1, 3, 3]")
            && error.description.contains("[4, 1, 3, 3]"))
        #expect(throws: CheckpointError.missingTensor(name: "projector.0.weight")) {
            try checkpoint.restore(ProjectionHead(inputSize: 32, hiddenSize: 4, outputSize: 2, generator: &generator),
                                   prefix: "projector")
        }
    }

    @Test func truncatedAndCorruptFilesThrow() throws {
        var checkpoint = Checkpoint()
        checkpoint.store(smallNetwork(seed: 1))
        let bytes = checkpoint.serialized()
        #expect(throws: CheckpointError.self) { try Checkpoint(bytes: Array(bytes.prefix(bytes.count - 10))) }
        do {
            _ = try Checkpoint(bytes: Array(bytes.prefix(bytes.count - 10)), path: "cut.safetensors")
            Issue.record("a truncated file loaded")
        } catch let CheckpointError.truncated(path, expected, found) {
            #expect(path == "cut.safetensors" && expected == bytes.count && found == bytes.count - 10)
        }
        #expect(throws: CheckpointError.truncated(path: "<memory>", expectedBytes: 8, foundBytes: 3)) {
            try Checkpoint(bytes: [1, 2, 3])
        }
        var corrupt = bytes
        corrupt[8] = UInt8(ascii: "#")
        #expect(throws: CheckpointError.corruptHeader(path: "<memory>", reason: "the header is not valid JSON")) {
            try Checkpoint(bytes: corrupt)
        }
        #expect(throws: CheckpointError.self) {
            try Checkpoint(contentsOf: URL(fileURLWithPath: "/nonexistent/model.safetensors"))
        }
    }

    /// Writing over an existing file replaces it whole and leaves no temporary file behind.
    @Test func atomicOverwrite() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("last.safetensors")
        var first = Checkpoint(metadata: ["epoch": "1"])
        first.store(smallNetwork(seed: 1))
        try first.write(to: url)
        var second = Checkpoint(metadata: ["epoch": "2"])
        second.store(smallNetwork(seed: 2))
        try second.write(to: url)
        #expect(try Checkpoint(contentsOf: url) == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["last.safetensors"])
        #expect(throws: CheckpointError.self) {
            try second.write(to: folder.appendingPathComponent("missing-folder/x.safetensors"))
        }
    }
}
