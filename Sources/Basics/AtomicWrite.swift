// The one way nrcc replaces a file: whole, or not at all.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be written, and why, in words a user can act on.
public struct FileWriteError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "cannot write \(path): \(reason)" }
}

/// Writes `bytes` to `url` so that a crash, a kill or a full disk leaves either the old file
/// or the new one, whole: a temporary file in the same folder (`.<name>.<pid>.partial`),
/// flushed to disk (fsync), renamed over `url`, then the folder flushed so that the rename
/// itself survives a power cut. The temporary is removed on failure.
public func writeAtomically<Bytes: ContiguousBytes>(_ bytes: Bytes, to url: URL) throws(FileWriteError) {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial").path
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else {
        throw FileWriteError(path: url.path, reason: unwritableReason(folder, errno: errno))
    }
    let status: Int32 = bytes.withUnsafeBytes { raw in
        var written = 0
        while written < raw.count {
            let result = writeBytes(descriptor, raw.baseAddress! + written, raw.count - written)
            if result <= 0 { return errno }
            written += result
        }
        return fsync(descriptor) == 0 ? 0 : errno
    }
    close(descriptor)
    guard status == 0 else {
        unlink(temporary)
        throw FileWriteError(path: url.path, reason: String(cString: strerror(status)))
    }
    guard rename(temporary, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw FileWriteError(path: url.path, reason: reason)
    }
    let folderDescriptor = open(folder.path, O_RDONLY)
    if folderDescriptor >= 0 {
        fsync(folderDescriptor)
        close(folderDescriptor)
    }
}

/// Why nothing can be created in `folder`, found by walking up to its first existing
/// ancestor: a missing folder, a file in the way, a read-only place, or `errno` in words.
public func unwritableReason(_ folder: URL, errno code: Int32) -> String {
    let target = folder.standardizedFileURL
    var ancestor = target
    while !FileManager.default.fileExists(atPath: ancestor.path) && ancestor.path != "/" {
        ancestor = ancestor.deletingLastPathComponent()
    }
    var isFolder: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isFolder)
    if !isFolder.boolValue { return "\(ancestor.path) is a file, not a folder" }
    if ancestor.path != target.path {
        return access(ancestor.path, W_OK) == 0
            ? "the folder \(target.path) does not exist"
            : "\(target.path) does not exist and \(ancestor.path) does not allow creating it"
    }
    if access(target.path, W_OK) != 0 { return "no permission to write in \(target.path)" }
    return String(cString: strerror(code))
}

#if canImport(Glibc)
@inline(__always) private func writeBytes(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    Glibc.write(descriptor, pointer, count)
}
#elseif canImport(Darwin)
@inline(__always) private func writeBytes(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    Darwin.write(descriptor, pointer, count)
}
#endif
