/// Traps with `message` when `condition` is false, in every build configuration.
///
/// The standard library's `precondition` drops its message in optimised builds, and nrcc
/// always runs optimised; a shape error must still say which shapes met ("matmul: lhs has 3
/// columns, rhs has 4 rows").
@inlinable
public func checkArgument(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError(message(), file: file, line: line) }
}

/// The one phrasing of a setting out of its range, whichever module finds it: the setting,
/// the value it has, and what it must be.
public func invalidSettingMessage(name: String, value: String, expected: String) -> String {
    "\(name) is \(value), expected \(expected); change that setting"
}
