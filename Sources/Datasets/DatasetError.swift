// Errors for bad input: every message names the file, what was expected and what was found.

import Basics

/// Bad input to a reader, writer or the catalogue of named datasets.
///
/// Every case carries the file (or dataset name) it is about; `description` reads as one
/// sentence that says what was expected, what was found and, where there is one, the fix.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file could not be written.
    case unwritable(file: String, reason: String)
    /// The first bytes are not the format's signature.
    case badMagic(file: String, expected: String, found: String)
    /// The file ends before its header says it should.
    case truncated(file: String, expectedBytes: Int, foundBytes: Int)
    /// The file holds more bytes than its header accounts for.
    case trailingBytes(file: String, expectedBytes: Int, foundBytes: Int)
    /// A header field is not what the format allows.
    case badHeader(file: String, expected: String, found: String)
    /// The data's shape, kind or record layout is not what this use of it needs.
    case badShape(file: String, expected: String, found: String)
    /// A value in the data (a label, a feature) is out of the range it must be in.
    case badValue(file: String, expected: String, found: String)
    /// A folder lacks the files the dataset needs.
    case missingFiles(folder: String, expected: String, found: String)
    /// The dataset has no such split.
    case unavailableSplit(dataset: String, expected: String, found: String)
    /// The element type is not one this reader supports.
    case unsupportedType(file: String, expected: String, found: String)
    /// A line of a text file (1-based `line`) is not what the format allows.
    case badLine(file: String, line: Int, expected: String, found: String)
    /// An images file and its labels file disagree.
    case countMismatch(file: String, expected: Int, found: Int)
    /// A compressed stream is damaged.
    case corruptCompression(file: String, reason: String)
    /// A compressed stream inflates past `limit` bytes, the most its header (or, without one,
    /// this machine's memory, `reason` says which) allows: a damaged file or a decompression bomb.
    case decompressionLimitExceeded(file: String, limit: Int, reason: String)
    /// An image failed to decode.
    case undecodableImage(file: String, reason: String)
    /// A named dataset is not on this machine; `fix` says how to get it.
    case missingDataset(name: String, searched: [String], fix: String)
    /// The name is neither a known dataset nor an existing path.
    case unknownDataset(name: String, known: [String])
    /// A setting is out of its range.
    case invalidSetting(name: String, value: String, expected: String)
    /// A file holds fewer images than any use of it needs.
    case tooFewImages(file: String, expected: Int, found: Int)

    /// One sentence: the file, what was expected, what was found (and the fix when known).
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the file (\(reason))"
        case let .unwritable(file, reason):
            return "\(file): cannot write the file (\(reason))"
        case let .badMagic(file, expected, found):
            return "\(file): expected \(expected) at the start of the file, found \(found)"
        case let .truncated(file, expected, found):
            return "\(file): truncated: expected \(expected) bytes, found \(found)"
        case let .trailingBytes(file, expected, found):
            return "\(file): expected \(expected) bytes as the header says, found \(found)"
        case let .badHeader(file, expected, found):
            return "\(file): its header is damaged or not of this format: expected \(expected), found \(found)"
        case let .badShape(file, expected, found):
            return "\(file): expected \(expected), found \(found)"
        case let .badValue(file, expected, found):
            return "\(file): expected \(expected), found \(found)"
        case let .missingFiles(folder, expected, found):
            return "\(folder): expected \(expected) in the folder, found \(found)"
        case let .unavailableSplit(dataset, expected, found):
            return "\(dataset): expected \(expected), found \(found); ask for another split"
        case let .unsupportedType(file, expected, found):
            return "\(file): unsupported element type: expected \(expected), found \(found)"
        case let .badLine(file, line, expected, found):
            return "\(file), line \(line): expected \(expected), found \(found)"
        case let .countMismatch(file, expected, found):
            return "\(file): expected \(expected) items to match the images, found \(found)"
        case let .corruptCompression(file, reason):
            return "\(file): damaged gzip stream (\(reason))"
        case let .decompressionLimitExceeded(file, limit, reason):
            return "\(file): expected at most \(limit) bytes after decompression (\(reason)), "
                + "the gzip stream holds more; the file is damaged or crafted (a decompression bomb), "
                + "replace it with an intact copy"
        case let .undecodableImage(file, reason):
            return "\(file): the image does not decode (\(reason))"
        case let .missingDataset(name, searched, fix):
            return "dataset '\(name)' not found (looked in \(searched.joined(separator: ", "))); \(fix)"
        case let .unknownDataset(name, known):
            return "'\(name)' is neither a dataset name (\(known.joined(separator: ", "))) "
                + "nor an existing file or folder"
        case let .invalidSetting(name, value, expected):
            return invalidSettingMessage(name: name, value: value, expected: expected)
        case let .tooFewImages(file, expected, found):
            return "\(file): the file holds \(found) images, expected at least \(expected); "
                + "its header's first dimension is \(found), use a file that holds images"
        }
    }
}
