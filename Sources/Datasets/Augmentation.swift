// The two positive views (SPEC §4), deterministic from (seed, epoch, sample index, view).
import Foundation
import Basics

/// The random augmentations of one view, with SPEC §4's values as defaults (SimCLR/BYOL's
/// CIFAR recipe, torchvision semantics).
///
/// Order: RandomResizedCrop -> horizontal flip -> rotation -> colour jitter (random order of
/// the four adjustments, as torchvision's `ColorJitter`) -> grayscale -> Gaussian blur ->
/// normalise.
/// Grey-scale images skip the colour jitter and grayscale steps.
public struct AugmentationSettings: Sendable, Equatable, Codable {
    /// Fraction of the image area the crop covers, drawn uniformly (`scale`).
    public var cropScale: ClosedRange<Float> = 0.08...1
    /// Crop aspect ratio width / height, drawn log-uniformly (`ratio`).
    public var cropRatio: ClosedRange<Float> = 0.75...(4 / 3)
    /// Probability of a horizontal flip.
    public var flipProbability: Float = 0.5
    /// Probability of applying the colour jitter at all.
    public var jitterProbability: Float = 0.8
    /// Brightness factor drawn from [max(0, 1 - b), 1 + b]; 0 disables it.
    public var brightness: Float = 0.4
    /// Contrast factor drawn from [max(0, 1 - c), 1 + c]; 0 disables it.
    public var contrast: Float = 0.4
    /// Saturation factor drawn from [max(0, 1 - s), 1 + s]; 0 disables it.
    public var saturation: Float = 0.4
    /// Hue shift drawn from [-h, h] turns, h <= 0.5; 0 disables it.
    public var hue: Float = 0.1
    /// Probability of converting to grayscale (three equal channels).
    public var grayscaleProbability: Float = 0.2
    /// Probability of a Gaussian blur (SPEC: optional, 0.5 when on); 0 = off, the default.
    public var blurProbability: Float = 0
    /// Blur standard deviation in pixels, drawn uniformly.
    public var blurSigma: ClosedRange<Float> = 0.1...2
    /// Blur kernel taps as a fraction of the smaller image side (BYOL: 23 taps at 224 px);
    /// the size is `2 * floor(fraction / 2 * side) + 1`, at least 3.
    public var blurKernelFraction: Float = 0.1
    /// The largest rotation in degrees: each view turns by an angle drawn uniformly from
    /// [-r, r] (torchvision `RandomRotation(r)`, bilinear, zeros where the turned image does
    /// not reach). nil, the paper's augmentations, draws no angle; so do settings written
    /// before the option existed, which decode as nil.
    public var rotation: Float?

    /// SPEC §4's augmentations.
    public init() {}

    /// No augmentation at all: every view is the normalised image.
    public static var none: AugmentationSettings {
        var settings = AugmentationSettings()
        settings.cropScale = 1...1
        settings.cropRatio = 1...1
        settings.flipProbability = 0
        settings.jitterProbability = 0
        settings.grayscaleProbability = 0
        settings.blurProbability = 0
        return settings
    }

    /// Throws `invalidSetting` for the first value out of its range.
    public func validate() throws {
        func check(_ condition: Bool, _ name: String, _ expected: String, _ found: String) throws {
            if !condition { throw DatasetError.invalidSetting(name: name, value: found, expected: expected) }
        }
        try check(cropScale.lowerBound > 0 && cropScale.upperBound <= 1, "cropScale", "within (0, 1]", "\(cropScale)")
        try check(cropRatio.lowerBound > 0, "cropRatio", "positive", "\(cropRatio)")
        for (name, value) in [("flipProbability", flipProbability), ("jitterProbability", jitterProbability),
                              ("grayscaleProbability", grayscaleProbability), ("blurProbability", blurProbability)] {
            try check((0...1).contains(value), name, "a probability in [0, 1]", "\(value)")
        }
        for (name, value) in [("brightness", brightness), ("contrast", contrast), ("saturation", saturation)] {
            try check(value >= 0 && value.isFinite, name, ">= 0", "\(value)")
        }
        try check((0...0.5).contains(hue), "hue", "in [0, 0.5]", "\(hue)")
        try check(blurSigma.lowerBound > 0, "blurSigma", "positive", "\(blurSigma)")
        try check(blurKernelFraction >= 0 && blurKernelFraction <= 1, "blurKernelFraction", "in [0, 1]", "\(blurKernelFraction)")
        if let rotation {
            try check((0...180).contains(rotation), "rotation", "degrees in [0, 180]", "\(rotation)")
        }
    }
}

extension AugmentationSettings {
    /// `rotation` when views turn at all: nil for no setting and for 0.
    public var turnLimit: Float? {
        guard let rotation, rotation > 0 else { return nil }
        return rotation
    }

    /// One line for a report: each augmentation with its probability or range, in the order
    /// the views apply them ("crop 30-100% of the area, ratio 0.75-1.33; flip 0.5; ...").
    public var summary: String {
        func percent(_ share: Float) -> String { "\(Int((share * 100).rounded()))" }
        func decimal(_ value: Float) -> String { String(format: "%.2f", value) }
        var parts = ["crop \(percent(cropScale.lowerBound))-\(percent(cropScale.upperBound))% of the area, "
                     + "ratio \(decimal(cropRatio.lowerBound))-\(decimal(cropRatio.upperBound))",
                     "flip \(flipProbability)"]
        if let turnLimit { parts.append("rotation up to \(turnLimit) degrees") }
        parts.append("colour jitter \(jitterProbability) (brightness \(brightness), contrast \(contrast), "
                     + "saturation \(saturation), hue \(hue); saturation and hue on colour images only)")
        parts.append("grey scale \(grayscaleProbability) (colour images)")
        if blurProbability > 0 { parts.append("blur \(blurProbability) (sigma \(blurSigma.lowerBound)-\(blurSigma.upperBound))") }
        return parts.joined(separator: "; ")
    }
}

/// Makes augmented, normalised views of a dataset's images.
///
/// View `view` of sample `index` in epoch `epoch` draws all its randomness from
/// `SeededGenerator(seed: seed, stream: [augmentationStream, epoch, index, view])`, so it is
/// the same whichever batch, thread or order makes it (a resumed run sees the same views).
public struct Augmenter: Sendable {
    /// The images views are made of.
    public let dataset: ImageDataset
    /// What each view may do.
    public let settings: AugmentationSettings
    /// Applied last, per channel.
    public let normalization: Normalization
    /// The run's seed: with (epoch, index, view) it fixes every draw.
    public let seed: UInt64

    /// The stream tag that keeps augmentation draws apart from the shuffle's.
    static let augmentationStream: UInt64 = 0x4155_4745  // "AUGE"

    /// Throws when `settings` are out of range or `normalization` has the wrong channel count.
    public init(dataset: ImageDataset, settings: AugmentationSettings, normalization: Normalization, seed: UInt64) throws {
        try settings.validate()
        guard normalization.mean.count == dataset.channels else {
            throw DatasetError.invalidSetting(name: "normalization", value: "\(normalization.mean.count)",
                                              expected: "\(dataset.channels) channels")
        }
        self.dataset = dataset
        self.settings = settings
        self.normalization = normalization
        self.seed = seed
    }

    /// The random choices of one view: what `augment` will do.
    public struct Draw: Sendable, Equatable {
        /// The crop, in source pixels, resized back to the full image size.
        public var box: CropBox
        /// Whether the view is mirrored left-right.
        public var flip: Bool
        /// Colour adjustments in the order applied (empty when jitter is skipped).
        public var jitter: [ColorOperation]
        /// Whether the view is turned grey (three equal channels).
        public var grayscale: Bool
        /// Blur deviation, nil when not blurred.
        public var blurSigma: Float?
        /// The rotation in degrees, counter-clockwise; nil when the settings have none.
        public var rotation: Float? = nil
    }

    /// The random choices for view `view` of sample `index` in `epoch`.
    public func draw(index: Int, epoch: Int, view: Int) -> Draw {
        var random = SeededGenerator(seed: seed, stream: [Self.augmentationStream, UInt64(epoch), UInt64(index), UInt64(view)])
        let box = cropBox(using: &random)
        let flip = random.nextUniform() < settings.flipProbability
        var jitter = [ColorOperation]()
        // Brightness and contrast change grey images too; saturation, hue and grayscale are
        // colour operations that leave one channel as it is (as torchvision's do), so grey
        // data skips them. Without the intensity jitter, the two views of a grey image match
        // on intensity alone: InfoNCE on Fashion-MNIST fell below raw pixels.
        let isColour = dataset.channels == 3
        if random.nextUniform() < settings.jitterProbability {
            // torchvision: a random order of the four, each factor drawn once.
            var order = [0, 1, 2, 3]
            for i in stride(from: 3, to: 0, by: -1) { order.swapAt(i, random.nextInt(below: i + 1)) }
            let b = random.nextUniform(max(0, 1 - settings.brightness), 1 + settings.brightness)
            let c = random.nextUniform(max(0, 1 - settings.contrast), 1 + settings.contrast)
            let s = random.nextUniform(max(0, 1 - settings.saturation), 1 + settings.saturation)
            let h = random.nextUniform(-settings.hue, settings.hue)
            for operation in order {
                switch operation {
                case 0 where settings.brightness > 0: jitter.append(.brightness(b))
                case 1 where settings.contrast > 0: jitter.append(.contrast(c))
                case 2 where settings.saturation > 0 && isColour: jitter.append(.saturation(s))
                case 3 where settings.hue > 0 && isColour: jitter.append(.hue(h))
                default: break
                }
            }
        }
        let grayscale = isColour && random.nextUniform() < settings.grayscaleProbability
        var blurSigma: Float? = nil
        if settings.blurProbability > 0 && random.nextUniform() < settings.blurProbability {
            blurSigma = random.nextUniform(settings.blurSigma.lowerBound, settings.blurSigma.upperBound)
        }
        // Drawn last, and only when asked for, so that every other choice is the same with
        // and without rotations.
        let angle = settings.turnLimit.map { random.nextUniform(-$0, $0) }
        return Draw(box: box, flip: flip, jitter: jitter, grayscale: grayscale, blurSigma: blurSigma, rotation: angle)
    }

    /// torchvision's `RandomResizedCrop.get_params`: up to 10 tries at a box of the drawn area
    /// and ratio, then the largest central box within the ratio range.
    func cropBox(using random: inout SeededGenerator) -> CropBox {
        let height = dataset.height, width = dataset.width
        let area = Float(height * width)
        let logRatio = (log(settings.cropRatio.lowerBound), log(settings.cropRatio.upperBound))
        for _ in 0..<10 {
            let targetArea = area * random.nextUniform(settings.cropScale.lowerBound, settings.cropScale.upperBound)
            let aspect = exp(random.nextUniform(logRatio.0, logRatio.1))
            let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= width && h > 0 && h <= height {
                let top = random.nextInt(below: height - h + 1)
                let left = random.nextInt(below: width - w + 1)
                return CropBox(top: top, left: left, height: h, width: w)
            }
        }
        let inputRatio = Float(width) / Float(height)
        var w = width, h = height
        if inputRatio < settings.cropRatio.lowerBound {
            h = max(1, min(height, Int((Float(w) / settings.cropRatio.lowerBound).rounded(.toNearestOrEven))))
        } else if inputRatio > settings.cropRatio.upperBound {
            w = max(1, min(width, Int((Float(h) * settings.cropRatio.upperBound).rounded(.toNearestOrEven))))
        }
        return CropBox(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
    }

    /// Blur taps for this dataset's image size.
    var blurKernelSize: Int {
        max(3, 2 * Int(settings.blurKernelFraction / 2 * Float(min(dataset.height, dataset.width))) + 1)
    }

    /// Floats of scratch space `augment` needs: two images' worth.
    public var scratchSize: Int { 2 * dataset.imageSize }

    /// Writes view `view` of sample `index` in `epoch`, normalised, C x H x W floats, into
    /// `output`; `scratch` holds at least `scratchSize` floats (reused across calls).
    public func augment(index: Int, epoch: Int, view: Int,
                        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let choice = draw(index: index, epoch: epoch, view: view)
        let channels = dataset.channels, height = dataset.height, width = dataset.width
        let plane = height * width
        let image = scratch
        dataset.pixels.withUnsafeBufferPointer { pixels in
            resizedCropKernel(source: pixels.baseAddress! + index * dataset.imageSize, channels: channels,
                              height: height, width: width, box: choice.box, flip: choice.flip,
                              output: image, outputHeight: height, outputWidth: width)
        }
        if let angle = choice.rotation {
            rotateKernel(image, channels: channels, height: height, width: width, degrees: angle,
                         scratch: scratch + dataset.imageSize)
        }
        for operation in choice.jitter {
            switch operation {
            case let .brightness(factor): adjustBrightnessKernel(image, count: channels * plane, factor: factor)
            case let .contrast(factor): adjustContrastKernel(image, channels: channels, plane: plane, factor: factor)
            case let .saturation(factor): adjustSaturationKernel(image, plane: plane, factor: factor)
            case let .hue(factor): adjustHueKernel(image, plane: plane, factor: factor)
            case .grayscale: grayscaleKernel(image, plane: plane)
            }
        }
        if choice.grayscale { grayscaleKernel(image, plane: plane) }
        if let sigma = choice.blurSigma {
            gaussianBlurKernel(image, channels: channels, height: height, width: width,
                               size: blurKernelSize, sigma: sigma, scratch: scratch + dataset.imageSize)
        }
        for c in 0..<channels {
            let scale = 1 / normalization.std[c], shift = -normalization.mean[c] / normalization.std[c]
            for p in 0..<plane { output[c * plane + p] = image[c * plane + p] * scale + shift }
        }
    }

    /// View `view` of sample `index` in `epoch`: C x H x W normalised floats.
    public func view(index: Int, epoch: Int, view: Int) -> [Float] {
        var output = [Float](repeating: 0, count: dataset.imageSize)
        var scratch = [Float](repeating: 0, count: scratchSize)
        output.withUnsafeMutableBufferPointer { output in
            scratch.withUnsafeMutableBufferPointer { scratch in
                augment(index: index, epoch: epoch, view: view, into: output.baseAddress!, scratch: scratch.baseAddress!)
            }
        }
        return output
    }

    /// View `view` of the samples `indices` in `epoch`, made in parallel over the batch.
    public func batch(_ indices: [Int], epoch: Int, view: Int) -> ImageBatch {
        let size = dataset.imageSize
        for index in indices {
            checkArgument(index >= 0 && index < dataset.count, "Augmenter.batch: index \(index) outside 0..<\(dataset.count)")
        }
        var pixels = [Float](repeating: 0, count: indices.count * size)
        pixels.withUnsafeMutableBufferPointer { buffer in
            let output = UncheckedSendable(buffer.baseAddress!)
            // Each sample writes only its own C x H x W slice; scratch is per chunk.
            parallelChunks(indices.count, minimumChunk: 8) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchSize)
                defer { scratch.deallocate() }
                for position in range {
                    augment(index: indices[position], epoch: epoch, view: view,
                            into: output.value + position * size, scratch: scratch)
                }
            }
        }
        return ImageBatch(count: indices.count, channels: dataset.channels, height: dataset.height,
                          width: dataset.width, pixels: pixels, indices: indices)
    }
}
