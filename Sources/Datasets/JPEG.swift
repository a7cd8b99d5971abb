// JPEG through libjpeg(-turbo). libjpeg reports a fatal error by calling `error_exit`, which
// must not return; Swift cannot longjmp, so each decode runs on its own short-lived thread
// and a fatal error ends that thread (pthread_exit). Only C structures live on that thread,
// all owned by the caller, so nothing leaks and the caller turns the message into an error.
import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state one decode shares between the caller and the decoding thread.
private struct JPEGJob {
    var decompressor = jpeg_decompress_struct()
    var errorManager = jpeg_error_mgr()
    var input: UnsafePointer<UInt8>? = nil
    var inputCount = 0
    var output: UnsafeMutablePointer<UInt8>? = nil
    var width = 0
    var height = 0
    var channels = 0
    var finished = false
    var warnings = 0
    var message: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

/// The address of the job's decompressor (stable: the job lives in allocated memory).
private func decompressorPointer(_ job: UnsafeMutablePointer<JPEGJob>) -> UnsafeMutablePointer<jpeg_decompress_struct> {
    (UnsafeMutableRawPointer(job) + MemoryLayout<JPEGJob>.offset(of: \.decompressor)!)
        .assumingMemoryBound(to: jpeg_decompress_struct.self)
}

private func errorManagerPointer(_ job: UnsafeMutablePointer<JPEGJob>) -> UnsafeMutablePointer<jpeg_error_mgr> {
    (UnsafeMutableRawPointer(job) + MemoryLayout<JPEGJob>.offset(of: \.errorManager)!)
        .assumingMemoryBound(to: jpeg_error_mgr.self)
}

/// Formats libjpeg's current message into the job's message buffer (256 bytes >= JMSG_LENGTH_MAX).
private func recordMessage(_ common: j_common_ptr?) {
    guard let common, let job = common.pointee.client_data?.assumingMemoryBound(to: JPEGJob.self) else { return }
    withUnsafeMutableBytes(of: &job.pointee.message) { raw in
        let buffer = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
        common.pointee.err.pointee.format_message(common, buffer)
    }
}

private func runJPEGJob(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let job = raw!.assumingMemoryBound(to: JPEGJob.self)
    let decompressor = decompressorPointer(job)
    jpeg_mem_src(decompressor, job.pointee.input, UInt(job.pointee.inputCount))
    guard jpeg_read_header(decompressor, 1) == JPEG_HEADER_OK else {
        job.pointee.warnings += 1
        return nil
    }
    let grey = decompressor.pointee.num_components == 1
    decompressor.pointee.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB
    let width = Int(decompressor.pointee.image_width), height = Int(decompressor.pointee.image_height)
    guard width > 0, height > 0, width * height <= maximumDecodedPixels else {
        job.pointee.width = width
        job.pointee.height = height
        return nil
    }
    jpeg_start_decompress(decompressor)
    let channels = Int(decompressor.pointee.output_components)
    let rowBytes = Int(decompressor.pointee.output_width) * channels
    let rows = Int(decompressor.pointee.output_height)
    let output = UnsafeMutablePointer<UInt8>.allocate(capacity: rowBytes * rows)
    job.pointee.output = output
    job.pointee.width = Int(decompressor.pointee.output_width)
    job.pointee.height = rows
    job.pointee.channels = channels
    while decompressor.pointee.output_scanline < decompressor.pointee.output_height {
        var row: JSAMPROW? = output + Int(decompressor.pointee.output_scanline) * rowBytes
        if jpeg_read_scanlines(decompressor, &row, 1) == 0 { break }
    }
    jpeg_finish_decompress(decompressor)
    job.pointee.finished = true
    return nil
}

/// Decodes JPEG bytes: grey stays grey, colour becomes RGB (CMYK is not supported).
///
/// Strict: any warning libjpeg raises (a truncated or damaged stream) is an error, so a
/// half-grey image never enters a dataset.
public func decodeJPEG(_ bytes: [UInt8], file: String) throws -> DecodedImage {
    let job = UnsafeMutablePointer<JPEGJob>.allocate(capacity: 1)
    job.initialize(to: JPEGJob())
    let input = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
    input.initialize(from: bytes, count: bytes.count)
    defer {
        jpeg_destroy_decompress(decompressorPointer(job))
        job.pointee.output?.deallocate()
        job.deinitialize(count: 1)
        job.deallocate()
        input.deallocate()
    }
    job.pointee.input = UnsafePointer(input)
    job.pointee.inputCount = bytes.count
    job.pointee.decompressor.err = jpeg_std_error(errorManagerPointer(job))
    job.pointee.errorManager.error_exit = { common in
        recordMessage(common)
        pthread_exit(nil)
    }
    job.pointee.errorManager.emit_message = { common, level in
        // Level -1 is a warning (damaged data); trace messages (level >= 0) are ignored.
        guard level < 0, let common,
              let job = common.pointee.client_data?.assumingMemoryBound(to: JPEGJob.self) else { return }
        if job.pointee.warnings == 0 { recordMessage(common) }
        job.pointee.warnings += 1
    }
    job.pointee.errorManager.output_message = { _ in }
    jpeg_CreateDecompress(decompressorPointer(job), JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
    job.pointee.decompressor.client_data = UnsafeMutableRawPointer(job)

    #if canImport(Glibc)
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { runJPEGJob($0) }, UnsafeMutableRawPointer(job))
    #else
    var thread: pthread_t? = nil
    let started = pthread_create(&thread, nil, { runJPEGJob($0) }, UnsafeMutableRawPointer(job))
    #endif
    guard started == 0 else { throw DatasetError.undecodableImage(file: file, reason: "cannot start a decoding thread") }
    #if canImport(Glibc)
    pthread_join(thread, nil)
    #else
    pthread_join(thread!, nil)
    #endif

    let message = withUnsafeBytes(of: &job.pointee.message) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if !job.pointee.finished || job.pointee.warnings > 0 {
        if job.pointee.width * job.pointee.height > maximumDecodedPixels {
            throw DatasetError.undecodableImage(file: file, reason: "\(job.pointee.width)x\(job.pointee.height) pixels is beyond \(maximumDecodedPixels)")
        }
        throw DatasetError.undecodableImage(file: file, reason: message.isEmpty ? "libjpeg stopped" : message)
    }
    let channels = job.pointee.channels, height = job.pointee.height, width = job.pointee.width
    guard channels == 1 || channels == 3, let output = job.pointee.output else {
        throw DatasetError.undecodableImage(file: file, reason: "\(channels) colour components; expected grey or RGB")
    }
    let interleaved = Array(UnsafeBufferPointer(start: output, count: channels * height * width))
    return DecodedImage(channels: channels, height: height, width: width,
                        pixels: interleavedToPlanar(interleaved, count: 1, height: height, width: width, channels: channels))
}

/// Decodes PNG or JPEG bytes, recognised by their signature.
public func decodeImage(_ bytes: [UInt8], file: String) throws -> DecodedImage {
    if bytes.count >= 8, bytes[0] == 0x89, bytes[1] == 0x50, bytes[2] == 0x4E, bytes[3] == 0x47 {
        return try decodePNG(bytes, file: file)
    }
    if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
        return try decodeJPEG(bytes, file: file)
    }
    throw DatasetError.badMagic(file: file, expected: "a PNG (89 50 4e 47) or JPEG (ff d8 ff) signature",
                                found: hexPrefix(bytes))
}
