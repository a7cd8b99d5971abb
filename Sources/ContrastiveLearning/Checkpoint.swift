// Checkpoints in the safetensors format (SPEC §10): one file, written atomically.
import Foundation
import NeuralNetworks
import TensorCore

/// Reads and writes safetensors files: an 8-byte little-endian header length, a JSON header
/// `{name: {"dtype", "shape", "data_offsets"}, "__metadata__": {string: string}}`, then the
/// raw little-endian data. Tensors are stored as F32; `NamedTensor.isCounter` ones as I64
/// (BN's `num_batches_tracked`, as PyTorch stores it).
///
/// (A module-local implementation: the engine has no safetensors code yet. It follows the
/// format's specification so that `safetensors.torch.load_file` reads our files.)
enum SafeTensors {
    /// Writes `tensors` and `metadata` to `url` atomically (a temporary file renamed over
    /// the old one), so a crash leaves either the old file or the new one.
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to url: URL) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        var seen = Set<String>()
        for entry in tensors {
            precondition(seen.insert(entry.name).inserted, "SafeTensors.write: duplicate name \(entry.name)")
            let size = entry.tensor.count * (entry.isCounter ? 8 : 4)
            header[entry.name] = ["dtype": entry.isCounter ? "I64" : "F32", "shape": entry.tensor.shape,
                                  "data_offsets": [offset, offset + size]]
            offset += size
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var data = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(headerBytes)
        for entry in tensors {
            entry.tensor.withUnsafeBufferPointer { values in
                if entry.isCounter {
                    for value in values { withUnsafeBytes(of: Int64(value).littleEndian) { data.append(contentsOf: $0) } }
                } else {
                    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                }
            }
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw TrainingError.checkpoint(file: url.path, reason: "cannot write (\(error.localizedDescription)); check the output directory")
        }
    }

    /// The tensors (as float arrays with shapes) and metadata of a file.
    static func read(_ url: URL) throws -> (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String]) {
        let file = url.path
        guard let data = try? Data(contentsOf: url) else {
            throw TrainingError.checkpoint(file: file, reason: "cannot be read; check the path")
        }
        guard data.count >= 8 else { throw TrainingError.checkpoint(file: file, reason: "shorter than a safetensors header") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8),
              let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(headerLength)))) as? [String: Any]
        else { throw TrainingError.checkpoint(file: file, reason: "the safetensors header is not valid JSON") }
        let base = 8 + Int(headerLength)
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw TrainingError.checkpoint(file: file, reason: "malformed entry \(name)") }
            let count = shape.reduce(1, *)
            let width = dtype == "I64" ? 8 : 4
            guard dtype == "F32" || dtype == "I64", offsets[1] - offsets[0] == count * width,
                  base + offsets[1] <= data.count
            else { throw TrainingError.checkpoint(file: file, reason: "entry \(name): dtype \(dtype), offsets \(offsets) do not fit") }
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let start = base + offsets[0]
                for i in 0..<count {
                    if width == 8 {
                        values[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: Int64.self)))
                    } else {
                        values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    }
                }
            }
            tensors[name] = (shape, values)
        }
        return (tensors, metadata)
    }

    /// Overwrites every tensor of `destination` with the stored one of the same name.
    static func restore(_ destination: [NamedTensor], from stored: [String: (shape: [Int], values: [Float])], file: String) throws {
        for entry in destination {
            guard let found = stored[entry.name] else {
                throw TrainingError.checkpoint(file: file, reason: "has no tensor \(entry.name); it was written by a different network")
            }
            guard found.shape == entry.tensor.shape else {
                throw TrainingError.checkpoint(file: file, reason: "\(entry.name) has shape \(found.shape), the network expects \(entry.tensor.shape)")
            }
            entry.tensor.withUnsafeMutableBufferPointer { target in
                for i in 0..<target.count { target[i] = found.values[i] }
            }
        }
    }
}
