import Foundation
import Reporting

/// Shows the progress of the pipeline's stages on standard error.
///
/// On a terminal, one line per stage redrawn in place (a bar with count, rate and ETA, at most
/// ten times a second); on a pipe or file, a plain line when a stage starts, then at most
/// every `plainInterval`, and a last one when it ends; with `quiet`, nothing. The text comes
/// from Reporting's `formatProgressLine` and `formatProgressMessage`. Safe to call from any
/// thread: the library's progress callbacks may come from worker threads.
final class ProgressPrinter: @unchecked Sendable {  // all mutable state is behind `lock`
    enum Style: Equatable {
        case bar, lines, silent
    }

    let style: Style
    let plainInterval: Duration
    private let lock = NSLock()
    private let clock = ContinuousClock()
    private var stage: String?
    private var stageStart = ContinuousClock.now
    private var lastOutput: ContinuousClock.Instant?
    /// The stage's latest state and whether it is on screen, so a stage's last line is never lost.
    private var latest: ProgressSnapshot?
    private var latestShown = false
    private var barShown = false

    /// - Parameters:
    ///   - quiet: `--quiet`: print no progress at all.
    ///   - plainInterval: the least time between two plain lines of the same stage.
    init(quiet: Bool, plainInterval: Duration = .seconds(10)) {
        style = quiet ? .silent : StandardError.isTerminal ? .bar : .lines
        self.plainInterval = plainInterval
    }

    /// Reports that stage `name` has done `completed` of `total` units (`total` nil when
    /// unknown). A new name ends the previous stage and starts a new line and a new clock;
    /// reaching `total` ends the stage.
    func update(stage name: String, completed: Int, total: Int?, unit: String = "it") {
        guard style != .silent else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = clock.now
        let isNewStage = name != stage
        if isNewStage {
            endStage()
            stage = name
            stageStart = now
            lastOutput = nil
        }
        latest = ProgressSnapshot(
            stage: name, completed: completed, total: total, elapsedSeconds: seconds(now - stageStart), unit: unit)
        latestShown = false
        let isLast = total.map { completed >= $0 } ?? false
        let interval = style == .bar ? Duration.milliseconds(100) : plainInterval
        if isNewStage || isLast || lastOutput.map({ now - $0 >= interval }) ?? true {
            showLatest()
            lastOutput = now
        }
        if isLast {
            endStage()
            stage = nil
        }
    }

    /// Prints a line of its own (a warning, a stage's result); on a terminal the bar gives way
    /// and is redrawn by the next update.
    func message(_ text: String) {
        guard style != .silent else { return }
        lock.lock()
        defer { lock.unlock() }
        if barShown {
            StandardError.write("\r\u{1B}[K")
            barShown = false
            latestShown = false
        }
        StandardError.write(text + "\n")
    }

    /// Ends the current stage: its last state is printed and the next output starts on a fresh line.
    func finish() {
        guard style != .silent else { return }
        lock.lock()
        defer { lock.unlock() }
        endStage()
        stage = nil
    }

    private func showLatest() {
        guard let latest else { return }
        switch style {
        case .bar:
            StandardError.write("\r" + formatProgressLine(latest, width: StandardError.columns) + "\u{1B}[K")
            barShown = true
        case .lines:
            StandardError.write(formatProgressMessage(latest) + "\n")
        case .silent:
            return
        }
        latestShown = true
    }

    private func endStage() {
        if !latestShown { showLatest() }
        if barShown { StandardError.write("\n") }
        barShown = false
        latest = nil
        latestShown = false
    }

    private func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
