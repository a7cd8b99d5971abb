/// The standard Base64 encoding of `bytes` (RFC 4648 section 4: alphabet `A-Z a-z 0-9 + /`,
/// padded with `=`, no line breaks), as used in `data:` URIs.
public func base64Encoded(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var encoded: [UInt8] = []
    encoded.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index + 3 <= bytes.count {
        let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
        for shift in [18, 12, 6, 0] as [UInt32] {
            encoded.append(alphabet[Int((group >> shift) & 63)])
        }
        index += 3
    }
    let remaining = bytes.count - index
    if remaining > 0 {
        let second = remaining == 2 ? UInt32(bytes[index + 1]) : 0
        let group = UInt32(bytes[index]) << 16 | second << 8
        encoded.append(alphabet[Int((group >> 18) & 63)])
        encoded.append(alphabet[Int((group >> 12) & 63)])
        encoded.append(remaining == 2 ? alphabet[Int((group >> 6) & 63)] : UInt8(ascii: "="))
        encoded.append(UInt8(ascii: "="))
    }
    return String(decoding: encoded, as: UTF8.self)
}

/// A `data:` URI holding `bytes`, for an `<img src>` that needs no file beside the page.
/// The media type is read from the bytes' signature (PNG, JPEG, GIF), PNG when unknown.
func dataURI(_ bytes: [UInt8]) -> String {
    "data:" + mediaType(of: bytes) + ";base64," + base64Encoded(bytes)
}

func mediaType(of bytes: [UInt8]) -> String {
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
    if bytes.starts(with: Array("GIF8".utf8)) { return "image/gif" }
    return "image/png"
}
