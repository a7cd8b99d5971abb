// Double's `rounded()`, `squareRoot()` and `truncatingRemainder` compile to calls into the C
// math library. Importing the platform's C module links it (libm on Linux), so a program that
// uses Reporting without importing Foundation still links.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
