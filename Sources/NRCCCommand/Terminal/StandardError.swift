#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard error as a terminal: whether it is one, how wide it is, and unbuffered writes
/// through write(2), which need no shared `FILE *` and so no global mutable state.
enum StandardError {
    /// True when standard error is a terminal (not a pipe or a file), so lines may be redrawn.
    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// The terminal's width in columns: the window size, else `$COLUMNS`, else 80.
    static var columns: Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        if let text = getenv("COLUMNS"), let value = Int(String(cString: text)), value > 0 { return value }
        return 80
    }

    /// Writes `text` in full, retrying on short writes and interrupts; drops it on other errors
    /// (a closed pipe must not stop the run).
    static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { buffer in
                #if canImport(Darwin)
                Darwin.write(STDERR_FILENO, buffer.baseAddress, buffer.count)
                #elseif canImport(Musl)
                Musl.write(STDERR_FILENO, buffer.baseAddress, buffer.count)
                #else
                Glibc.write(STDERR_FILENO, buffer.baseAddress, buffer.count)
                #endif
            }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
