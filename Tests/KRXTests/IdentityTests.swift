import Foundation
import Market
import Testing
@testable import KRX

/// ISINs, short codes and the Korean names of the instrument master.
@Suite struct IdentityTests {
    @Test func realISINsHaveValidCheckDigits() throws {
        for text in ["KR7005930003", "KR7000660001", "KR7035420009", "KR7373220003", "US0378331005", "US5949181045",
                     "GB0002634946", "JP3633400001"] {
            let isin = try #require(ISIN(text), "\(text)")
            #expect(isin.isValid && isin.description == text)
        }
        #expect(ISIN.completing("KR700593000") == ISIN("KR7005930003"))
        #expect(ISIN.completing("US037833100") == ISIN("US0378331005"))
    }

    /// Property: changing any one character of a valid ISIN (to another letter or digit) breaks the
    /// check digit — the Luhn sum catches every single substitution once letters become digits,
    /// except the few letter pairs whose two-digit values collide after doubling, which the test
    /// counts separately. Seeded; the seed is printed on failure.
    @Test func aSingleChangedCharacterIsCaught() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("0123456789".utf8)
        var caught = 0
        var tried = 0
        for _ in 0..<2000 {
            let code = (0..<6).map { _ in alphabet.randomElement(using: &rng)! }
            let isin = ISIN.completing("KR7" + String(decoding: code, as: UTF8.self) + "00")!
            var bytes = Array(isin.description.utf8)
            let position = Int.random(in: 2..<12, using: &rng)
            let replacement = alphabet.randomElement(using: &rng)!
            if bytes[position] == replacement { continue }
            bytes[position] = replacement
            tried += 1
            if !bytes.withUnsafeBytes({ ISIN(at: $0.baseAddress!) }).isValid { caught += 1 }
        }
        #expect(caught == tried, "seed \(seed): \(tried - caught) of \(tried) digit substitutions not caught")
        #expect(ISIN("KR7005930004") == nil && ISIN("KR7005930003 ") == nil && ISIN("kr7005930003") == nil)
        #expect(ISIN("1R7005930003") == nil, "the country is two letters")
    }

    @Test func koreanShortCodeComesFromTheISIN() throws {
        #expect(try #require(ISIN("KR7005930003")).koreanShortCode == Symbol("005930"))
        #expect(try #require(ISIN("KR7373220003")).koreanShortCode?.description == "373220")
        #expect(try #require(ISIN("US0378331005")).koreanShortCode == nil)
    }

    @Test func theSamsungElectronicsBytesDecodeAsCP949() {
        let samsung: [UInt8] = [0xBB, 0xEF, 0xBC, 0xBA, 0xC0, 0xFC, 0xC0, 0xDA]
        #expect((samsung + [0x20, 0x20, 0x20]).withUnsafeBytes { KoreanText.decode($0) } == "삼성전자")
        #expect(KoreanText.encode("삼성전자") == samsung)
        // CP949's extension beyond EUC-KR (똠 is not in KS X 1001), and ASCII mixed in.
        for name in ["똠방각하", "SK하이닉스", "LG에너지솔루션", "NAVER", ""] {
            let bytes = KoreanText.encode(name)!
            #expect(bytes.withUnsafeBytes { KoreanText.decode($0) } == name)
        }
    }

    @Test func illFormedCP949IsRefusedNotGuessed() {
        for bad: [UInt8] in [[0xBB], [0xBB, 0xEF, 0xFF], [0xBB, 0x20, 0xBC, 0xBA], [0xFF, 0xA1], [0xBB, 0xEF, 0x80, 0x41], [0xA2, 0xE8]] {
            #expect(bad.withUnsafeBytes { KoreanText.decode($0) } == nil, "\(bad)")
        }
    }

    @Test func theDirectoryNumbersInstrumentsAndRefusesBadOnesAndOverflow() throws {
        var directory = KRXInstrumentDirectory(capacity: 3)
        let a = try #require(ISIN("KR7005930003")), b = try #require(ISIN("KR7000660001"))
        let c = try #require(ISIN("KR7035420009")), d = try #require(ISIN("KR7373220003"))
        #expect(directory.index(adding: a) == .success(0))
        #expect(directory.index(adding: b) == .success(1))
        #expect(directory.index(adding: a) == .success(0))
        let bad = Array("KR7005930004".utf8).withUnsafeBytes { ISIN(at: $0.baseAddress!) }
        #expect(directory.index(adding: bad) == .failure(.invalidISIN))
        #expect(directory.index(adding: c) == .success(2))
        #expect(directory.index(adding: d) == .failure(.full))
        #expect(directory.index(of: c) == 2 && directory.index(of: d) == nil && directory.count == 3)
    }

    @Test func theDirectoryFindsThousandsOfInstruments() {
        var directory = KRXInstrumentDirectory(capacity: 5000)
        let isins = (0..<5000).map { ISIN.completing("KR7" + format6($0 * 7 + 1) + "00")! }
        for (i, isin) in isins.enumerated() { #expect(directory.index(adding: isin) == .success(i)) }
        for (i, isin) in isins.enumerated().reversed() { #expect(directory.index(of: isin) == i) }
    }
}

/// Per-instrument, per-board sequence numbers.
@Suite struct SequenceTrackerTests {
    @Test func gapsNameTheInstrumentBoardAndMissingRange() {
        var tracker = KRXSequenceTracker(instrumentCapacity: 4, boardsPerInstrument: 2)
        let g1 = KRXBoardID.regular, g2 = KRXBoardID("G2")!
        #expect(tracker.observe(instrument: 1, board: g1, sequenceNumber: 10) == .first)
        #expect(tracker.observe(instrument: 1, board: g1, sequenceNumber: 11) == .inOrder)
        #expect(tracker.observe(instrument: 2, board: g1, sequenceNumber: 1) == .first)
        #expect(tracker.observe(instrument: 1, board: g2, sequenceNumber: 1) == .first)
        #expect(tracker.observe(instrument: 1, board: g1, sequenceNumber: 15)
                == .gap(KRXSequenceGap(instrument: 1, board: g1, from: 12, to: 14)))
        #expect(tracker.observe(instrument: 1, board: g1, sequenceNumber: 13) == .stale(last: 15))
        #expect(tracker.observe(instrument: 1, board: g1, sequenceNumber: 15) == .stale(last: 15))
        #expect(tracker.observe(instrument: 1, board: g2, sequenceNumber: 2) == .inOrder)
        #expect(tracker.observe(instrument: 1, board: KRXBoardID("G4")!, sequenceNumber: 1) == .untracked)
        #expect(tracker.observe(instrument: 4, board: g1, sequenceNumber: 1) == .untracked)
        #expect(tracker.gaps == 1 && tracker.missingRecords == 3 && tracker.staleRecords == 2 && tracker.untrackedRecords == 2)
        #expect(tracker.lastSequenceNumber(instrument: 1, board: g1) == 15)
        #expect(tracker.lastSequenceNumber(instrument: 3, board: g1) == nil)
    }

    /// Property: over random streams with random losses, duplicates and swaps, the gaps reported add
    /// up to exactly the numbers never seen before the stream's last, per instrument.
    @Test func reportedGapsAreExactlyTheNumbersNeverSeen() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<50 {
            var tracker = KRXSequenceTracker(instrumentCapacity: 8)
            var stream: [(Int, Int64)] = []
            for instrument in 0..<8 {
                for sequence in Int64(1)...Int64.random(in: 1...60, using: &rng) {
                    let roll = Int.random(in: 0..<20, using: &rng)
                    if roll == 0 { continue }  // lost
                    stream.append((instrument, sequence))
                    if roll == 1 { stream.append((instrument, sequence)) }  // duplicated
                }
            }
            var delivered: [(Int, Int64)] = []
            var rest = stream[...]
            while let next = rest.popFirst() {
                if let after = rest.first, Int.random(in: 0..<25, using: &rng) == 0 {
                    rest.removeFirst()
                    delivered += [after, next]  // reordered
                } else {
                    delivered.append(next)
                }
            }
            delivered.shuffle(using: &rng)
            delivered.sort { $0.0 < $1.0 }  // instruments interleave arbitrarily; keep each one's order
            var missing = [Int64](repeating: 0, count: 8)
            for (instrument, sequence) in delivered {
                if case .gap(let gap) = tracker.observe(instrument: instrument, board: .regular, sequenceNumber: sequence) {
                    missing[instrument] += gap.count
                }
            }
            for instrument in 0..<8 {
                let seen = delivered.filter { $0.0 == instrument }
                guard let first = seen.first?.1 else { continue }
                var maximum = first
                var fresh = Set<Int64>([first])
                for (_, sequence) in seen where sequence > maximum {
                    maximum = sequence
                    fresh.insert(sequence)
                }
                let expected = maximum - first + 1 - Int64(fresh.count)
                #expect(missing[instrument] == expected, "seed \(seed): instrument \(instrument)")
            }
        }
    }
}
