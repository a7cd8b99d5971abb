import Datasets
import Foundation
import Basics
import Testing

/// One entry of folder_expected.json: what Pillow decodes, H x W x C.
struct ExpectedImage: Decodable {
    let size: [Int]
    let channels: Int
    let hwc: [Int]
}

@Suite("PNG and JPEG through the system libraries")
struct ImageCodecTests {
    let expected: [String: ExpectedImage]

    init() throws {
        expected = try loadJSON("folder_expected.json", as: [String: ExpectedImage].self)
    }

    /// C x H x W to H x W x C, as Pillow lays pixels out.
    func interleaved(_ image: DecodedImage) -> [Int] {
        let plane = image.height * image.width
        return (0..<plane).flatMap { p in (0..<image.channels).map { Int(image.pixels[$0 * plane + p]) } }
    }

    @Test(arguments: ["cats/a.png", "dogs/c.png", "dogs/d.png"])
    func pngDecodesAsPillowDoes(name: String) throws {
        let image = try decodeImage(try fileBytes(fixtures + "/folder/" + name), file: name)
        let reference = try #require(expected[name])
        #expect([image.height, image.width] == reference.size)
        #expect(image.channels == reference.channels)
        #expect(interleaved(image) == reference.hwc)
    }

    @Test func jpegDecodesAsPillowDoes() throws {
        let image = try decodeImage(try fileBytes(fixtures + "/folder/cats/b.jpg"), file: "b.jpg")
        let reference = try #require(expected["cats/b.jpg"])
        #expect([image.height, image.width] == reference.size && image.channels == 3)
        // Both use libjpeg; allow for a different IDCT or upsampling choice.
        let difference = zip(interleaved(image), reference.hwc).map { abs($0 - $1) }.max() ?? 0
        #expect(difference <= 3)
    }

    @Test(arguments: [1, 3])
    func pngRoundTrip(channels: Int) throws {
        var random = SeededGenerator(seed: UInt64(channels))
        let pixels = (0..<(channels * 5 * 7)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let bytes = try encodePNG(pixels, channels: channels, height: 5, width: 7)
        #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        #expect(try decodePNG(bytes, file: "x") == DecodedImage(channels: channels, height: 5, width: 7, pixels: pixels))
    }

    @Test func folderWithClassSubfolders() throws {
        let dataset = try readImageFolder(fixtures + "/folder", options: ImageFolderOptions(height: 6, width: 5))
        #expect((dataset.count, dataset.channels, dataset.height, dataset.width) == (4, 3, 6, 5))
        #expect(dataset.classNames == ["cats", "dogs"])
        #expect(dataset.labels == [0, 0, 1, 1])
        // a.png is already 4 x 5 -> resized; a grey image is copied into three channels.
        let grey = try readImageFolder(fixtures + "/folder/dogs", options: ImageFolderOptions(height: 4, width: 5, channels: 1))
        #expect(grey.labels == nil && grey.channels == 1)
        let c = try #require(expected["dogs/c.png"])
        #expect(Array(grey.image(at: 0)).map(Int.init) == c.hwc)
    }

    @Test func resizeKeepsAConstantImageAndAverages() throws {
        let constant = resizeImage([UInt8](repeating: 77, count: 3 * 40 * 30), channels: 3, height: 40, width: 30,
                                   toHeight: 7, width: 9)
        #expect(constant.allSatisfy { $0 == 77 })
        // A 2x shrink of a checkerboard averages to mid-grey (antialiasing), not to one colour.
        let checker = (0..<(16 * 16)).map { UInt8((($0 / 16) + ($0 % 16)) % 2 == 0 ? 0 : 255) }
        let shrunk = resizeImage(checker, channels: 1, height: 16, width: 16, toHeight: 8, width: 8)
        #expect(shrunk[8 * 3 + 3] > 100 && shrunk[8 * 3 + 3] < 155)
    }

    @Test func gridOfImages() throws {
        // The first 8 images of the CIFAR-10 subset (Fixtures/make_shared_data_cuts.py).
        let cifar = try loadImageDataset(sharedDataCuts + "/cifar10-subset")
        let grid = try decodePNG(try cifar.gridPNG(of: [0, 1, 2], columns: 2, padding: 2, background: 7), file: "grid")
        #expect((grid.channels, grid.height, grid.width) == (3, 2 * 34 + 2, 2 * 34 + 2))
        let plane = grid.height * grid.width
        // Image 1 sits in row 0, column 1: its green pixel (5, 6) lands at (2 + 5, 36 + 6).
        #expect(grid.pixels[plane + 7 * grid.width + 42] == cifar.image(at: 1)[1024 + 5 * 32 + 6])
        // Padding and the empty fourth cell keep the background.
        #expect(grid.pixels[0] == 7 && grid.pixels[40 * grid.width + 40] == 7)
    }

    @Test func batchPNGUndoesNormalization() throws {
        let dataset = try embeddedDigits()
        let normalization = Normalization(of: dataset)
        let batch = dataset.batch([5], normalization: normalization)
        let png = try batch.pngBytes(ofImage: 0, normalization: normalization)
        #expect(try decodePNG(png, file: "x").pixels == Array(dataset.image(at: 5)))
        #expect(try decodePNG(try dataset.pngBytes(ofImage: 5), file: "y").pixels == Array(dataset.image(at: 5)))
    }
}
