import Datasets
import Foundation
import Testing

@Suite("Readers on the real files")
struct ReaderTests {
    @Test func embeddedDigitsMatchTheSharedFiles() throws {
        let embedded = try embeddedDigits()
        // Byte-for-byte copies of ../shared/data/digits (Fixtures/make_shared_data_cuts.py).
        let shared = try readIDXImages(images: sharedDataCuts + "/digits/digits-images-idx3-ubyte.gz",
                                       labels: sharedDataCuts + "/digits/digits-labels-idx1-ubyte.gz")
        #expect((embedded.count, embedded.channels, embedded.height, embedded.width) == (1797, 1, 8, 8))
        #expect(embedded.pixels == shared.pixels)
        #expect(embedded.labels == shared.labels)
        #expect(histogram(embedded.labels!, classes: 10).allSatisfy { (174...183).contains($0) })
        #expect(embedded.pixels.max() == 255)
    }

    @Test func digitsByName() throws {
        let dataset = try loadImageDataset("digits", searchPaths: DatasetSearchPaths(dataDirectories: ["/nonexistent"]))
        #expect(dataset.count == 1797)
        #expect(dataset.classNames == (0..<10).map(String.init))
    }

    @Test(.needsSharedData) func usps() throws {
        let all = try loadImageDataset("usps", searchPaths: testSearchPaths)
        let train = try loadImageDataset("usps", split: .train, searchPaths: testSearchPaths)
        let test = try loadImageDataset("usps", split: .test, searchPaths: testSearchPaths)
        #expect((all.count, all.channels, all.height, all.width) == (9298, 1, 16, 16))
        #expect((train.count, test.count) == (7291, 2007))
        // Splits are concatenated train then test.
        #expect(Array(all.pixels.prefix(train.pixels.count)) == train.pixels)
        #expect(Array(all.labels!.suffix(2007)) == test.labels!)
        #expect(all.classCount == 10)
    }

    @Test(.needsSharedData) func coil20() throws {
        let dataset = try loadImageDataset("coil20", searchPaths: testSearchPaths)
        #expect((dataset.count, dataset.channels, dataset.height, dataset.width) == (1440, 1, 32, 32))
        #expect(histogram(dataset.labels!, classes: 20) == [Int](repeating: 72, count: 20))
    }

    @Test(.needsSharedData) func cifar10Subset() throws {
        let dataset = try loadImageDataset("cifar10", searchPaths: testSearchPaths)
        #expect((dataset.count, dataset.channels, dataset.height, dataset.width) == (4000, 3, 32, 32))
        #expect(dataset.classNames == ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
        let counts = histogram(dataset.labels!, classes: 10)
        #expect(counts.reduce(0, +) == 4000)
        #expect(counts.allSatisfy { $0 > 300 })
        // The batch file read directly: planar R, G, B after one label byte.
        let raw = try fileBytes(sharedData + "/cifar10-subset/data_batch_1_first4000.bin")
        #expect(dataset.labels![1] == Int(raw[3073]))
        #expect(Array(dataset.image(at: 1)) == Array(raw[3074..<6146]))
    }

    @Test(.enabled(if: fashionMNISTInstalled)) func fashionMNIST() throws {
        let train = try loadImageDataset("fashion-mnist", split: .train, searchPaths: testSearchPaths)
        #expect((train.count, train.height, train.width) == (60000, 28, 28))
        #expect(histogram(train.labels!, classes: 10) == [Int](repeating: 6000, count: 10))
        let test = try loadImageDataset("fashion-mnist", split: .test, searchPaths: testSearchPaths)
        #expect(test.count == 10000)
    }

    @Test func fashionMNISTMissingSaysHowToInstall() throws {
        let paths = DatasetSearchPaths(dataDirectories: ["/nonexistent"], systemDatasets: "/nonexistent-system")
        #expect {
            try loadDataset("fashion-mnist", searchPaths: paths)
        } throws: { error in
            guard case let DatasetError.missingDataset(name, _, fix) = error else { return false }
            return name == "fashion-mnist" && fix.contains("apt-get install -y dataset-fashion-mnist")
                && "\(error)".contains("apt-get install -y dataset-fashion-mnist")
        }
    }

    @Test func unknownNameOrPath() throws {
        #expect(throws: DatasetError.unknownDataset(name: "no-such-thing", known: datasetNames)) {
            try loadDataset("no-such-thing", searchPaths: testSearchPaths)
        }
    }

    @Test func cifarRecordsArePlanarAfterTheLabelByte() throws {
        // The first 8 records of the CIFAR subset's batch, read by the reader and by hand.
        let path = sharedDataCuts + "/cifar10-subset/data_batch_1_first8.bin"
        let dataset = try readCIFARBatch(path)
        let raw = try fileBytes(path)
        #expect((dataset.count, dataset.channels, dataset.height, dataset.width) == (8, 3, 32, 32))
        #expect(dataset.labels! == (0..<8).map { Int(raw[$0 * 3073]) })
        #expect(Array(dataset.image(at: 1)) == Array(raw[3074..<6146]))
    }

    @Test(.needsSharedData) func pathsOfEachKindInTheSharedData() throws {
        // An IDX file finds its labels file by name.
        let idx = try loadImageDataset(sharedData + "/coil20/coil20-32x32-images-idx3-ubyte.gz")
        #expect(idx.count == 1440 && idx.labels?.count == 1440)
        // A folder of IDX files, a CIFAR batch, a CIFAR folder.
        #expect(try loadImageDataset(sharedData + "/usps").count == 9298)
        #expect(try loadImageDataset(sharedData + "/cifar10-subset/data_batch_1_first4000.bin").count == 4000)
        #expect(try loadImageDataset(sharedData + "/cifar10-subset").classNames?.first == "airplane")
    }

    @Test func pathsOfEachKind() throws {
        // An IDX file finds its labels file by name.
        let idx = try loadImageDataset(sharedDataCuts + "/digits/digits-images-idx3-ubyte.gz")
        #expect(idx.count == 1797 && idx.labels?.count == 1797)
        // A folder of IDX files, a CIFAR batch, a CIFAR folder (class names from batches.meta.txt).
        #expect(try loadImageDataset(sharedDataCuts + "/digits").count == 1797)
        #expect(try loadImageDataset(sharedDataCuts + "/cifar10-subset/data_batch_1_first8.bin").count == 8)
        #expect(try loadImageDataset(sharedDataCuts + "/cifar10-subset").classNames?.first == "airplane")
        // A folder of images with class sub-folders.
        let folder = try loadImageDataset(fixtures + "/folder")
        #expect((folder.count, folder.classNames) == (4, ["cats", "dogs"]))
        // An .npy of images with its labels beside it, and one of features.
        let images = try loadImageDataset(fixtures + "/npy/digits_like.npy")
        #expect((images.count, images.height, images.labels!) == (6, 8, [0, 1, 2, 0, 1, 2]))
        guard case let .features(matrix) = try loadDataset(fixtures + "/npy/float32.npy") else {
            Issue.record("float32 N x D should load as features")
            return
        }
        #expect((matrix.rows, matrix.columns) == (5, 3))
        #expect(throws: DatasetError.self) { try loadImageDataset(fixtures + "/npy/float32.npy") }
    }

    @Test func cifar100FormatsAndTheSuperclassMap() throws {
        // The map sends five fine classes to each of the 20 super-classes.
        #expect(histogram(cifar100SuperclassOfFineClass, classes: 20) == [Int](repeating: 5, count: 20))
        // A two-record CIFAR-100 batch: coarse byte, fine byte, pixels.
        let folder = try temporaryFolder("cifar100")
        var bytes = [UInt8]()
        for (coarse, fine) in [(UInt8(4), UInt8(0)), (UInt8(13), UInt8(99))] {
            bytes += [coarse, fine] + [UInt8](repeating: fine, count: 3072)
        }
        try writeBytes(bytes, folder + "/train.bin")
        let fine = try readCIFARFolder(folder, format: .cifar100Fine)
        let coarse = try readCIFARFolder(folder, format: .cifar100Coarse)
        #expect(fine.labels == [0, 99])
        #expect(coarse.labels == [4, 13])
        #expect(coarse.labels == fine.labels!.map { cifar100SuperclassOfFineClass[$0] })
        #expect(coarse.classNames?.count == 20)
        #expect(fine.image(at: 1).allSatisfy { $0 == 99 })
    }

    @Test func normalizationOfAKnownDataset() throws {
        let dataset = ImageDataset(name: "two", count: 2, channels: 1, height: 1, width: 2, pixels: [0, 255, 255, 255])
        let normalization = Normalization(of: dataset)
        #expect(abs(normalization.mean[0] - 0.75) < 1e-6)
        #expect(abs(normalization.std[0] - Float(0.75 * 0.25).squareRoot()) < 1e-6)
        let features = dataset.featureMatrix()
        #expect((features.rows, features.columns, features.values) == (2, 2, [0, 1, 1, 1]))
        let batch = dataset.batch([1, 0], normalization: normalization)
        #expect(batch.indices == [1, 0])
        #expect(abs(batch.pixels[2] - (0 - 0.75) / normalization.std[0]) < 1e-5)
    }
}

@Suite("Errors that name the file, the expectation and the finding")
struct ReaderErrorTests {
    @Test func wrongMagicNumber() throws {
        let folder = try temporaryFolder("magic")
        try writeBytes([0x12, 0x34, 0x08, 0x03] + [UInt8](repeating: 0, count: 20), folder + "/bad-images-idx3-ubyte")
        #expect {
            try readIDX(folder + "/bad-images-idx3-ubyte")
        } throws: { error in
            guard case let DatasetError.badMagic(file, expected, found) = error else { return false }
            return file.hasSuffix("bad-images-idx3-ubyte") && expected.contains("00 00 08") && found == "12 34 08 03"
        }
    }

    @Test func truncatedAndOversizedIDX() throws {
        let header = idxBytes(IDXArray(shape: [10, 4, 4], values: [UInt8](repeating: 7, count: 160)))
        #expect(throws: DatasetError.truncated(file: "x", expectedBytes: 176, foundBytes: 100)) {
            try parseIDX(Array(header.prefix(100)), file: "x")
        }
        #expect(throws: DatasetError.trailingBytes(file: "x", expectedBytes: 176, foundBytes: 180)) {
            try parseIDX(header + [1, 2, 3, 4], file: "x")
        }
        #expect(throws: DatasetError.unsupportedType(file: "x", expected: "uint8 (0x08)", found: "float32 (0xd)")) {
            try parseIDX([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], file: "x")
        }
    }

    @Test func moreLabelsThanImages() throws {
        let folder = try temporaryFolder("labels")
        try writeBytes(idxBytes(IDXArray(shape: [3, 2, 2], values: [UInt8](repeating: 1, count: 12))), folder + "/x-images-idx3-ubyte")
        try writeBytes(idxBytes(IDXArray(shape: [5], values: [0, 1, 2, 0, 1])), folder + "/x-labels-idx1-ubyte")
        #expect(throws: DatasetError.countMismatch(file: folder + "/x-labels-idx1-ubyte", expected: 3, found: 5)) {
            try readIDXImages(images: folder + "/x-images-idx3-ubyte", labels: folder + "/x-labels-idx1-ubyte")
        }
        // The folder reader pairs the files by name and reports the same.
        #expect(throws: DatasetError.self) { try readIDXFolder(folder) }
        // Raw (not gzipped) IDX files with matching counts read fine.
        try writeBytes(idxBytes(IDXArray(shape: [3], values: [2, 0, 1])), folder + "/x-labels-idx1-ubyte")
        let dataset = try loadImageDataset(folder + "/x-images-idx3-ubyte")
        #expect((dataset.count, dataset.height, dataset.width, dataset.labels) == (3, 2, 2, [2, 0, 1]))
    }

    @Test func cifarSizeNotAWholeNumberOfRecords() throws {
        let folder = try temporaryFolder("cifar")
        try writeBytes([UInt8](repeating: 1, count: 3073 * 2 + 5), folder + "/data_batch_1.bin")
        #expect {
            try readCIFARBatch(folder + "/data_batch_1.bin")
        } throws: { error in
            "\(error)".contains("data_batch_1.bin") && "\(error)".contains("3073-byte") && "\(error)".contains("6151 bytes")
        }
        try writeBytes([UInt8](repeating: 10, count: 3073), folder + "/data_batch_1.bin")
        #expect(throws: DatasetError.badValue(file: folder + "/data_batch_1.bin", expected: "labels below 10 (cifar10)",
                                               found: "label 10 in record 0")) {
            try readCIFARBatch(folder + "/data_batch_1.bin")
        }
    }

    @Test func damagedGzip() throws {
        let real = try fileBytes(sharedDataCuts + "/digits/digits-labels-idx1-ubyte.gz")
        #expect(throws: DatasetError.self) { try gunzip(Array(real.prefix(real.count / 2)), file: "half.gz") }
        // Flip bytes inside the deflate data (the header holds the file name).
        var damaged = real
        damaged[real.count / 2] ^= 0xFF
        damaged[real.count / 2 + 1] ^= 0xFF
        #expect(throws: DatasetError.self) { try gunzip(damaged, file: "damaged.gz") }
        // Two members decode as their concatenation, as gunzip does.
        let once = try gunzip(real, file: "x")
        #expect(try gunzip(real + real, file: "x") == once + once)
    }

    @Test func undecodableImageInAFolder() throws {
        let folder = try temporaryFolder("folder")
        try FileManager.default.createDirectory(atPath: folder + "/a", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures + "/folder/cats/a.png", toPath: folder + "/a/good.png")
        // A hidden companion file is skipped, not decoded.
        try writeBytes([0, 5, 22, 7], folder + "/a/._good.png")
        #expect(try readImageFolder(folder).count == 1)
        var broken = try fileBytes(fixtures + "/folder/cats/b.jpg")
        broken = Array(broken.prefix(broken.count / 2))
        try writeBytes(broken, folder + "/a/broken.jpg")
        #expect {
            try readImageFolder(folder)
        } throws: { error in
            guard case let DatasetError.undecodableImage(file, _) = error else { return false }
            return file.hasSuffix("broken.jpg")
        }
    }
}
