import Foundation

/// Reads the committed reference files (made by `Fixtures/make_fixtures.py`).
enum Fixtures {
    static let folder: URL = {
        if let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) { return url }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: data(name))
    }

    /// The 1,797 x 64 digits scaled to [0, 1], and their labels.
    static func digits() throws -> (points: [Float], labels: [Int]) {
        let pixels = try data("digits-1797x64.u8")
        let labels = try data("digits-labels.u8")
        return (pixels.map { Float($0) / 255 }, labels.map { Int($0) })
    }

    static func numbers(_ object: Any?) -> [Double] {
        (object as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
    }
}
