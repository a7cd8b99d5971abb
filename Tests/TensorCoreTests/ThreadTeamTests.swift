import Testing
import Basics

/// The team that UMAP's rounds run on: every index of every loop is taken exactly once, and
/// what the members wrote before a barrier is what member 0 reads after it.
@Suite struct ThreadTeamTests {
    @Test(arguments: [1, 2, 4])
    func everyIndexOfEveryLoopRunsOnceAndTheSerialStepSeesItAll(size: Int) {
        let items = 37, loops = 300
        var visits = [Int](repeating: 0, count: items)
        var ranBy = [Int](repeating: -1, count: items)
        var totals: [Int] = []
        var membersSeen = Set<Int>()
        visits.withUnsafeMutableBufferPointer { visits in
            ranBy.withUnsafeMutableBufferPointer { ranBy in
                withThreadTeam(size: size) { member in
                    for _ in 0..<loops {
                        let index = member.index
                        member.forEach(handingOut: items) { item in
                            visits[item] += 1
                            ranBy[item] = index
                        }
                        member.serially {
                            totals.append(visits.reduce(0, +))
                            membersSeen.formUnion(ranBy)
                        }
                    }
                }
            }
        }
        #expect(visits == [Int](repeating: loops, count: items))
        #expect(totals == (1...loops).map { $0 * items })
        #expect(membersSeen.isSubset(of: Set(0..<size)))
    }

    @Test func aTeamOfOneRunsOnTheCallersThreadAlone() {
        var order: [Int] = []
        withThreadTeam(size: 1) { member in
            #expect(member.index == 0 && member.size == 1)
            member.forEach(handingOut: 5) { order.append($0) }
            member.serially { order.append(-1) }
            member.barrier()
        }
        #expect(order == [0, 1, 2, 3, 4, -1])
    }
}
