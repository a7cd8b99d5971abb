import Foundation

/// Where tests write files: one folder per test process under the system's temporary
/// directory, removed when the process exits, so that a run of the tests leaves nothing
/// behind however many folders its tests make.
public enum ScratchFolders {
    /// `<temporary directory>/nrcc-tests-<pid>/<name>`, not there yet (removed first if an
    /// earlier test of this process left it): the code under test makes it.
    public static func folder(_ name: String) -> URL {
        let url = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        return url
    }

    /// `folder(name)`, made empty.
    public static func createdFolder(_ name: String) throws -> URL {
        let url = folder(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A made folder of a fresh unique name.
    public static func uniqueFolder(_ prefix: String) throws -> URL {
        try createdFolder("\(prefix)-\(UUID().uuidString)")
    }

    /// The process's scratch folder; the first use arranges its removal at exit.
    private static let root: URL = {
        atexit { try? FileManager.default.removeItem(at: ScratchFolders.rootURL) }
        return rootURL
    }()

    private static var rootURL: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("nrcc-tests-\(getpid())")
    }
}
