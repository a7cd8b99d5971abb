import Datasets
import Foundation
import Basics
import Testing

/// torchvision_reference.json, written by make_fixtures.py.
struct TorchvisionReference: Decodable {
    struct Operation: Decodable {
        let name: String
        let output: [Float]
    }
    struct Crop: Decodable {
        let box: [Int]
        let size: [Int]
        let flip: Bool
        let output: [Float]
    }
    let image: [Float]
    let height: Int
    let width: Int
    let operations: [Operation]
    let crop_source: [UInt8]
    let crop_source_size: [Int]
    let crops: [Crop]
}

/// torchvision_grey_reference.json, written by make_fixtures.py.
struct TorchvisionGreyReference: Decodable {
    let image: [Float]
    let height: Int
    let width: Int
    let operations: [TorchvisionReference.Operation]
}

/// torchvision_rotation.json, written by make_fixtures.py.
struct TorchvisionRotation: Decodable {
    let size: [Int]
    let angle: Float
    let image: [Float]
    let output: [Float]
}

/// A small seeded RGB dataset.
func randomRGBDataset(count: Int = 6, size: Int = 12, seed: UInt64 = 3) -> ImageDataset {
    var random = SeededGenerator(seed: seed)
    let pixels = (0..<(count * 3 * size * size)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    return ImageDataset(name: "random", count: count, channels: 3, height: size, width: size, pixels: pixels)
}

@Suite("Augmentations")
struct AugmentationTests {
    @Test func colourOperationsMatchTorchvision() throws {
        let reference = try loadJSON("torchvision_reference.json", as: TorchvisionReference.self)
        for operation in reference.operations {
            let parts = operation.name.split(separator: " ")
            var image = reference.image
            switch parts[0] {
            case "brightness": apply(.brightness(Float(parts[1])!), to: &image, height: reference.height, width: reference.width)
            case "contrast": apply(.contrast(Float(parts[1])!), to: &image, height: reference.height, width: reference.width)
            case "saturation": apply(.saturation(Float(parts[1])!), to: &image, height: reference.height, width: reference.width)
            case "hue": apply(.hue(Float(parts[1])!), to: &image, height: reference.height, width: reference.width)
            case "grayscale": apply(.grayscale, to: &image, height: reference.height, width: reference.width)
            default:
                gaussianBlur(&image, channels: 3, height: reference.height, width: reference.width,
                             size: Int(parts[1])!, sigma: Float(parts[2])!)
            }
            let difference = maximumDifference(image, operation.output)
            #expect(difference < 2e-6, "\(operation.name): max |ours - torchvision| = \(difference)")
        }
    }

    @Test func resizedCropMatchesTorchvision() throws {
        let reference = try loadJSON("torchvision_reference.json", as: TorchvisionReference.self)
        let (channels, height, width) = (reference.crop_source_size[0], reference.crop_source_size[1], reference.crop_source_size[2])
        for crop in reference.crops {
            let output = resizedCrop(reference.crop_source, channels: channels, height: height, width: width,
                                     box: CropBox(top: crop.box[0], left: crop.box[1], height: crop.box[2], width: crop.box[3]),
                                     outputHeight: crop.size[0], outputWidth: crop.size[1], flip: crop.flip)
            let difference = maximumDifference(output, crop.output)
            #expect(difference < 1e-6, "crop \(crop.box) -> \(crop.size): max difference \(difference)")
        }
    }

    @Test func rotationMatchesTorchvision() throws {
        for reference in try loadJSON("torchvision_rotation.json", as: [TorchvisionRotation].self) {
            let output = rotated(reference.image, channels: reference.size[0], height: reference.size[1],
                                 width: reference.size[2], degrees: reference.angle)
            let difference = maximumDifference(output, reference.output)
            #expect(difference < 1e-5, "\(reference.size) by \(reference.angle): max |ours - torchvision| = \(difference)")
        }
    }

    @Test func noTurnIsIdentityAndFourQuarterTurnsComeBack() {
        var random = SeededGenerator(seed: 12)
        let image = (0..<(2 * 5 * 5)).map { _ in random.nextUniform() }
        #expect(rotated(image, channels: 2, height: 5, width: 5, degrees: 0) == image)
        // On a square image a quarter turn maps pixel centres onto pixel centres.
        var turned = image
        for _ in 0..<4 { turned = rotated(turned, channels: 2, height: 5, width: 5, degrees: 90) }
        #expect(maximumDifference(turned, image) < 1e-5)
        let quarter = rotated(image, channels: 2, height: 5, width: 5, degrees: 90)
        // Counter-clockwise: the top-right pixel moves to the top-left.
        #expect(abs(quarter[0] - image[4]) < 1e-5)
    }

    @Test func rotationsDrawLastAndLeaveTheOtherChoices() throws {
        let digits = try embeddedDigits()
        let normalization = Normalization(of: digits)
        var turning = AugmentationSettings()
        turning.flipProbability = 0
        var still = turning
        turning.rotation = 20
        let plain = try Augmenter(dataset: digits, settings: still, normalization: normalization, seed: 4)
        let turned = try Augmenter(dataset: digits, settings: turning, normalization: normalization, seed: 4)
        var angles: [Float] = []
        for index in 0..<200 {
            var draw = turned.draw(index: index, epoch: 1, view: 0)
            angles.append(try #require(draw.rotation))
            draw.rotation = nil
            #expect(draw == plain.draw(index: index, epoch: 1, view: 0))
        }
        #expect(angles.allSatisfy { (-20...20).contains($0) })
        #expect(angles.min()! < -15 && angles.max()! > 15)
        #expect(plain.view(index: 3, epoch: 1, view: 0) != turned.view(index: 3, epoch: 1, view: 0))
        still.rotation = 0
        let zero = try Augmenter(dataset: digits, settings: still, normalization: normalization, seed: 4)
        #expect(zero.draw(index: 3, epoch: 1, view: 0).rotation == nil)
        for bad: Float in [-1, 181, .nan] {
            still.rotation = bad
            #expect(throws: DatasetError.self) { try still.validate() }
        }
    }

    @Test func theSummaryNamesEveryAugmentationInOrder() {
        var settings = AugmentationSettings()
        settings.cropScale = 0.3...1
        #expect(settings.summary == "crop 30-100% of the area, ratio 0.75-1.33; flip 0.5; colour jitter 0.8 "
                + "(brightness 0.4, contrast 0.4, saturation 0.4, hue 0.1; saturation and hue on colour images only); "
                + "grey scale 0.2 (colour images)")
        settings.rotation = 15
        settings.blurProbability = 0.5
        #expect(settings.summary.contains("flip 0.5; rotation up to 15.0 degrees; colour jitter"))
        #expect(settings.summary.hasSuffix("; blur 0.5 (sigma 0.1-2.0)"))
    }

    @Test func flipTwiceIsIdentity() {
        var random = SeededGenerator(seed: 11)
        let original = (0..<(3 * 5 * 7)).map { _ in random.nextUniform() }
        var image = original
        flipHorizontally(&image, channels: 3, height: 5, width: 7)
        #expect(image != original)
        #expect(image[6] == original[0])
        flipHorizontally(&image, channels: 3, height: 5, width: 7)
        #expect(image == original)
    }

    @Test func fullSizeCropIsIdentity() throws {
        let dataset = randomRGBDataset()
        let normalization = Normalization.identity(channels: 3)
        var settings = AugmentationSettings.none
        settings.cropScale = 1...1
        settings.cropRatio = 1...1
        let augmenter = try Augmenter(dataset: dataset, settings: settings, normalization: normalization, seed: 1)
        for index in 0..<dataset.count {
            #expect(augmenter.draw(index: index, epoch: 0, view: 0).box == CropBox(top: 0, left: 0, height: 12, width: 12))
            #expect(augmenter.view(index: index, epoch: 0, view: 0) == dataset.image(at: index).map { Float($0) / 255 })
        }
        let crop = resizedCrop(Array(dataset.image(at: 0)), channels: 3, height: 12, width: 12,
                               box: CropBox(top: 0, left: 0, height: 12, width: 12), outputHeight: 12, outputWidth: 12)
        #expect(crop == dataset.image(at: 0).map { Float($0) / 255 })
    }

    @Test func zeroJitterIsIdentity() throws {
        let dataset = randomRGBDataset()
        let normalization = Normalization(of: dataset)
        var jitterOff = AugmentationSettings()
        jitterOff.jitterProbability = 0
        jitterOff.grayscaleProbability = 0
        var zeroJitter = jitterOff
        zeroJitter.jitterProbability = 1
        (zeroJitter.brightness, zeroJitter.contrast, zeroJitter.saturation, zeroJitter.hue) = (0, 0, 0, 0)
        let plain = try Augmenter(dataset: dataset, settings: jitterOff, normalization: normalization, seed: 5)
        let jittered = try Augmenter(dataset: dataset, settings: zeroJitter, normalization: normalization, seed: 5)
        for index in 0..<dataset.count {
            let a = plain.draw(index: index, epoch: 2, view: 1), b = jittered.draw(index: index, epoch: 2, view: 1)
            #expect(b.jitter.isEmpty)
            // Same crop and flip draws come first in both, so the pixels must agree exactly.
            #expect(a.box == b.box && a.flip == b.flip)
            #expect(plain.view(index: index, epoch: 2, view: 1) == jittered.view(index: index, epoch: 2, view: 1))
        }
        // Factors of exactly 1 (and hue 0) leave an image as it is.
        var random = SeededGenerator(seed: 8)
        let image = (0..<(3 * 4 * 4)).map { _ in random.nextUniform() }
        for operation in [ColorOperation.brightness(1), .contrast(1), .saturation(1)] {
            var copy = image
            apply(operation, to: &copy, height: 4, width: 4)
            #expect(copy == image, "\(operation)")
        }
        var hueless = image
        apply(.hue(0), to: &hueless, height: 4, width: 4)
        #expect(maximumDifference(hueless, image) < 1e-6)
    }

    @Test func sameSeedSameViewsAndDifferentEpochsDifferentViews() throws {
        let dataset = randomRGBDataset(count: 16)
        var settings = AugmentationSettings()
        settings.blurProbability = 0.5
        let normalization = Normalization(of: dataset)
        let one = try Augmenter(dataset: dataset, settings: settings, normalization: normalization, seed: 42)
        let two = try Augmenter(dataset: dataset, settings: settings, normalization: normalization, seed: 42)
        let other = try Augmenter(dataset: dataset, settings: settings, normalization: normalization, seed: 43)
        let indices = Array(0..<16)
        let first = one.batch(indices, epoch: 3, view: 0)
        #expect(first == two.batch(indices, epoch: 3, view: 0))
        #expect(first.pixels != one.batch(indices, epoch: 4, view: 0).pixels)
        #expect(first.pixels != one.batch(indices, epoch: 3, view: 1).pixels)
        #expect(first.pixels != other.batch(indices, epoch: 3, view: 0).pixels)
        // A sample's view does not depend on the batch it is in or its position there.
        let reversed = one.batch(indices.reversed(), epoch: 3, view: 0)
        let size = dataset.imageSize
        #expect(Array(reversed.pixels[0..<size]) == Array(first.pixels[(15 * size)..<(16 * size)]))
        #expect(Array(first.pixels[(7 * size)..<(8 * size)]) == one.view(index: 7, epoch: 3, view: 0))
    }

    @Test func drawsFollowTheSettings() throws {
        let dataset = randomRGBDataset(count: 400, size: 32)
        let augmenter = try Augmenter(dataset: dataset, settings: AugmentationSettings(),
                                      normalization: Normalization.identity(channels: 3), seed: 9)
        let draws = (0..<400).map { augmenter.draw(index: $0, epoch: 0, view: 0) }
        let flips = draws.filter(\.flip).count, grays = draws.filter(\.grayscale).count
        let jittered = draws.filter { !$0.jitter.isEmpty }.count
        // Binomial(400, p): these bands are more than 4 standard deviations wide.
        #expect((160...240).contains(flips))
        #expect((40...120).contains(grays))
        #expect((280...360).contains(jittered))
        for draw in draws {
            let area = Float(draw.box.height * draw.box.width) / Float(32 * 32)
            #expect(area >= 0.06 && area <= 1.0)
            #expect(draw.box.top + draw.box.height <= 32 && draw.box.left + draw.box.width <= 32)
            #expect(draw.blurSigma == nil)
        }
        // torchvision's random order: all four operations appear, in more than one order.
        #expect(Set(draws.filter { $0.jitter.count == 4 }.map { "\($0.jitter.map { "\($0)".prefix(3) })" }).count > 10)
    }

    @Test func greyIntensityOperationsMatchTorchvision() throws {
        let reference = try loadJSON("torchvision_grey_reference.json", as: TorchvisionGreyReference.self)
        for operation in reference.operations {
            let parts = operation.name.split(separator: " ")
            let factor = Float(parts[1])!
            var image = reference.image
            let colourOperation: ColorOperation = switch parts[0] {
            case "brightness": .brightness(factor)
            case "contrast": .contrast(factor)
            case "saturation": .saturation(factor)
            default: .hue(factor)
            }
            apply(colourOperation, to: &image, channels: 1, height: reference.height, width: reference.width)
            let difference = maximumDifference(image, operation.output)
            #expect(difference < 2e-6, "grey \(operation.name): max |ours - torchvision| = \(difference)")
        }
    }

    @Test func greyImagesGetIntensityJitterOnly() throws {
        let digits = try embeddedDigits()
        let augmenter = try Augmenter(dataset: digits, settings: AugmentationSettings(),
                                      normalization: Normalization(of: digits), seed: 1)
        let draws = (0..<200).map { augmenter.draw(index: $0, epoch: 0, view: 0) }
        for draw in draws {
            #expect(!draw.grayscale)
            for operation in draw.jitter {
                switch operation {
                case .brightness, .contrast: break
                default: Issue.record("grey view drew the colour operation \(operation)")
                }
            }
        }
        // Jitter with p = 0.8: brightness and contrast both, on most views.
        #expect((130...190).contains(draws.filter { $0.jitter.count == 2 }.count))
        let batch = augmenter.batch(Array(0..<32), epoch: 0, view: 0)
        #expect((batch.channels, batch.height, batch.width) == (1, 8, 8))
        #expect(batch.pixels.allSatisfy { $0.isFinite })
    }

    @Test func invalidSettingsThrow() {
        var settings = AugmentationSettings()
        settings.hue = 0.7
        #expect(throws: DatasetError.invalidSetting(name: "hue", value: "0.7", expected: "in [0, 0.5]")) {
            try settings.validate()
        }
        settings = AugmentationSettings()
        settings.flipProbability = 1.5
        #expect(throws: DatasetError.self) { try settings.validate() }
    }
}
