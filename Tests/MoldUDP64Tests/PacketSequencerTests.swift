import Market
import Testing
@testable import MoldUDP64

@Suite struct PacketSequencerTests {
    let a = MoldUDP64Session("A")!
    let b = MoldUDP64Session("B")!

    @Test func firstCopyWinsAndGapsAreCounted() {
        var s = PacketSequencer()
        #expect(s.admit(session: a, sequence: 100, count: 3) == 0)   // joined at 100
        #expect(s.admit(session: a, sequence: 100, count: 3) == nil)  // the B line's copy
        #expect(s.duplicatePackets == 1 && s.duplicateMessages == 3)
        #expect(s.admit(session: a, sequence: 102, count: 3) == 1)   // overlaps one message
        #expect(s.admit(session: a, sequence: 110, count: 1) == 0)   // 105...109 missing
        #expect(s.gaps == 1 && s.gapMessages == 5)
        #expect(s.admit(session: a, sequence: 111, count: 0) == 0)   // heartbeat: next is 111
        #expect(s.gaps == 1)
        #expect(s.admit(session: b, sequence: 1, count: 2) == 0)     // another session sequences apart
        #expect(s.admit(session: a, sequence: 0, count: 5) == 0)     // unsequenced: applied as is
        #expect(s.unsequencedPackets == 1 && s.sessions == 2)
    }
}
