// A folder of PNG/JPEG images, decoded and resized to one size.
import Foundation
import Basics

/// How `readImageFolder` shapes the images it decodes.
public struct ImageFolderOptions: Sendable, Equatable {
    /// Output rows and columns; one given alone sets both. Both nil keep the images' own size
    /// when they all share one no larger than 64 x 64, and otherwise resize to 32 x 32 (the
    /// CPU default input size).
    public var height: Int?
    public var width: Int?
    /// 1 or 3; nil gives 3 when any image is in colour, else 1.
    public var channels: Int?

    /// All nil: the defaults described on each property.
    public init(height: Int? = nil, width: Int? = nil, channels: Int? = nil) {
        self.height = height
        self.width = width
        self.channels = channels
    }
}

/// The file names this reader decodes (case-insensitive).
public let imageFileExtensions: Set<String> = ["png", "jpg", "jpeg"]

/// Reads every PNG/JPEG under `path` (in sorted path order, hidden entries skipped) into one
/// `ImageDataset`.
///
/// When every image lies in a first-level sub-folder, the sub-folder names become the class
/// names (sorted) and each image is labelled with its folder, for scoring only; otherwise
/// the dataset is unlabelled. Images are resized with antialiased bilinear filtering (aspect
/// ratio not kept). Throws `undecodableImage` naming the first file that fails to decode.
public func readImageFolder(_ path: String, options: ImageFolderOptions = ImageFolderOptions(),
                            name: String? = nil) throws -> ImageDataset {
    let root = URL(fileURLWithPath: path).standardizedFileURL.path
    guard let enumerator = FileManager.default.enumerator(atPath: root) else {
        throw DatasetError.unreadable(file: path, reason: "not a readable folder")
    }
    var files = [String]()
    while let relative = enumerator.nextObject() as? String {
        let fileExtension = (relative as NSString).pathExtension.lowercased()
        // Hidden entries (".git", macOS's "._name.png" companions) are not images of the set.
        let hidden = relative.split(separator: "/").contains { $0.hasPrefix(".") }
        if imageFileExtensions.contains(fileExtension) && !hidden { files.append(relative) }
    }
    files.sort()
    guard !files.isEmpty else {
        throw DatasetError.missingFiles(folder: path, expected: "PNG or JPEG files (.png, .jpg, .jpeg)", found: "none")
    }
    if let channels = options.channels, channels != 1 && channels != 3 {
        throw DatasetError.invalidSetting(name: "channels", value: "\(channels)", expected: "1 or 3")
    }
    for (setting, value) in [("height", options.height), ("width", options.width)] {
        if let value, value < 1 { throw DatasetError.invalidSetting(name: setting, value: "\(value)", expected: ">= 1") }
    }

    // Explicit sizes resize as each image is decoded, and so does any image over 64 x 64 by
    // default (it forces the 32 x 32 default anyway): only small images stay in memory.
    let explicitHeight = options.height ?? options.width
    let explicitWidth = options.width ?? options.height
    var decoded = [Result<DecodedImage, DatasetError>?](repeating: nil, count: files.count)
    decoded.withUnsafeMutableBufferPointer { results in
        let shared = UncheckedSendable(results)
        // Each file writes only its own result slot.
        parallelFor(files.count) { index in
            let file = root + "/" + files[index]
            do {
                var image = try decodeImage(try readFileBytes(file, decompress: false), file: file)
                let target: (Int, Int)? = if let explicitHeight, let explicitWidth { (explicitHeight, explicitWidth) }
                    else if image.height > 64 || image.width > 64 { (32, 32) } else { nil }
                if let (height, width) = target, (height, width) != (image.height, image.width) {
                    image = DecodedImage(channels: image.channels, height: height, width: width,
                                         pixels: resizeImage(image.pixels, channels: image.channels, height: image.height,
                                                             width: image.width, toHeight: height, width: width))
                }
                shared.value[index] = .success(image)
            } catch let error as DatasetError {
                shared.value[index] = .failure(error)
            } catch {
                shared.value[index] = .failure(.undecodableImage(file: file, reason: "\(error)"))
            }
        }
    }
    let images = try decoded.map { try $0!.get() }

    let firstSize = (images[0].height, images[0].width)
    let sameSize = images.allSatisfy { ($0.height, $0.width) == firstSize }
    let keep = sameSize && firstSize.0 <= 64 && firstSize.1 <= 64
    let height = explicitHeight ?? (keep ? firstSize.0 : 32)
    let width = explicitWidth ?? (keep ? firstSize.1 : 32)
    let channels = options.channels ?? (images.contains { $0.channels == 3 } ? 3 : 1)
    let size = channels * height * width

    var pixels = [UInt8](repeating: 0, count: images.count * size)
    pixels.withUnsafeMutableBufferPointer { output in
        let shared = UncheckedSendable(output)
        // Each image writes only its own slice.
        parallelFor(images.count) { index in
            let image = images[index]
            var converted = ImageDataset(name: "", count: 1, channels: image.channels, height: image.height,
                                         width: image.width, pixels: image.pixels)
            converted = converted.converted(toChannels: channels).resized(height: height, width: width)
            for (offset, value) in converted.pixels.enumerated() { shared.value[index * size + offset] = value }
        }
    }

    let folders = files.map { $0.split(separator: "/").dropLast() }
    var labels: [Int]? = nil
    var classNames: [String]? = nil
    if folders.allSatisfy({ $0.count >= 1 }) {
        let names = Array(Set(folders.map { String($0[0]) })).sorted()
        let indexOf = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        labels = folders.map { indexOf[String($0[0])]! }
        classNames = names
    }
    return ImageDataset(name: name ?? (root as NSString).lastPathComponent, count: images.count,
                        channels: channels, height: height, width: width, pixels: pixels,
                        labels: labels, classNames: classNames)
}
