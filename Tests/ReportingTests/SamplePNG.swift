// A minimal PNG writer for the tests' sample images: 8-bit greyscale, one zlib stream of
// stored (uncompressed) deflate blocks, with the CRC-32 and Adler-32 the format requires.

/// PNG bytes of a greyscale image, `pixels` row-major, shape height x width.
func encodeGreyscalePNG(pixels: [UInt8], width: Int, height: Int) -> [UInt8] {
    precondition(pixels.count == width * height, "encodeGreyscalePNG: \(pixels.count) pixels for \(width) x \(height)")
    var raw: [UInt8] = []
    for row in 0..<height {
        raw.append(0)  // filter type "none"
        raw += pixels[(row * width)..<((row + 1) * width)]
    }
    var header: [UInt8] = []
    header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, 0, 0, 0, 0]  // bit depth 8, greyscale, deflate, adaptive filtering, no interlace
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        + chunk("IHDR", header) + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
}

func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
}

/// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 section 3.2.4).
func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var stream: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let length = min(65_535, data.count - offset)
        let final: UInt8 = offset + length == data.count ? 1 : 0
        stream.append(final)
        stream += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
        stream += data[offset..<(offset + length)]
        offset += length
    } while offset < data.count
    return stream + bigEndian(adler32(data))
}

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in bytes {
        a = (a + UInt32(byte)) % 65_521
        b = (b + a) % 65_521
    }
    return b << 16 | a
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}
