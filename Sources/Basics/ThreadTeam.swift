import CKernels
import Foundation

/// Runs `body` on `size` threads at once, the caller's thread being member 0, and returns when
/// all of them have returned: for a loop of thousands of short parallel steps (UMAP's rounds),
/// where handing each step to the dispatch queue costs a thread's wake-up, tens of
/// microseconds, every time. The members meet at barriers (`TeamMember.barrier`), which spin
/// for a moment before giving up the core.
///
/// Every member must make the same sequence of collective calls (`barrier`, `serially`,
/// `forEach(handingOut:)`), or the team waits forever. The helpers are threads of their own,
/// never the dispatch queue's, so a team inside a parallel loop cannot starve itself.
public func withThreadTeam(size: Int, _ body: (inout TeamMember) -> Void) {
    let state = UnsafeMutablePointer<nrcc_team_state>.allocate(capacity: 1)
    state.initialize(to: nrcc_team_state())
    defer { state.deallocate() }
    let team = UncheckedSendable(state)
    let size = max(1, size)
    withoutActuallyEscaping(body) { body in
        // The helpers hold the box, never the closure, and the box lets it go before this
        // block ends: a thread object may outlive the thread, and with it what it captured.
        let work = TeamWork(body)
        let finished = DispatchGroup()
        for index in 1..<size {
            finished.enter()
            let helper = Thread {
                var member = TeamMember(index: index, size: size, state: team.value)
                work.body?(&member)
                finished.leave()
            }
            helper.stackSize = 8 << 20
            helper.start()
        }
        var member = TeamMember(index: 0, size: size, state: state)
        body(&member)
        finished.wait()
        work.body = nil
    }
}

/// The body of a team, handed to its helper threads.
private final class TeamWork: @unchecked Sendable {
    var body: ((inout TeamMember) -> Void)?
    init(_ body: @escaping (inout TeamMember) -> Void) { self.body = body }
}

/// One thread's part in `withThreadTeam`.
public struct TeamMember {
    /// This member's number, 0 being the caller's thread.
    public let index: Int
    /// The members of the team.
    public let size: Int
    let state: UnsafeMutablePointer<nrcc_team_state>
    /// The `forEach` loops this member has run: they alternate between two counters.
    var loops = 0

    /// Waits for every member; what each wrote before is visible to all after.
    public func barrier() {
        if size > 1 { nrcc_team_barrier(state, size) }
    }

    /// Member 0 runs `body` while the others wait; then all go on together.
    public func serially(_ body: () -> Void) {
        if index == 0 { body() }
        barrier()
    }

    /// Runs `body(i)` for every `i` in `0..<count`, each index taken by whichever member is
    /// free next, and waits for all. As with `parallelFor`, each index must be computed
    /// independently.
    public mutating func forEach(handingOut count: Int, _ body: (Int) -> Void) {
        let slot = loops & 1
        loops += 1
        // The other counter served the previous loop, which every member has left.
        if index == 0 { nrcc_team_reset_tickets(state, 1 - slot) }
        while true {
            let item = nrcc_team_take_ticket(state, slot)
            if item >= count { break }
            body(item)
        }
        barrier()
    }
}
